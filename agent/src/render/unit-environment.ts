import { renderTemplate } from '../templates/handlebars.js';
import type { RenderContext } from './context.js';
import { unitEnvironmentPath } from './paths.js';
import type { PlannedFile } from './plan.js';

/** Values may be secrets (proxy passwords, tokens): only root reads the drop-ins. */
export const ENVIRONMENT_MODE = 0o600;

/** One drop-in per unit, variables sorted by name, as the rule set resolved them; `%` doubled, quotes escaped. */
export function renderUnitEnvironments(ctx: RenderContext): PlannedFile[] {
  return ctx.parsed.unitEnvironments.map(({ unit, variables }) => ({
    path: unitEnvironmentPath(unit),
    mode: ENVIRONMENT_MODE,
    content: renderTemplate('unitEnvironment', { variables }),
  }));
}
