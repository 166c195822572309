/**
 * Milliseconds on `process.hrtime`'s monotonic clock, for timing steps. Not `performance.now()`:
 * the first use of `performance` loads perf_hooks, which nothing on the boot path otherwise needs.
 * The SEA loader (scripts/sea/loader.cjs) stamps the first line of our code on the same clock.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
