import { describe, expect, it } from 'vitest';
import { runChecks, type Check, type Outcome } from '../../src/doctor/runner.js';

const check = (name: string, needs: string[], run: () => Promise<Outcome>, timeoutMs = 1_000): Check => ({ name, needs, timeoutMs, run });
const ok = (value?: unknown): Promise<Outcome> => Promise.resolve({ status: 'ok', detail: 'fine', hint: 'dropped for ok', value });
const never = (): Promise<Outcome> => new Promise(() => undefined);

describe('runChecks', () => {
  it('keeps the given order, passes values down and drops hints of ok results', async () => {
    const results = await runChecks([check('b', ['a'], async () => ({ status: 'ok', detail: 'saw a' })), check('a', [], () => ok(42))], 5_000);
    expect(results.map((r) => r.name)).toEqual(['b', 'a']);
    expect(results[1]).toEqual({ name: 'a', status: 'ok', detail: 'fine', value: 42 });
  });

  it('skips a check whose prerequisite failed or was skipped, naming that prerequisite', async () => {
    const results = await runChecks(
      [
        check('a', [], async () => ({ status: 'fail', detail: 'broken', hint: 'fix a' })),
        check('b', ['a'], () => ok()),
        check('c', ['b'], () => ok()),
        check('d', [], async () => ({ status: 'warn', detail: 'meh', hint: 'look' })),
        check('e', ['d'], () => ok()),
      ],
      5_000,
    );
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(by.b).toMatchObject({ status: 'skipped', skippedBecause: 'a', detail: 'needs a, which failed' });
    expect(by.c).toMatchObject({ status: 'skipped', skippedBecause: 'b', detail: 'needs b, which was skipped' });
    expect(by.e!.status).toBe('ok');
  });

  it("waits past a check's usual budget (a slow node is not a broken one) and says timeout, not fail, when --timeout cuts it", async () => {
    let aborted = false;
    const slowButOk = (): Promise<Outcome> => new Promise((r) => setTimeout(() => r({ status: 'ok', detail: 'late but fine' }), 150));
    const results = await runChecks(
      [
        check('slow', [], slowButOk, 20),
        {
          name: 'stuck',
          needs: [],
          timeoutMs: 50,
          timeoutHint: 'the thing it waits on',
          run: (ctx) => {
            ctx.signal.addEventListener('abort', () => (aborted = true));
            return never();
          },
        },
        check('after', ['stuck'], () => ok()),
      ],
      400,
    );
    expect(results[0]).toMatchObject({ status: 'ok', detail: 'late but fine' });
    expect(results[1]).toMatchObject({ status: 'timeout', hint: 'the thing it waits on' });
    expect(results[1]!.detail).toMatch(/^no result within the run deadline \(--timeout 400 ms\), \d+ ms against the 50 ms it usually needs$/);
    expect(results[2]).toMatchObject({ status: 'skipped', detail: 'needs stuck, which timed out' });
    expect(aborted).toBe(true);
  });

  it('bounds the whole run: checks are cut at --timeout and those not started say the run deadline expired', async () => {
    const started = Date.now();
    const results = await runChecks([check('hang', [], never, 10_000), check('after', ['hang'], () => ok())], 100);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(results[0]!.detail).toBe('no result within the run deadline (--timeout 100 ms)');
    expect(results[1]).toMatchObject({ status: 'skipped', skippedBecause: 'hang' });
  });

  it('runs independent checks concurrently', async () => {
    const started = Date.now();
    const wait = () => new Promise<Outcome>((r) => setTimeout(() => r({ status: 'ok', detail: '' }), 200));
    await runChecks([check('a', [], wait), check('b', [], wait), check('c', [], wait)], 5_000);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('turns a thrown error into a failed check and rejects unknown prerequisites', async () => {
    const results = await runChecks([check('boom', [], async () => Promise.reject(new Error('kaputt')))], 1_000);
    expect(results[0]).toMatchObject({ status: 'fail', detail: 'internal error: kaputt' });
    await expect(runChecks([check('x', ['nope'], () => ok())], 1_000)).rejects.toThrow('check x needs unknown check nope');
  });

  it('lets a check wait for a non-prerequisite and get its value only if it passed', async () => {
    const results = await runChecks(
      [
        check('good', [], () => ok('g')),
        check('bad', [], async () => ({ status: 'fail', detail: 'x', value: 'b' })),
        {
          name: 'user',
          needs: [],
          timeoutMs: 1_000,
          run: async (ctx) => ({ status: 'ok', detail: `${await ctx.optional('good')}/${await ctx.optional('bad')}` }),
        },
      ],
      1_000,
    );
    expect(results[2]!.detail).toBe('g/undefined');
  });
});
