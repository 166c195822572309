import { describe, expect, it } from 'vitest';
import { msSinceProcessStart, processDuration, type ClockReader } from '../../src/cli/process-clock.js';

// /proc/self/stat of a process created 1234.56 s after boot (starttime 123456 ticks at USER_HZ 100),
// with a command name holding a space and a parenthesis, as the kernel prints it
const stat = (startTicks: number) =>
  `4242 (eks (node) agent) S 1 4242 4242 0 -1 4194560 2144 0 0 0 3 1 0 0 20 0 11 0 ${startTicks} 1131069440 15107 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n`;

function clock(now: number, proc?: { stat: string; uptime: string }): ClockReader {
  return { now: () => now, procfs: () => proc };
}

describe('msSinceProcessStart', () => {
  it('is uptime minus the start time, past a command name with spaces and parentheses', () => {
    expect(msSinceProcessStart(stat(123456), '1240.06 2480.11\n')).toBeCloseTo(5500, 6);
  });

  it('is undefined for text that is not /proc/self/stat', () => {
    expect(msSinceProcessStart('not a stat line', '12.00 3.00\n')).toBeUndefined();
    expect(msSinceProcessStart(stat(123456), 'garbage')).toBeUndefined();
  });
});

describe('processDuration', () => {
  it('counts from the process start, and names the part before our first line', () => {
    // created at 1234.56 s, uptime now 1240.06 s: 5500 ms; our first line ran 4700 ms ago
    const d = processDuration(clock(5000, { stat: stat(123456), uptime: '1240.06 0\n' }), 300);
    expect(d).toEqual({ totalMs: 5500, runtimeStartMs: 800 });
  });

  it('never reports less than the monotonic clock measured since our first line (/proc counts in 10 ms steps)', () => {
    const d = processDuration(clock(1004.4, { stat: stat(123456), uptime: '1235.56 0\n' }), 0.4);
    expect(d).toEqual({ totalMs: 1004, runtimeStartMs: 0 });
  });

  it("takes Node's time origin as the start where /proc cannot be read", () => {
    expect(processDuration(clock(900, undefined), 120)).toEqual({ totalMs: 900, runtimeStartMs: 120 });
    expect(processDuration(clock(900, { stat: 'x', uptime: 'y' }), 120)).toEqual({ totalMs: 900, runtimeStartMs: 120 });
  });
});
