import { setTimeout as delay } from 'node:timers/promises';
import { EnvironmentError } from '../errors.js';
import type { UnitAction } from '../render/plan.js';
import type { Systemctl } from './systemctl.js';
import { monotonicMs } from '../common/clock.js';

export interface StepTiming {
  /** e.g. "write", "daemon-reload", "restart containerd.service", "wait containerd.service active" */
  step: string;
  ms: number;
  /** why it ran or was skipped, for the log */
  detail?: string;
  skipped?: boolean;
}

export interface RunUnitsOptions {
  systemctl: Systemctl;
  /** node paths that changed since the units were last acted on */
  changed: Iterable<string>;
  /** monotonic milliseconds; injected for tests */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollIntervalMs?: number;
}

/**
 * Performs the plan's unit actions in order, but only where needed: a daemon-reload when one of
 * its trigger files changed; a restart when a trigger file changed or the unit is neither active
 * nor starting (first boot, or it died). After a restart with waitActiveSeconds, or for such a
 * unit found starting, it polls until the unit is active and names the unit when the wait expires.
 */
export async function runUnits(actions: readonly UnitAction[], options: RunUnitsOptions): Promise<StepTiming[]> {
  const { systemctl } = options;
  const now = options.now ?? monotonicMs;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const pollMs = options.pollIntervalMs ?? 250;
  const changed = new Set(options.changed);
  const timings: StepTiming[] = [];

  const changedTriggers = (triggeredBy: string[] | undefined): string[] | undefined =>
    triggeredBy === undefined ? undefined : triggeredBy.filter((p) => changed.has(p));

  async function timed(step: string, detail: string, fn: () => Promise<void>): Promise<void> {
    const start = now();
    await fn();
    timings.push({ step, ms: Math.round(now() - start), detail });
  }

  for (const action of actions) {
    if (action.kind === 'daemon-reexec') {
      const hits = changedTriggers(action.triggeredBy);
      if (hits && hits.length === 0) {
        timings.push({ step: 'daemon-reexec', ms: 0, detail: 'default environment unchanged', skipped: true });
        continue;
      }
      await timed('daemon-reexec', hits ? `changed: ${hits.join(', ')}` : 'always', () => systemctl.daemonReexec());
    } else if (action.kind === 'daemon-reload') {
      const hits = changedTriggers(action.triggeredBy);
      if (hits && hits.length === 0) {
        timings.push({ step: 'daemon-reload', ms: 0, detail: 'no unit file changed', skipped: true });
        continue;
      }
      await timed('daemon-reload', hits ? `changed: ${hits.join(', ')}` : 'always', () => systemctl.daemonReload());
    } else if (action.kind === 'enable') {
      await timed(`enable ${action.unit}`, 'always', () => systemctl.enable(action.unit));
    } else {
      const hits = changedTriggers(action.triggeredBy);
      let reason: string | undefined;
      if (!hits) reason = 'always';
      else if (hits.length > 0) reason = `changed: ${hits.join(', ')}`;
      else {
        const state = await systemctl.activeState(action.unit);
        if (state === 'activating' || state === 'reloading') {
          // started already (the config phase's early start, or systemd's own restart): a restart
          // would only begin it again; wait for it where the next action needs it up
          timings.push({ step: `restart ${action.unit}`, ms: 0, detail: `unchanged and ${state}`, skipped: true });
          if (action.waitActiveSeconds !== undefined) {
            const seconds = action.waitActiveSeconds;
            await timed(`wait ${action.unit} active`, `up to ${seconds} s`, () => waitActive(systemctl, action.unit, seconds, { now, sleep, pollMs }));
          }
          continue;
        }
        if (state !== 'active') reason = `not active (${state})`;
      }
      if (!reason) {
        timings.push({ step: `restart ${action.unit}`, ms: 0, detail: 'unchanged and active', skipped: true });
        continue;
      }
      await timed(`restart ${action.unit}`, reason, () => systemctl.restart(action.unit));
      if (action.waitActiveSeconds !== undefined) {
        const seconds = action.waitActiveSeconds;
        await timed(`wait ${action.unit} active`, `up to ${seconds} s`, () => waitActive(systemctl, action.unit, seconds, { now, sleep, pollMs }));
      }
    }
  }
  return timings;
}

async function waitActive(
  systemctl: Systemctl,
  unit: string,
  seconds: number,
  clock: { now: () => number; sleep: (ms: number) => Promise<void>; pollMs: number },
): Promise<void> {
  const deadline = clock.now() + seconds * 1000;
  for (;;) {
    if (await systemctl.isActive(unit)) return;
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new EnvironmentError(`${unit} did not become active within ${seconds} s after its restart (see journalctl -u ${unit})`);
    }
    await clock.sleep(Math.min(clock.pollMs, left));
  }
}
