import { deadline } from '../common/deadline.js';
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

/**
 * The real runner: stdin closed, output collected (one final newline stripped), no shell, killed
 * when the deadline passes. `node:child_process` itself rather than execa: the boot path's only
 * spawns are systemctl calls, and the config phase's early start would otherwise load execa's
 * chunk for one `systemctl start` (0.4 s of a 4.5 s config phase under emulation).
 */
export function createProcessRunner(env?: Record<string, string | undefined>): RunProcess {
  return (command, args, { timeoutMs, label }) => {
    const what = [label ?? command, ...args].join(' ');
    const { spawn } = process.getBuiltinModule('node:child_process');
    return new Promise<ProcessResult>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        timer.clear();
        fn();
      };
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
      // a child that exited while this process was busy is not killed for it (common/deadline.ts)
      const timer = deadline(timeoutMs, () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        timedOut = true;
        child.kill('SIGKILL');
      });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.once('error', (err) => settle(() => reject(new EnvironmentError(`${what}: could not run ${command}: ${err.message}`, { cause: err }))));
      child.once('close', (code) =>
        settle(() => {
          if (timedOut) reject(new EnvironmentError(`${what}: timed out after ${timeoutMs / 1000} s`));
          else resolve({ exitCode: code ?? -1, stdout: withoutFinalNewline(stdout), stderr: withoutFinalNewline(stderr) });
        }),
      );
    });
  };
}

function withoutFinalNewline(chunks: Buffer[]): string {
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The first line of a failed command's stderr (or stdout), for a one-line error. */
export function firstLine(result: ProcessResult): string {
  const text = result.stderr.trim() || result.stdout.trim();
  return text.split('\n')[0]?.trim() ?? '';
}
