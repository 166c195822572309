import type { Plan } from '../render/plan.js';
import { type StepTiming, runUnits } from './run-units.js';
import { readRunPhaseState, statePath, writeRunPhaseState } from './state.js';
import type { Systemctl } from './systemctl.js';
import { writeFiles } from './write-files.js';
import { OWNED_PATH, ownedFile, readOwned, staleFiles, withRemovedTriggers } from './owned.js';
import { EnvironmentError } from '../errors.js';
import { monotonicMs } from '../common/clock.js';

export interface ConfigPhaseOptions {
  root: string;
  /** recorded for the run phase, which re-runs the config phase when its sources say otherwise */
  configDigest?: string;
  now?: () => number;
}

export interface ConfigPhaseResult {
  /** node paths written by this call */
  changed: string[];
  unchanged: string[];
  /** node paths deleted by this call: written by an earlier plan, not planned now */
  removed: string[];
  /** changes still waiting for the run phase, including those of earlier config phases */
  pendingChanges: string[];
  timings: StepTiming[];
}

/**
 * Config phase: write the plan's files and delete the files an earlier plan wrote and this one
 * does not, all staged first and committed together; then leave the plan's unit actions and the
 * changed paths (added to any not yet acted on) for the run phase. The pending changes are
 * recorded before the first rename, so a crash at any point leaves the next run knowing which
 * units to restart (at worst it restarts for a change that never landed, and rewrites it).
 */
export async function applyConfigPhase(plan: Plan, options: ConfigPhaseOptions): Promise<ConfigPhaseResult> {
  const now = options.now ?? monotonicMs;
  const start = now();
  const owned = readOwned(options.root);
  const stale = staleFiles(plan, options.root, owned);
  let units = plan.units;
  let pendingChanges: string[] = [];
  let recorded = false;
  let recordMs = 0;
  const record = async (changed: string[], removed: string[]): Promise<void> => {
    const t = now();
    // A state that cannot be read may have held pending changes: count every file as changed.
    const previous = await readRunPhaseState(options.root).catch(() => ({ pendingChanges: plan.files.map((f) => f.path) }));
    units = withRemovedTriggers(plan.units, removed, owned);
    pendingChanges = [...new Set([...(previous?.pendingChanges ?? []), ...changed, ...removed])].filter((p) => p !== OWNED_PATH).sort();
    await writeRunPhaseState(options.root, {
      version: 1,
      units,
      pendingChanges,
      ...(options.configDigest ? { configDigest: options.configDigest } : {}),
    });
    recorded = true;
    recordMs += now() - t;
  };
  const written = await writeFiles([...plan.files, ownedFile(plan)], {
    root: options.root,
    remove: stale,
    beforeCommit: ({ changed, removed }) => record(changed, removed),
  });
  const changed = written.changed.filter((p) => p !== OWNED_PATH);
  const unchanged = written.unchanged.filter((p) => p !== OWNED_PATH);
  const removedNote = written.removed.length > 0 ? `, ${written.removed.length} removed (${written.removed.join(', ')})` : '';
  const timings: StepTiming[] = [
    { step: 'write', ms: Math.round(now() - start - recordMs), detail: `${changed.length} changed, ${unchanged.length} unchanged${removedNote}` },
  ];
  if (!recorded) await record([], []);
  timings.push({ step: 'record run-phase state', ms: Math.round(recordMs), detail: statePath(options.root) });
  return { changed, unchanged, removed: written.removed, pendingChanges, timings };
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
  await writeRunPhaseState(options.root, { ...state, version: 1, units, pendingChanges: [] });
  return { acted, timings };
}
