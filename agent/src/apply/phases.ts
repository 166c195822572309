import type { Plan } from '../render/plan.js';
import { type StepTiming, runUnits } from './run-units.js';
import { readRunPhaseState, statePath, writeRunPhaseState } from './state.js';
import type { Systemctl } from './systemctl.js';
import { writeFiles } from './write-files.js';
import { EnvironmentError } from '../errors.js';

export interface ConfigPhaseOptions {
  root: string;
  now?: () => number;
}

export interface ConfigPhaseResult {
  /** node paths written by this call */
  changed: string[];
  unchanged: string[];
  /** changes still waiting for the run phase, including those of earlier config phases */
  pendingChanges: string[];
  timings: StepTiming[];
}

/**
 * Config phase: write the plan's files atomically, then record the plan's unit actions and the
 * files changed (added to any not yet acted on) for the run phase.
 */
export async function applyConfigPhase(plan: Plan, options: ConfigPhaseOptions): Promise<ConfigPhaseResult> {
  const now = options.now ?? (() => performance.now());
  let start = now();
  const written = await writeFiles(plan.files, { root: options.root });
  const timings: StepTiming[] = [
    { step: 'write', ms: Math.round(now() - start), detail: `${written.changed.length} changed, ${written.unchanged.length} unchanged` },
  ];
  start = now();
  // A state that cannot be read may have held pending changes: count every file as changed.
  const previous = await readRunPhaseState(options.root).catch(() => ({ pendingChanges: plan.files.map((f) => f.path) }));
  const pendingChanges = [...new Set([...(previous?.pendingChanges ?? []), ...written.changed])].sort();
  await writeRunPhaseState(options.root, { version: 1, units: plan.units, pendingChanges });
  timings.push({ step: 'record run-phase state', ms: Math.round(now() - start), detail: statePath(options.root) });
  return { changed: written.changed, unchanged: written.unchanged, pendingChanges, timings };
}

export interface RunPhaseOptions {
  root: string;
  systemctl: Systemctl;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollIntervalMs?: number;
}

export interface RunPhaseResult {
  /** the changed files the units were acted on for */
  acted: string[];
  timings: StepTiming[];
}

/**
 * Run phase: act on the units for the changes the config phase recorded. With `plan` undefined
 * the unit actions come from the recorded state too, so a separate process needs neither the
 * config nor the facts. Pending changes are cleared only after every action succeeded, so a
 * failed run phase retried later restarts the same units.
 */
export async function applyRunPhase(plan: Pick<Plan, 'units'> | undefined, options: RunPhaseOptions): Promise<RunPhaseResult> {
  const state = await readRunPhaseState(options.root);
  const units = plan?.units ?? state?.units;
  if (!units) {
    throw new EnvironmentError(`run phase: no plan recorded at ${statePath(options.root)}; run the config phase first (init --skip run)`);
  }
  const acted = state?.pendingChanges ?? [];
  const timings = await runUnits(units, {
    systemctl: options.systemctl,
    changed: acted,
    ...(options.now ? { now: options.now } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });
  await writeRunPhaseState(options.root, { version: 1, units, pendingChanges: [] });
  return { acted, timings };
}
