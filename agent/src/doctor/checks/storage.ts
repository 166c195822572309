import type { LocalStorageState } from '../../apply/local-storage.js';
import { FSTAB_PATH, leftoverFstabNote } from '../../storage/fstab.js';
import { describeStoragePlan, localStorageIntent } from '../../storage/plan.js';
import type { Check, Outcome } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';

const SETUP_HINT =
  'the agent sets local storage up before containerd and the kubelet start (the config phase when it starts them early, else the run phase): see `journalctl -u eks-node-agent-config -u eks-node-agent-run`; ' +
  '`eks-node-agent init --skip config` retries it (stopping containerd and the kubelet while their directories move)';

/** What spec.instance.localStorage asks against what the node has: the disks, the array, the mounts and /etc/fstab. */
export function storageCheck(deps: DoctorDeps): Check {
  return {
    name: 'local-storage',
    needs: ['config'],
    timeoutMs: 2_000,
    async run(ctx) {
      const { source } = ctx.value<ConfigValue>('config');
      return judgeLocalStorage(deps.localStorage(localStorageIntent(source.spec, { sociSnapshotter: deps.sociSnapshotter === true })));
    },
  };
}

export function judgeLocalStorage(state: LocalStorageState): Outcome {
  const { intent, plan, mounts, fstab } = state;
  if (!intent) {
    if (!fstab) return { status: 'ok', detail: 'spec.instance.localStorage is not set: state directories stay on the root disk' };
    return {
      status: 'warn',
      detail: leftoverFstabNote(fstab),
      hint:
        'the agent does not unmount data disks under a running node; to go back to the root disk replace the node (instance-store data ' +
        `does not outlive a stop anyway), or stop the kubelet and containerd, delete the block between the eks-node-agent markers in ${FSTAB_PATH} and reboot`,
    };
  }
  if (state.planError) return { status: 'fail', detail: state.planError, hint: 'fix spec.instance.localStorage in the user data' };
  if (!plan) return { status: 'fail', detail: 'no local storage plan' };
  const left = state.skipped.length > 0 ? `; left alone: ${state.skipped.join('; ')}` : '';
  const summary = describeStoragePlan(plan).replace(/^local storage: /, '');
  if (plan.kind === 'none') {
    const stale = (fstab ?? []).filter((e) => !mounts.has(e.target)).map((e) => e.target);
    if (stale.length > 0) {
      return {
        status: 'warn',
        detail: `${summary}${left}; ${FSTAB_PATH} still names ${stale.join(', ')} from an earlier instance type`,
        hint: `nofail keeps the boot going; delete the block between the eks-node-agent markers in ${FSTAB_PATH} or replace the node`,
      };
    }
    return { status: 'ok', detail: `${summary}${left}` };
  }

  const problems: string[] = [];
  const wanted: string[] = [];
  let found: string;
  if (plan.kind === 'raid') {
    const members = plan.members.map((d) => d.name).join(', ');
    const array = state.array;
    if (!array) problems.push(`no md array holds ${members}`);
    else if (!array.active) problems.push(`md array /dev/${array.md} over ${members} is not running`);
    const arraySource = mounts.get(plan.mountPoint);
    if (arraySource === undefined) problems.push(`${plan.mountPoint} is not a mount`);
    wanted.push(plan.mountPoint);
    for (const b of plan.bindMounts) {
      wanted.push(b.path);
      const from = mounts.get(b.path);
      if (from === undefined) problems.push(`${b.path} is not a mount (configured ${intent.strategy}: expected ${b.source} bound there)`);
      else if (arraySource !== undefined && from !== arraySource) problems.push(`${b.path} is mounted from ${from}, not from the array (${arraySource})`);
    }
    const binds = plan.bindMounts.length > 0 ? `; ${plan.bindMounts.map((b) => b.path).join(', ')} on it` : '';
    found = `RAID${plan.level}${array ? ` /dev/${array.md}` : ''} over ${members} at ${plan.mountPoint}${binds}`;
  } else {
    for (const f of plan.filesystems) {
      wanted.push(f.mountPoint);
      if (!mounts.has(f.mountPoint)) problems.push(`${f.mountPoint} is not a mount (configured Mount: expected ${f.disk.device} there)`);
    }
    found = `Mount ${plan.filesystems.map((f) => `${f.disk.name} at ${f.mountPoint}`).join(', ')}`;
  }
  if (problems.length > 0) return { status: 'fail', detail: `${problems.join('; ')} (asked: ${summary})`, hint: SETUP_HINT };

  const recorded = new Set((fstab ?? []).map((e) => e.target));
  const unrecorded = wanted.filter((t) => !recorded.has(t));
  const extra = [...recorded].filter((t) => !wanted.includes(t));
  const drift = [
    unrecorded.length > 0 ? `not in ${FSTAB_PATH}: ${unrecorded.join(', ')} (a reboot would not mount them)` : '',
    extra.length > 0 ? `${FSTAB_PATH} also mounts ${extra.join(', ')}, which the config does not ask for` : '',
  ].filter(Boolean);
  if (drift.length > 0) return { status: 'warn', detail: `${found}; ${drift.join('; ')}${left}`, hint: SETUP_HINT };
  return { status: 'ok', detail: `${found}, recorded in ${FSTAB_PATH}${left}` };
}
