import type { NodeConfig } from '../api/schema.js';
import { compileMaxPodsExpression } from '../render/max-pods.js';
import { loadCel } from '../render/cel.js';
import { InputError } from '../errors.js';

/**
 * Checks owned outside api/ (the CEL compiler lives with the renderer), added to validation by
 * every command that loads a config so `config check`, `render` and `init` agree.
 */
export const configChecks: Array<(c: NodeConfig) => Promise<string[]>> = [
  async (config) => {
    const expr = config.spec?.kubelet?.maxPodsExpression;
    if (expr === undefined) return [];
    await loadCel(); // render compiles it again later, synchronously
    try {
      compileMaxPodsExpression(expr);
      return [];
    } catch (err) {
      return err instanceof InputError ? err.problems : [String(err)];
    }
  },
];
