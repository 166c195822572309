import { describeCause } from '../errors.js';
import type { CheckResult, CheckStatus } from './types.js';

/** What a check returns; `value` feeds the checks that need it and never reaches the report. */
export interface Outcome<T = unknown> {
  status: Exclude<CheckStatus, 'skipped'>;
  detail: string;
  hint?: string;
  value?: T;
}

export interface CheckContext {
  /** the value of a prerequisite named in `needs` (which passed, so it is there) */
  value<T>(name: string): T;
  /** waits for another check (not a prerequisite) and gives its value if it passed */
  optional<T>(name: string): Promise<T | undefined>;
  /** ms left before this check's deadline */
  remainingMs(): number;
  /** aborted when the deadline passes, so sockets and child processes are let go */
  signal: AbortSignal;
}

export interface Check {
  name: string;
  /** checks that must pass (ok or warn) first; otherwise this one is skipped, naming them */
  needs: string[];
  /** this check's own deadline */
  timeoutMs: number;
  run(ctx: CheckContext): Promise<Outcome>;
}

interface Settled {
  result: CheckResult;
  value?: unknown;
}

class DeadlineError extends Error {}

function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Runs checks concurrently, each as soon as its prerequisites have passed, each bounded by its
 * own deadline and all of them by `totalMs`. Results come back in the order the checks are
 * given. A check that throws fails with the error; one that a deadline cuts off fails naming
 * which deadline expired; one whose prerequisite did not pass is skipped, naming it.
 */
export async function runChecks(checks: Check[], totalMs: number, now: () => number = Date.now): Promise<Array<CheckResult & { value?: unknown }>> {
  const byName = new Map(checks.map((c) => [c.name, c]));
  for (const c of checks) {
    for (const n of c.needs) if (!byName.has(n)) throw new Error(`check ${c.name} needs unknown check ${n}`);
  }
  const runDeadline = now() + totalMs;
  const settled = new Map<string, Promise<Settled>>();
  const timers = new Set<NodeJS.Timeout>();

  function bounded<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DeadlineError(label)), Math.max(0, ms));
      timers.add(timer);
      work.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    });
  }

  function start(check: Check): Promise<Settled> {
    const existing = settled.get(check.name);
    if (existing) return existing;
    const promise = (async (): Promise<Settled> => {
      const prereqs = await Promise.all(check.needs.map((n) => start(byName.get(n)!)));
      const blocked = prereqs.find((p) => p.result.status === 'fail' || p.result.status === 'skipped');
      if (blocked) {
        return {
          result: {
            name: check.name,
            status: 'skipped',
            detail: `needs ${blocked.result.name}, which ${blocked.result.status === 'fail' ? 'failed' : 'was skipped'}`,
            skippedBecause: blocked.result.name,
          },
        };
      }
      const left = runDeadline - now();
      if (left <= 0) {
        return { result: { name: check.name, status: 'fail', detail: `not started: the run deadline (--timeout ${seconds(totalMs)}) expired`, hint: 'raise --timeout; the checks before this one were slow (see their lines)' } };
      }
      const own = check.timeoutMs <= left;
      const ms = Math.min(check.timeoutMs, left);
      const checkDeadline = now() + ms;
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
        remainingMs: () => Math.max(0, checkDeadline - now()),
        signal: abort.signal,
      };
      try {
        const out = await bounded(check.run(ctx), ms, own ? `the check's deadline of ${seconds(ms)}` : `the run deadline (--timeout ${seconds(totalMs)})`);
        const result: CheckResult = { name: check.name, status: out.status, detail: out.detail };
        if (out.hint !== undefined && out.status !== 'ok') result.hint = out.hint;
        return { result, value: out.value };
      } catch (err) {
        if (err instanceof DeadlineError) {
          abort.abort(err);
          return { result: { name: check.name, status: 'fail', detail: `no result within ${err.message}`, hint: 'something this check waits on does not answer; rerun with a larger --timeout to see whether it is slow or stuck' } };
        }
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
    for (const t of timers) clearTimeout(t);
  }
}
