import type { NodeConfig } from './schema.js';

/**
 * Checks that need code owned outside api/ (the CEL compiler), added to validation by every
 * command that loads a config so `config check` and `init` agree.
 */
export const configChecks: Array<(c: NodeConfig) => string[]> = [];
