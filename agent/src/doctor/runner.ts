import { type Deadline, deadline } from '../common/deadline.js';
import { EnvironmentError, describeCause } from '../errors.js';
import type { CheckResult, CheckStatus } from './types.js';

/** What a check returns; `value` feeds the checks that need it and never reaches the report. */
export interface Outcome<T = unknown> {
  status: Exclude<CheckStatus, 'skipped' | 'timeout'>;
  detail: string;
  hint?: string;
  value?: T;
}

export interface CheckContext {
  /** the value of a prerequisite named in `needs` (which passed, so it is there) */
  value<T>(name: string): T;
  /** waits for another check (not a prerequisite) and gives its value if it passed */
  optional<T>(name: string): Promise<T | undefined>;
  /** ms left before the run deadline (--timeout), the only hard bound; size waits from it */
  remainingMs(): number;
  /** aborted when the run deadline passes, so sockets and child processes are let go */
  signal: AbortSignal;
}

export interface Check {
  name: string;
  /** checks that must pass (ok or warn) first; otherwise this one is skipped, naming them */
  needs: string[];
  /**
   * What the check usually needs on a healthy node. Not a deadline: a struggling node is where
   * the doctor runs, so a slow answer is waited for until the run deadline; the budget only
   * names, in a timeout line, how far past its usual time the check ran.
   */
  timeoutMs: number;
  /** the likely cause when the run deadline cuts this check (what it waits on) */
  timeoutHint?: string;
  run(ctx: CheckContext): Promise<Outcome>;
}

interface Settled {
  result: CheckResult;
  value?: unknown;
}

class DeadlineError extends Error {}

const BLOCKED: Record<string, string> = { fail: 'failed', timeout: 'timed out', skipped: 'was skipped' };

function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * A file (or directory) of the node that is there and could not be read: a directory where a file
 * belongs, a permission, an I/O error. The node's state, reported on the check's line as such,
 * not as an internal error of doctor. `code` is the errno's, so a check may still answer one
 * itself (several turn EACCES into "run doctor as root").
 */
export class NodeFileError extends EnvironmentError {
  override name = 'NodeFileError';
  readonly hint: string;
  constructor(
    readonly path: string,
    readonly code: string,
    cause: unknown,
  ) {
    const [why, hint] = UNREADABLE[code] ?? [describeCause(cause), `look at ${path} (\`ls -ld ${path}\`)`];
    super(`cannot read ${path}: ${why}`, { cause });
    this.hint = hint;
  }
}

const AS_ROOT = 'run doctor as root (`sudo eks-node-agent doctor`)';
/** errno -> what it means here, and what to do */
const UNREADABLE: Record<string, [string, string]> = {
  EISDIR: ['a directory, where the node keeps a file', 'remove the directory; files init writes are written again at the next boot'],
  EACCES: ['permission denied', AS_ROOT],
  EPERM: ['operation not permitted', AS_ROOT],
  ELOOP: ['a loop of symbolic links', 'point the link at a real file'],
  EIO: ['an I/O error', 'the disk or file system under it is failing: see `dmesg`'],
};

/**
 * Runs checks concurrently, each as soon as its prerequisites have passed, all of them bounded
 * by `totalMs` (--timeout) and nothing else. Results come back in the order the checks are
 * given. A check that throws fails: with what a NodeFileError names, else as an internal error
 * of doctor's; one that the deadline cuts off is `timeout` (not `fail`: nothing was found
 * wrong, the answer was too slow); one whose prerequisite did not pass is skipped, naming it.
 */
export async function runChecks(checks: Check[], totalMs: number, now: () => number = Date.now): Promise<Array<CheckResult & { value?: unknown }>> {
  const byName = new Map(checks.map((c) => [c.name, c]));
  for (const c of checks) {
    for (const n of c.needs) if (!byName.has(n)) throw new Error(`check ${c.name} needs unknown check ${n}`);
  }
  const runDeadline = now() + totalMs;
  const settled = new Map<string, Promise<Settled>>();
  const timers = new Set<Deadline>();

  function bounded<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = deadline(Math.max(0, ms), () => reject(new DeadlineError(label)));
      timers.add(timer);
      work.then(resolve, reject).finally(() => {
        timer.clear();
        timers.delete(timer);
      });
    });
  }

  function start(check: Check): Promise<Settled> {
    const existing = settled.get(check.name);
    if (existing) return existing;
    const promise = (async (): Promise<Settled> => {
      const prereqs = await Promise.all(check.needs.map((n) => start(byName.get(n)!)));
      const blocked = prereqs.find((p) => p.result.status === 'fail' || p.result.status === 'timeout' || p.result.status === 'skipped');
      if (blocked) {
        return {
          result: {
            name: check.name,
            status: 'skipped',
            detail: `needs ${blocked.result.name}, which ${BLOCKED[blocked.result.status]}`,
            skippedBecause: blocked.result.name,
          },
        };
      }
      const left = runDeadline - now();
      if (left <= 0) {
        return {
          result: {
            name: check.name,
            status: 'timeout',
            detail: `not started: the run deadline (--timeout ${seconds(totalMs)}) expired`,
            hint: 'raise --timeout; the checks before this one were slow (see their lines)',
          },
        };
      }
      const started = now();
      const abort = new AbortController();
      const values = new Map(check.needs.map((n, i) => [n, prereqs[i]!.value]));
      const ctx: CheckContext = {
        value: <T>(n: string) => values.get(n) as T,
        optional: async <T>(n: string) => {
          const other = byName.get(n);
          if (!other) return undefined;
          const s = await start(other);
          return s.result.status === 'ok' || s.result.status === 'warn' ? (s.value as T) : undefined;
        },
        remainingMs: () => Math.max(0, runDeadline - now()),
        signal: abort.signal,
      };
      try {
        const out = await bounded(check.run(ctx), left, `the run deadline (--timeout ${seconds(totalMs)})`);
        const result: CheckResult = { name: check.name, status: out.status, detail: out.detail };
        if (out.hint !== undefined && out.status !== 'ok') result.hint = out.hint;
        return { result, value: out.value };
      } catch (err) {
        if (err instanceof DeadlineError) {
          abort.abort(err);
          const ran = now() - started;
          const past = ran > check.timeoutMs ? `, ${seconds(ran)} against the ${seconds(check.timeoutMs)} it usually needs` : '';
          return {
            result: {
              name: check.name,
              status: 'timeout',
              detail: `no result within ${err.message}${past}`,
              hint: check.timeoutHint ?? 'something this check waits on is slow or does not answer; rerun with a larger --timeout to see which',
            },
          };
        }
        if (err instanceof NodeFileError) return { result: { name: check.name, status: 'fail', detail: err.message, hint: err.hint } };
        return { result: { name: check.name, status: 'fail', detail: `internal error: ${describeCause(err)}`, hint: 'rerun with --debug and report this' } };
      }
    })();
    settled.set(check.name, promise);
    return promise;
  }

  try {
    const all = await Promise.all(checks.map(start));
    return all.map((s) => ({ ...s.result, ...(s.value === undefined ? {} : { value: s.value }) }));
  } finally {
    for (const t of timers) t.clear();
  }
}
