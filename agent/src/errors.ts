/**
 * The two kinds of failure the CLI distinguishes. Only main.ts turns them into exit codes:
 * bad input (config, facts, flags) exits 1, a failing environment (IMDS, AWS, systemd) exits 2.
 * Messages are one line and name the field or the thing that failed; the original error
 * stays reachable as `cause` for --debug.
 */
export class InputError extends Error {
  override name = 'InputError';
  readonly exitCode = 1;
  /** Every problem found, each a one-line message; `message` is the first or a summary. */
  readonly problems: string[];
  constructor(problems: string | string[], options?: { cause?: unknown }) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.join('\n'), options);
    this.problems = list;
  }
}

export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One line describing any thrown value, for messages that wrap a cause. */
export function describeCause(err: unknown): string {
  // ours are written for people already: their class name is noise in a line that wraps them
  if (err instanceof InputError || err instanceof EnvironmentError) return err.message.split('\n')[0] ?? '';
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const name = err.name && err.name !== 'Error' ? err.name : typeof code === 'string' ? code : '';
    const msg = err.message.split('\n')[0] ?? '';
    return name && !msg.includes(name) ? `${name}: ${msg}` : msg;
  }
  return String(err);
}
