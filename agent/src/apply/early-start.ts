import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { UnitAction } from '../render/plan.js';
import { EnvironmentError, describeCause } from '../errors.js';
import { runUnits, type StepTiming } from './run-units.js';
import { readRunPhaseState, statePath, writeRunPhaseState } from './state.js';
import type { Systemctl } from './systemctl.js';
import { monotonicMs } from '../common/clock.js';

/** Scripts baked into an image that cloud-init's final stage runs (its scripts_per_* modules). */
export const CLOUD_INIT_SCRIPT_DIRS = ['/var/lib/cloud/scripts/per-boot', '/var/lib/cloud/scripts/per-instance', '/var/lib/cloud/scripts/per-once'];

export interface EarlyStartInputs {
  root: string;
  /** user-data parts another program acts on (LoadedConfig.otherParts) */
  otherParts: readonly string[];
  units: readonly UnitAction[];
  /**
   * whether a config phase already ran since boot (its run-phase state under /run existed before
   * this one wrote it): then containerd and the kubelet may be running, and the run phase weighs
   * the changes against them. Read from the state, not asked of systemd: on the boot path each
   * systemctl call is a process start, which under emulation costs a second.
   */
  ranBefore: boolean;
}

function scriptCount(dir: string): number {
  try {
    return readdirSync(dir).filter((name) => !name.startsWith('.')).length;
  } catch {
    return 0;
  }
}

/**
 * Why containerd and the kubelet must wait for the run phase, or undefined when nothing can run
 * between the two phases: the run unit waits for cloud-init's final stage only so user-data
 * scripts (and scripts baked into the image for that stage) run before the kubelet starts. Each
 * reason is one line for the journal.
 */
export function earlyStartBlocker(inputs: EarlyStartInputs): string | undefined {
  if (inputs.ranBefore) return 'a config phase already ran since boot (the run phase weighs changes against running units)';
  if (inputs.otherParts.length > 0) return `the user data holds what cloud-init runs first (${inputs.otherParts.join(', ')})`;
  for (const dir of CLOUD_INIT_SCRIPT_DIRS) {
    const count = scriptCount(join(inputs.root, dir));
    if (count > 0) return `${dir} holds ${count} script(s) cloud-init runs first`;
  }
  if (inputs.units.some((a) => a.kind === 'daemon-reexec')) return 'the default environment needs a systemd re-exec, which the run phase does';
  return undefined;
}

/** cloud-init's stages the run unit waits for, in order: the config modules, then the final one that runs user-data scripts. */
const CLOUD_INIT_STAGES = ['cloud-config.service', 'cloud-final.service'];
/** the config unit's own CPUWeight (eks-node-agent-config.service) */
const BOOT_CPU_WEIGHT = 1000;

/**
 * When the start is left to the run phase, the join waits for cloud-init's config and final
 * stages, and they start as the system's other services do (time sync, D-Bus, logind, sshd),
 * with as much claim on the CPU: under TCG the config stage's Python took 5.6-7.7 s to reach its
 * first module beside them, the final stage 2.6-3.8 s once they were up. This gives both stages
 * the config unit's weight, for this boot only (they have not started yet: the config unit is
 * ordered before them). Not when the early start is taken: then containerd and the kubelet
 * start beside those stages, and they must not yield to them. One line for the journal;
 * a unit systemd does not know (an image without cloud-init) is named there, nothing fails.
 */
export async function favourCloudInit(systemctl: Systemctl): Promise<string> {
  const results = await Promise.allSettled(CLOUD_INIT_STAGES.map((unit) => systemctl.setCpuWeight(unit, BOOT_CPU_WEIGHT)));
  const raised: string[] = [];
  const failed: string[] = [];
  results.forEach((r, i) => {
    const unit = CLOUD_INIT_STAGES[i] as string;
    if (r.status === 'fulfilled') raised.push(unit);
    else failed.push(`${unit} (${describeCause(r.reason)})`);
  });
  return [
    raised.length > 0 ? `cloud-init stages the run phase waits for: CPU weight ${BOOT_CPU_WEIGHT} for this boot (${raised.join(', ')})` : '',
    failed.length > 0 ? `CPU weight not raised: ${failed.join('; ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/**
 * The config phase's early start, once earlyStartBlocker found nothing in the way: reload systemd
 * for changed unit drop-ins, then queue the start of every unit the plan restarts and return
 * without waiting. The units' ordering does the rest (containerd after the config unit, the
 * kubelet after containerd's readiness), so they start the moment this unit exits. The changes
 * count as acted on, so the run phase only checks that the units came up (and still reconfigures
 * if its sources changed); `startedEarly` in the state tells a person reading it who started them.
 */
export async function startEarly(root: string, systemctl: Systemctl, now: () => number = monotonicMs): Promise<StepTiming[]> {
  const state = await readRunPhaseState(root);
  if (!state) throw new EnvironmentError(`early start: no plan recorded at ${statePath(root)}`);
  // the reload is the run phase's own step, on the same pending changes
  const reloads = state.units.filter((a) => a.kind === 'daemon-reload');
  const timings = await runUnits(reloads, { systemctl, changed: state.pendingChanges, now });
  const units = state.units.flatMap((a) => (a.kind === 'restart' ? [a.unit] : []));
  const t = now();
  await systemctl.startNoBlock(units);
  timings.push({ step: `queue start ${units.join(' ')}`, ms: Math.round(now() - t), detail: 'they start as this phase ends' });
  await writeRunPhaseState(root, { ...state, pendingChanges: [], startedEarly: units });
  return timings;
}
