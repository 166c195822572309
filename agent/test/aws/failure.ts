import { expect } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';

/** The EnvironmentError a call to AWS or IMDS rejects with (exit 2); fails the test on any other outcome. */
export async function failure(p: Promise<unknown>): Promise<EnvironmentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnvironmentError);
  return err as EnvironmentError;
}
