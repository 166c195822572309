import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFiles } from './write-files.js';
import { EnvironmentError, describeCause } from '../errors.js';
import type { UnitAction } from '../render/plan.js';

/**
 * What the config phase leaves for the run phase, which may be another process
 * (eks-node-agent-config.service, then eks-node-agent-run.service): the unit actions of the plan
 * and the files that changed and have not yet been acted on. It lives under /run, so a reboot
 * starts clean, and the run phase needs neither the config nor the facts again.
 */
export const STATE_PATH = '/run/eks-node-agent/run-phase.json';

export interface RunPhaseState {
  version: 1;
  units: UnitAction[];
  /** node paths changed by config phases whose units have not been acted on yet */
  pendingChanges: string[];
  /** digest (FNV-1a 64) of the merged NodeConfig the config phase rendered; the run phase compares its own */
  configDigest?: string;
  /** units the config phase queued to start (its early start), for a person reading the state */
  startedEarly?: string[];
}

export function statePath(root: string): string {
  return join(root, STATE_PATH);
}

/**
 * One of the agent's own state files under `root`: undefined when there is none; an
 * EnvironmentError when it cannot be read, or is not `what` as this agent writes it (`isShape`).
 */
export function readAgentState<T>(file: string, what: string, isShape: (parsed: Partial<T>) => boolean): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EnvironmentError(`reading ${file}: ${describeCause(err)}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as Partial<T> | null;
    if (parsed === null || typeof parsed !== 'object' || !isShape(parsed)) throw new Error('unexpected shape');
    return parsed as T;
  } catch (err) {
    throw new EnvironmentError(`reading ${file}: not ${what} written by this agent (${describeCause(err)}); run the config phase again`, { cause: err });
  }
}

/** undefined when no config phase ran since boot; throws if the file is unreadable or corrupt. */
export async function readRunPhaseState(root: string): Promise<RunPhaseState | undefined> {
  return readAgentState<RunPhaseState>(
    statePath(root),
    'a run-phase state',
    (s) => s.version === 1 && Array.isArray(s.units) && Array.isArray(s.pendingChanges),
  );
}

export async function writeRunPhaseState(root: string, state: RunPhaseState): Promise<void> {
  const file = statePath(root);
  const content = `${JSON.stringify({ ...state, pendingChanges: [...new Set(state.pendingChanges)].sort() }, null, 2)}\n`;
  try {
    await writeFiles([{ path: STATE_PATH, mode: 0o644, content }], { root });
  } catch (err) {
    throw new EnvironmentError(`writing ${file}: ${describeCause(err)}`, { cause: err });
  }
}

export async function removeRunPhaseState(root: string): Promise<void> {
  rmSync(statePath(root), { force: true });
}
