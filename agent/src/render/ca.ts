import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/** The cluster CA bundle as PEM, as the rule set decoded and parsed it. */
export function renderCa(ctx: RenderContext): PlannedFile {
  return { path: PATHS.caCert, mode: 0o644, content: ctx.parsed.caPem };
}
