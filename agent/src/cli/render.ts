import { EnvironmentError } from '../errors.js';
import type { Env } from './deps.js';

// Placeholder until the renderer lands (being written now); replaced before this ships.
export async function run(_options: unknown, _env: Env, _out: (line: string) => void): Promise<number> {
  throw new EnvironmentError('this command is not available in this build yet');
}
