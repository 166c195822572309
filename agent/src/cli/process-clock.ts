import { readFileSync } from 'node:fs';
import { monotonicMs } from '../common/clock.js';

/*
 * How long this process has really run, for the `done in` line of `init`. A clock started by
 * our first line misses the runtime's own start (exec, the dynamic loader, paging in the
 * executable, V8 and Node bootstrapping), which under load or on a cold disk is most of a boot's
 * wait. `performance.timeOrigin` is no better: Node sets it in its main(), after the loader and
 * every page fault before it (cold, 15-45 ms on this machine). The kernel's record of when the
 * process was created is honest: /proc/self/stat's starttime against /proc/uptime, both on the
 * boot-time clock, in 10 ms steps; the part we run is timed with the monotonic clock.
 */

/**
 * Where the first line of our code ran, in ms on `process.hrtime`'s monotonic clock. Not
 * `performance.now()`: the first use of `performance` loads perf_hooks, which `version` and a
 * boot do not otherwise need.
 */
const FIRST_LINE = Symbol.for('eks-node-agent.first-line');

/**
 * The moment our first line ran: the SEA loader's (scripts/sea/loader.cjs) when it left one,
 * else this module's evaluation, which main.ts puts first in the bundle.
 */
export const firstLine: number = (() => {
  const g = globalThis as Record<symbol, unknown>;
  if (typeof g[FIRST_LINE] !== 'number') g[FIRST_LINE] = monotonicMs();
  return g[FIRST_LINE] as number;
})();

/** /proc's clock ticks per second (USER_HZ): 100 on every architecture Linux still ships for. */
const USER_HZ = 100;

export interface ClockReader {
  /** ms on `process.hrtime`'s monotonic clock */
  now(): number;
  /** the text of /proc/self/stat and /proc/uptime, or undefined where there is no /proc */
  procfs(): { stat: string; uptime: string } | undefined;
}

export const systemClock: ClockReader = {
  now: () => monotonicMs(),
  procfs: () => {
    try {
      return { stat: readFileSync('/proc/self/stat', 'utf8'), uptime: readFileSync('/proc/uptime', 'utf8') };
    } catch {
      return undefined;
    }
  },
};

/** ms since the kernel created this process, from /proc; undefined when the text does not parse. */
export function msSinceProcessStart(stat: string, uptime: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[22 - 3]);
  const upSeconds = Number(uptime.split(' ')[0]);
  if (!Number.isFinite(startTicks) || !Number.isFinite(upSeconds) || fields.length < 20) return undefined;
  return upSeconds * 1000 - (startTicks * 1000) / USER_HZ;
}

export interface ProcessDuration {
  /** process creation to now */
  totalMs: number;
  /** process creation to our first line: the runtime's own start */
  runtimeStartMs: number;
}

/**
 * The process's start-to-now, and how much of it came before our first line. Where /proc cannot
 * be read, Node's time origin stands in for the process start (it misses what ran before
 * Node's main()). /proc counts in 10 ms steps; a total below what the monotonic clock measured
 * since our first line is that rounding, and the monotonic figure wins.
 */
export function processDuration(clock: ClockReader = systemClock, ourFirstLine: number = firstLine): ProcessDuration {
  const now = clock.now();
  const ours = now - ourFirstLine;
  const proc = clock.procfs();
  const sinceStart = proc ? msSinceProcessStart(proc.stat, proc.uptime) : undefined;
  const total = Math.max(sinceStart ?? now, ours);
  return { totalMs: Math.round(total), runtimeStartMs: Math.round(total - ours) };
}
