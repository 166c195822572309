import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { NodeConfigSpec } from '../api/schema.js';
import { InputError } from '../errors.js';
import type { InstanceStoreDisk } from './detect.js';
import { SOCI_SNAPSHOTTER_ROOT, SOCI_SNAPSHOTTER_UNIT } from '../facts/soci-snapshotter.js';

export type Strategy = 'RAID0' | 'RAID10' | 'Mount';

/** Where the disks go by default; the array at `<dir>/0`, single disks at `<dir>/1`, `<dir>/2`… as on the AMI. */
export const DEFAULT_MOUNT_DIR = '/mnt/k8s-disks';
/** The md array's name (so `/dev/md/kubernetes`), the one the AMI gives it. */
export const ARRAY_NAME = 'kubernetes';

export interface BindMount {
  /** the directory that moves onto the array, e.g. /var/lib/containerd */
  path: string;
  /** its directory on the array, e.g. /mnt/k8s-disks/0/containerd */
  source: string;
  /** the unit using it, stopped while its directory moves */
  unit: string;
}

/** What the NodeConfig asks for, before anyone looks at the disks: recorded by the config phase. */
export interface LocalStorageIntent {
  strategy: Strategy;
  mountDir: string;
  bindMounts: BindMount[];
}

const BINDS = [
  { path: '/var/lib/containerd', unit: 'containerd.service', disabledBy: 'Containerd' },
  { path: '/var/log/pods', unit: 'kubelet.service', disabledBy: 'PodLogs' },
  { path: '/var/lib/kubelet', unit: 'kubelet.service', disabledBy: undefined },
  // the SOCI snapshotter's snapshots (FastImagePull unpacks images there), on images that have it
  { path: SOCI_SNAPSHOTTER_ROOT, unit: SOCI_SNAPSHOTTER_UNIT, disabledBy: 'SOCI' },
] as const;

export interface IntentOptions {
  /** the image has the SOCI snapshotter (facts/soci-snapshotter.ts): its directory moves too, unless disabledMounts has `SOCI` */
  sociSnapshotter?: boolean;
}

/**
 * The intent of `spec.instance.localStorage`, or undefined when it names no strategy. On an image
 * without the SOCI snapshotter its directory is not moved (there is nothing there to keep), and
 * `SOCI` in disabledMounts has nothing to disable.
 */
export function localStorageIntent(spec: NodeConfigSpec | undefined, options: IntentOptions = {}): LocalStorageIntent | undefined {
  const ls = spec?.instance?.localStorage;
  if (!ls?.strategy) return undefined;
  const mountDir = posix.normalize(ls.mountPath ?? DEFAULT_MOUNT_DIR).replace(/(.)\/$/, '$1');
  const disabled = new Set<string>(ls.disabledMounts ?? []);
  // As on the AMI, only an array gets the state directories; Mount leaves them on the root disk.
  const bindMounts =
    ls.strategy === 'Mount'
      ? []
      : BINDS.filter((b) => (b.disabledBy !== 'SOCI' || options.sociSnapshotter === true) && (!b.disabledBy || !disabled.has(b.disabledBy))).map((b) => ({
          path: b.path,
          source: posix.join(mountDir, '0', posix.basename(b.path)),
          unit: b.unit,
        }));
  return { strategy: ls.strategy, mountDir, bindMounts };
}

export type FsType = 'xfs' | 'ext4';

export interface Filesystem {
  /** the block device, e.g. /dev/nvme1n1, or for an array the device found after assembly */
  device: string;
  mountPoint: string;
  /** the type a new filesystem gets; an existing one is kept whatever it is */
  fsType: FsType;
}

export type StoragePlan =
  | { kind: 'none'; intent: LocalStorageIntent; reason: string }
  | { kind: 'raid'; intent: LocalStorageIntent; level: 0 | 10; members: InstanceStoreDisk[]; fsType: FsType; mountPoint: string; bindMounts: BindMount[] }
  | { kind: 'mount'; intent: LocalStorageIntent; filesystems: Array<Filesystem & { disk: InstanceStoreDisk }> };

/**
 * Pure: what to do with these disks. RAID10 over an odd number of disks (or one) is refused with
 * one line naming the field, since mdadm would either refuse it or build a lopsided array.
 */
export function planLocalStorage(intent: LocalStorageIntent, disks: readonly InstanceStoreDisk[], fsType: FsType): StoragePlan {
  if (disks.length === 0) return { kind: 'none', intent, reason: 'no instance-store NVMe disks were found' };
  if (intent.strategy === 'Mount') {
    return {
      kind: 'mount',
      intent,
      filesystems: disks.map((disk, i) => ({ disk, device: disk.device, mountPoint: posix.join(intent.mountDir, String(i + 1)), fsType })),
    };
  }
  const level = intent.strategy === 'RAID10' ? 10 : 0;
  if (level === 10 && (disks.length < 2 || disks.length % 2 !== 0)) {
    throw new InputError(
      `spec.instance.localStorage.strategy: RAID10 needs an even number of instance-store disks (at least 2), this instance has ${disks.length} (${disks.map((d) => d.name).join(', ')}); use RAID0 or Mount`,
    );
  }
  return { kind: 'raid', intent, level, members: [...disks], fsType, mountPoint: posix.join(intent.mountDir, '0'), bindMounts: intent.bindMounts };
}

/** One line for `init --dry-run`, `config check` and the log. */
export function describeStoragePlan(plan: StoragePlan): string {
  const binds = (b: BindMount[]) => (b.length ? `; bind mounts: ${b.map((m) => `${m.path} → ${m.source}`).join(', ')}` : '; no bind mounts');
  switch (plan.kind) {
    case 'none': {
      const target = plan.intent.strategy === 'Mount' ? `${plan.intent.mountDir}/<n>` : `${plan.intent.mountDir}/0${binds(plan.intent.bindMounts)}`;
      return `local storage: ${plan.intent.strategy} requested (→ ${target}), but ${plan.reason}: nothing to set up`;
    }
    case 'raid':
      return `local storage: RAID${plan.level} over ${plan.members.length} disk(s) (${plan.members.map((d) => d.name).join(', ')}) → ${plan.mountPoint} (${fsNote(plan.fsType)})${binds(plan.bindMounts)}`;
    case 'mount':
      return `local storage: Mount ${plan.filesystems.map((f) => `${f.disk.name} → ${f.mountPoint}`).join(', ')} (${fsNote(plan.filesystems[0]!.fsType)})`;
  }
}

function fsNote(fsType: FsType): string {
  return fsType === 'xfs' ? 'xfs' : 'ext4: mkfs.xfs is not installed';
}

/** xfs as on the AMI; ext4 where the xfs tools are missing (the Debian test base without xfsprogs). */
export function chooseFsType(root: string): FsType {
  return ['usr/sbin', 'sbin', 'usr/bin', 'bin'].some((d) => existsSync(join(root, d, 'mkfs.xfs'))) ? 'xfs' : 'ext4';
}

/** mdadm's command line for a new array: `--run --force` so it never asks, and a single disk may be RAID0. */
export function mdadmCreateArgs(level: 0 | 10, members: readonly InstanceStoreDisk[]): string[] {
  return [
    '--create',
    `/dev/md/${ARRAY_NAME}`,
    '--run',
    '--force',
    `--level=${level}`,
    '--metadata=1.2',
    `--name=${ARRAY_NAME}`,
    `--raid-devices=${members.length}`,
    ...members.map((d) => d.device),
  ];
}

/**
 * Assembles the array from its members named explicitly, with `--config=none` so a stale
 * /etc/mdadm.conf (an ARRAY line with another UUID, baked into an image) cannot block it.
 */
export function mdadmAssembleArgs(members: readonly InstanceStoreDisk[]): string[] {
  return ['--assemble', '--config=none', '--run', `/dev/md/${ARRAY_NAME}`, ...members.map((d) => d.device)];
}

/**
 * mkfs for a blank device. Discard is skipped (instances get their disks trimmed). For xfs on an
 * array the log stripe unit is set to 32k: the array's 512k stripe is over xfs's log limit.
 */
export function mkfsCommand(fsType: FsType, device: string, onArray: boolean): { command: string; args: string[] } {
  if (fsType === 'xfs') return { command: 'mkfs.xfs', args: ['-K', ...(onArray ? ['-l', 'su=8b'] : []), device] };
  return { command: 'mkfs.ext4', args: ['-q', '-F', '-E', 'nodiscard', device] };
}
