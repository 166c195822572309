import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, PlannedFile, UnitAction } from '../render/plan.js';

/**
 * The files the agent owns: every path of the last plan it applied, with that plan's unit
 * actions. Kept under /var/lib so it survives reboots: a file the agent wrote once and no longer
 * plans (a drop-in for an environment variable since removed from the user data) is deleted in
 * the next config phase, and the units that read it are restarted as for a changed file.
 */
export const OWNED_PATH = '/var/lib/eks-node-agent/owned-files.json';

export interface Owned {
  version: 1;
  files: string[];
  units: UnitAction[];
}

/** The previous record, or an empty one when there is none or it is not ours (then nothing is removed). */
export function readOwned(root: string): Owned {
  try {
    const parsed = JSON.parse(readFileSync(join(root, OWNED_PATH), 'utf8')) as Partial<Owned>;
    if (parsed.version === 1 && Array.isArray(parsed.files) && parsed.files.every((f) => typeof f === 'string') && Array.isArray(parsed.units)) {
      return parsed as Owned;
    }
  } catch {
    // missing (first boot) or unreadable: nothing is known to be ours
  }
  return { version: 1, files: [], units: [] };
}

export function ownedFile(plan: Pick<Plan, 'files' | 'units'>): PlannedFile {
  const record: Owned = { version: 1, files: plan.files.map((f) => f.path).sort(), units: plan.units };
  return { path: OWNED_PATH, mode: 0o644, content: `${JSON.stringify(record, null, 2)}\n` };
}

/** Paths owned before, not planned now, and still present as regular files: what the config phase will delete. */
export function staleFiles(plan: Pick<Plan, 'files'>, root: string, owned: Owned = readOwned(root)): string[] {
  const planned = new Set([...plan.files.map((f) => f.path), OWNED_PATH]);
  return owned.files
    .filter((p) => p.startsWith('/') && !p.split('/').includes('..') && !planned.has(p))
    .filter((p) => lstatSync(join(root, p), { throwIfNoEntry: false })?.isFile() === true)
    .sort();
}

const sameAction = (a: UnitAction, b: UnitAction): boolean => a.kind === b.kind && ('unit' in a ? a.unit : '') === ('unit' in b ? b.unit : '');

/**
 * The plan's unit actions, each also triggered by the removed files that triggered the same
 * action in the previous plan (a deleted kubelet drop-in restarts kubelet as a changed one would).
 * A reload or re-exec the new plan lacks but a removed file triggered before (the daemon-reload
 * once the last drop-in is gone) is kept for this run, triggered by those files only. A restart
 * the new plan lacks is not: the unit is no longer the plan's to start (the SOCI snapshotter once
 * FastImagePull is off), and starting it for its removed configuration would run it for nothing.
 */
export function withRemovedTriggers(units: UnitAction[], removed: readonly string[], previous: Owned): UnitAction[] {
  if (removed.length === 0) return units;
  const hitsOf = (action: UnitAction | undefined): string[] =>
    action && 'triggeredBy' in action && action.triggeredBy ? removed.filter((p) => action.triggeredBy!.includes(p)) : [];
  const merged = units.map((action) => {
    if (!('triggeredBy' in action) || action.triggeredBy === undefined) return action;
    const extra = hitsOf(previous.units.find((p) => sameAction(p, action)));
    return extra.length > 0 ? { ...action, triggeredBy: [...action.triggeredBy, ...extra] } : action;
  });
  const revived = previous.units
    .filter((p) => !units.some((u) => sameAction(u, p)))
    .map((p) => ({ action: p, hits: hitsOf(p) }))
    .filter((r) => r.hits.length > 0)
    .map(({ action, hits }) => ({ ...action, triggeredBy: hits }) as UnitAction);
  // systemd must reload (or re-exec) before any restart reads the unit files again
  return [...revived.filter((a) => !('unit' in a)), ...merged];
}
