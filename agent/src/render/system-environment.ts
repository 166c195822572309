import { renderTemplate } from '../templates/handlebars.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * spec.instance.environment.default as DefaultEnvironment= in the manager's configuration, so
 * every service inherits it (containerd pulling images through a proxy, the kubelet, and units
 * the agent never heard of). Mode 0600: proxy URLs often carry credentials.
 */
export function renderSystemEnvironment(ctx: RenderContext): PlannedFile[] {
  const variables = ctx.parsed.defaultEnvironment;
  if (variables.length === 0) return [];
  return [{ path: PATHS.systemEnvironment, mode: 0o600, content: renderTemplate('systemEnvironment', { variables }) }];
}
