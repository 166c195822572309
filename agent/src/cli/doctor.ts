import { EnvironmentError } from '../errors.js';

// Placeholder: the doctor helper replaces this file with the real command.
export function createDoctorDeps(_env: Record<string, string | undefined>): unknown {
  return {};
}
export async function run(_options: unknown, _deps: unknown): Promise<number> {
  throw new EnvironmentError('doctor is not available in this build yet');
}
