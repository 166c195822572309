import { EnvironmentError } from '../errors.js';

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
  /** how messages name the command when it is not `command` itself (a test double's path) */
  label?: string;
}

/**
 * Runs one command to completion. It throws only when the command could not run or exceeded
 * its deadline (both name the command); a non-zero exit is the caller's to judge, since for
 * some commands (`systemctl is-active`, `blkid`, `mdadm --assemble`) it is an answer.
 */
export type RunProcess = (command: string, args: readonly string[], options: RunOptions) => Promise<ProcessResult>;

/** The real runner: execa, stdin closed, output collected, no shell. */
export function createProcessRunner(env?: Record<string, string | undefined>): RunProcess {
  return async (command, args, { timeoutMs, label }) => {
    const what = [label ?? command, ...args].join(' ');
    // loaded on first use: `init --skip run` and every other command never spawn anything
    const { execa } = await import('execa');
    const result = await execa(command, args, { timeout: timeoutMs, reject: false, stdin: 'ignore', ...(env ? { env } : {}) });
    if (result.timedOut) throw new EnvironmentError(`${what}: timed out after ${timeoutMs / 1000} s`);
    if (result.failed && result.exitCode === undefined) {
      throw new EnvironmentError(`${what}: could not run ${command}: ${result.shortMessage}`, { cause: result });
    }
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  };
}

/** The first line of a failed command's stderr (or stdout), for a one-line error. */
export function firstLine(result: ProcessResult): string {
  const text = result.stderr.trim() || result.stdout.trim();
  return text.split('\n')[0]?.trim() ?? '';
}
