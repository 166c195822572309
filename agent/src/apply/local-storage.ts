import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError, describeCause } from '../errors.js';
import { detectInstanceStoreDisks, list, read } from '../storage/detect.js';
import { FSTAB_PATH, bindEntry, filesystemEntry, agentFstabEntries, leftoverFstabNote, mergeFstab, mountTable, type FstabEntry } from '../storage/fstab.js';
import {
  chooseFsType,
  describeStoragePlan,
  mdadmAssembleArgs,
  mdadmCreateArgs,
  mkfsCommand,
  planLocalStorage,
  type FsType,
  type LocalStorageIntent,
  type StoragePlan,
} from '../storage/plan.js';
import type { InstanceStoreDisk } from '../storage/detect.js';
import { firstLine, type RunProcess } from './process.js';
import { readAgentState } from './state.js';
import { writeFiles } from './write-files.js';

/** What the config phase leaves for the run phase about local storage (under /run: each boot decides again). */
export const LOCAL_STORAGE_INTENT_PATH = '/run/eks-node-agent/local-storage.json';

export async function recordLocalStorageIntent(root: string, intent: LocalStorageIntent | undefined): Promise<void> {
  if (!intent) {
    rmSync(join(root, LOCAL_STORAGE_INTENT_PATH), { force: true });
    return;
  }
  await writeFiles([{ path: LOCAL_STORAGE_INTENT_PATH, mode: 0o644, content: `${JSON.stringify(intent, null, 2)}\n` }], { root });
}

export function readLocalStorageIntent(root: string): LocalStorageIntent | undefined {
  return readAgentState<LocalStorageIntent>(
    join(root, LOCAL_STORAGE_INTENT_PATH),
    'a local storage intent',
    (i) => ['RAID0', 'RAID10', 'Mount'].includes(i.strategy ?? '') && typeof i.mountDir === 'string' && Array.isArray(i.bindMounts),
  );
}

/**
 * Left by the local storage step when it changed /etc/fstab, until systemd has read the file
 * again. The step mounts with mount(8) itself, so nothing needs systemd's mount units before
 * containerd and the kubelet start, and a daemon-reload then would hold the boot: systemd runs
 * its generators again and queues no job meanwhile (3.7 s of a 7.4 s step in the VM under
 * emulation, while cloud-init ran). The run phase reloads at its end instead, once they are up,
 * unless a reload for unit files already came after the change. Under /run: a reboot reads the
 * file anyway.
 */
export const FSTAB_RELOAD_PATH = '/run/eks-node-agent/fstab-reload-pending';

export function fstabReloadPending(root: string): boolean {
  return exists(join(root, FSTAB_RELOAD_PATH));
}

export function clearFstabReload(root: string): void {
  rmSync(join(root, FSTAB_RELOAD_PATH), { force: true });
}

/** Pure given the node's files: what the run phase would do on this machine (dry run, config check). */
export function planLocalStorageOn(root: string, intent: LocalStorageIntent): { plan: StoragePlan; skipped: string[] } {
  const detection = detectInstanceStoreDisks(root);
  return { plan: planLocalStorage(intent, detection.disks, chooseFsType(root)), skipped: detection.skipped };
}

/**
 * For a NodeConfig without spec.instance.localStorage: the line saying that an earlier one's
 * fstab block and mounts are left in place (see leftoverFstabNote for why), or undefined.
 */
export function leftoverLocalStorage(root: string): string | undefined {
  const entries = agentFstabEntries(read(join(root, FSTAB_PATH)));
  return entries ? leftoverFstabNote(entries) : undefined;
}

/**
 * The line `config check` and `init --dry-run` print about local storage on the node under
 * `root`: what the run phase would do, or the leftover note; undefined when there is nothing to say.
 */
export function describeLocalStorageOn(root: string, intent: LocalStorageIntent | undefined): string | undefined {
  if (intent) return describeStoragePlan(planLocalStorageOn(root, intent).plan);
  const leftover = leftoverLocalStorage(root);
  return leftover ? `note: ${leftover}` : undefined;
}

/** What is on the node now, for the doctor: read through the same detection and plan as the run phase. */
export interface LocalStorageState {
  intent?: LocalStorageIntent;
  /** what the run phase would do with these disks; undefined without an intent or when it refuses (see planError) */
  plan?: StoragePlan;
  /** why the run phase would refuse (RAID10 over an odd number of disks) */
  planError?: string;
  /** instance-store disks left alone, with the reason */
  skipped: string[];
  /** for an array plan: the md device holding every member, if any */
  array?: { md: string; active: boolean };
  /** mount target -> source, from proc/mounts */
  mounts: Map<string, string>;
  /** the agent's block in /etc/fstab (what a reboot mounts); undefined when there is none */
  fstab?: FstabEntry[];
}

/** Reads only: the disks, the array, the mounts and the agent's fstab block under `root`. */
export function inspectLocalStorage(root: string, intent: LocalStorageIntent | undefined): LocalStorageState {
  const mounts = readMounts(root);
  const fstab = agentFstabEntries(read(join(root, FSTAB_PATH)));
  const state: LocalStorageState = { skipped: [], mounts, ...(fstab ? { fstab } : {}) };
  if (!intent) return state;
  state.intent = intent;
  try {
    const { plan, skipped } = planLocalStorageOn(root, intent);
    state.plan = plan;
    state.skipped = skipped;
    if (plan.kind === 'raid') {
      const array = arrayOf(root, plan.members);
      if (array) state.array = array;
    }
  } catch (err) {
    state.planError = err instanceof Error ? err.message : String(err);
  }
  return state;
}

export interface LocalStorageOptions {
  /** the node's `/`: sysfs, proc/mounts and /etc/fstab are read and written under it */
  root: string;
  run: RunProcess;
  log: (line: string) => void;
  /** wait for udev's event queue before looking at the disks (default: when root is `/`) */
  settleUdev?: boolean;
}

const TIMEOUT = { short: 30_000, settle: 60_000, mdadm: 120_000, mkfs: 10 * 60_000, copy: 30 * 60_000 };

/**
 * The local storage step, before containerd and the kubelet start (the config phase's when it
 * starts them early; the run phase's always, which then finds everything in place): find or build
 * the array (or the single disks' filesystems), record them in /etc/fstab by UUID, mount what is
 * not mounted, and move the state directories onto the array, copying what they already hold.
 * Everything found in place is left alone, so a second run or a reboot changes nothing; blank
 * disks after a stop/start are rebuilt. A failing command throws naming it and its stderr.
 */
export async function applyLocalStorage(intent: LocalStorageIntent, options: LocalStorageOptions): Promise<StoragePlan> {
  const { root, log } = options;
  if (options.settleUdev ?? root === '/') await settleUdev(options);
  const { plan, skipped } = planLocalStorageOn(root, intent);
  for (const s of skipped) log(`local storage: left alone: ${s}`);
  log(describeStoragePlan(plan));
  if (plan.kind === 'none') return plan;

  const exec = async (command: string, args: string[], timeoutMs = TIMEOUT.short, ok: number[] = [0]) => {
    const result = await options.run(command, args, { timeoutMs });
    if (!ok.includes(result.exitCode)) {
      const detail = firstLine(result);
      throw new EnvironmentError(`local storage: ${[command, ...args].join(' ')}: failed with exit code ${result.exitCode}${detail ? `: ${detail}` : ''}`, {
        cause: result,
      });
    }
    return result;
  };

  const entries: FstabEntry[] = [];
  const filesystems: Array<{ device: string; mountPoint: string; type: string }> = [];
  if (plan.kind === 'raid') {
    const device = await ensureArray(plan.level, plan.members, options, exec);
    const fs = await ensureFilesystem(device, plan.fsType, true, exec, log);
    entries.push(filesystemEntry(fs.uuid, plan.mountPoint, fs.type));
    filesystems.push({ device, mountPoint: plan.mountPoint, type: fs.type });
    for (const b of plan.bindMounts) entries.push(bindEntry(b.source, b.path, plan.mountPoint));
  } else {
    for (const f of plan.filesystems) {
      const fs = await ensureFilesystem(f.device, f.fsType, false, exec, log);
      entries.push(filesystemEntry(fs.uuid, f.mountPoint, fs.type));
      filesystems.push({ device: f.device, mountPoint: f.mountPoint, type: fs.type });
    }
  }

  if (await writeFstab(root, entries)) {
    log(`local storage: wrote ${entries.length} line(s) to ${FSTAB_PATH}`);
    // systemd reads the file again later (fstabReloadPending): the mounts below need no unit
    await writeFiles([{ path: FSTAB_RELOAD_PATH, mode: 0o644, content: `${FSTAB_PATH} changed; systemd not yet reloaded\n` }], { root });
  }

  let mounted = readMounts(root);
  for (const f of filesystems) {
    if (mounted.has(f.mountPoint)) continue;
    mkdirSync(join(root, f.mountPoint), { recursive: true, mode: 0o755 });
    await exec('mount', ['-t', f.type, '-o', 'defaults,noatime', f.device, f.mountPoint]);
    log(`local storage: mounted ${f.device} at ${f.mountPoint}`);
  }

  if (plan.kind === 'raid') {
    mounted = readMounts(root);
    const pending = plan.bindMounts.filter((b) => !mounted.has(b.path));
    // A unit running on the old directory would keep writing there: stop it; the run phase starts it again.
    for (const unit of [...new Set(pending.map((b) => b.unit))]) {
      const active = await exec('systemctl', ['--quiet', 'is-active', unit], TIMEOUT.short, [0, 1, 2, 3, 4]);
      if (active.exitCode === 0) {
        await exec('systemctl', ['stop', unit], 120_000);
        log(`local storage: stopped ${unit} while its directory moves`);
      }
    }
    for (const b of pending) {
      const fresh = !exists(join(root, b.source));
      mkdirSync(join(root, b.source), { recursive: true, mode: 0o755 });
      mkdirSync(join(root, b.path), { recursive: true, mode: 0o755 });
      // Only into a new directory: once on the array, the array's copy is the one in use.
      if (fresh && readdirSync(join(root, b.path)).length > 0) {
        await exec('cp', ['-a', `${b.path}/.`, `${b.source}/`], TIMEOUT.copy);
        log(`local storage: copied ${b.path} to ${b.source}`);
      }
      await exec('mount', ['--bind', b.source, b.path]);
      log(`local storage: bind-mounted ${b.source} at ${b.path}`);
    }
  }
  return plan;
}

type Exec = (command: string, args: string[], timeoutMs?: number, ok?: number[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/**
 * Early in boot (the config phase) udev may still be handling the disks' events: their by-id
 * links, or its incremental assembly of an array from a previous boot, which must not race our
 * own mdadm calls. So the step waits for udev's queue to empty first (at once when it is empty,
 * as it is by the run phase). Never a reason to fail: without udev there is nothing to wait for.
 */
async function settleUdev(options: LocalStorageOptions): Promise<void> {
  try {
    const r = await options.run('udevadm', ['settle', `--timeout=${TIMEOUT.settle / 1000}`], { timeoutMs: TIMEOUT.settle + 10_000 });
    if (r.exitCode !== 0) options.log(`local storage: note: udevadm settle exited ${r.exitCode}${firstLine(r) ? `: ${firstLine(r)}` : ''}; going on`);
  } catch (err) {
    options.log(`local storage: note: ${describeCause(err)}; going on`);
  }
}

/** The md device holding every member, from sysfs `holders`, with whether it runs. */
function arrayOf(root: string, members: readonly InstanceStoreDisk[]): { md: string; active: boolean } | undefined {
  const holders = members.map((d) => list(join(root, 'sys/block', d.name, 'holders')).filter((h) => /^md\d+$/.test(h)));
  const md = holders[0]?.[0];
  if (!md || !holders.every((h) => h.length === 1 && h[0] === md)) return undefined;
  const state = read(join(root, 'sys/block', md, 'md/array_state')).trim();
  return { md, active: state !== '' && state !== 'inactive' && state !== 'clear' };
}

async function ensureArray(level: 0 | 10, members: InstanceStoreDisk[], options: LocalStorageOptions, exec: Exec): Promise<string> {
  const { root, log } = options;
  const found = arrayOf(root, members);
  if (found?.active) {
    log(`local storage: array /dev/${found.md} over ${members.map((d) => d.name).join(', ')} is already running`);
    return `/dev/${found.md}`;
  }
  // udev's incremental assembly can leave a half-assembled, inactive array holding the disks
  const partial = new Set(members.flatMap((d) => list(join(root, 'sys/block', d.name, 'holders')).filter((h) => /^md\d+$/.test(h))));
  for (const md of partial) await exec('mdadm', ['--stop', `/dev/${md}`], TIMEOUT.mdadm);

  const assembled = await exec('mdadm', mdadmAssembleArgs(members), TIMEOUT.mdadm, [0, 1, 2]);
  let now = assembled.exitCode === 0 ? arrayOf(root, members) : undefined;
  if (now) {
    log(`local storage: assembled the existing array /dev/${now.md}`);
  } else {
    // Create only over blank disks (a new instance, or disks that came back empty after a
    // stop/start): members that still carry md metadata but did not assemble hold an array
    // someone may want back, and recreating it would wipe it.
    const carrying = [];
    for (const d of members) if ((await exec('mdadm', ['--examine', d.device], TIMEOUT.short, [0, 1, 2])).exitCode === 0) carrying.push(d.device);
    if (carrying.length > 0) {
      throw new EnvironmentError(
        `local storage: ${carrying.join(', ')} carry md metadata, but mdadm ${mdadmAssembleArgs(members).join(' ')} failed: ${firstLine(assembled) || `exit code ${assembled.exitCode}`}; not recreating the array over them`,
      );
    }
    await exec('mdadm', mdadmCreateArgs(level, members), TIMEOUT.mdadm);
    now = arrayOf(root, members);
    if (!now) throw new EnvironmentError(`local storage: mdadm --create succeeded, but no md device holds ${members.map((d) => d.device).join(', ')}`);
    log(`local storage: created RAID${level} /dev/${now.md} over ${members.map((d) => d.device).join(', ')}`);
  }
  return `/dev/${now.md}`;
}

async function ensureFilesystem(
  device: string,
  fsType: FsType,
  onArray: boolean,
  exec: Exec,
  log: (l: string) => void,
): Promise<{ uuid: string; type: string }> {
  // -p probes the device itself: the blkid cache may still describe the disk before it was blanked
  const probe = async () => parseBlkid((await exec('blkid', ['-p', '-o', 'export', device], TIMEOUT.short, [0, 2])).stdout);
  const existing = await probe();
  if (existing.uuid && existing.type) return { uuid: existing.uuid, type: existing.type };
  const mkfs = mkfsCommand(fsType, device, onArray);
  await exec(mkfs.command, mkfs.args, TIMEOUT.mkfs);
  log(`local storage: made ${fsType} on ${device}${fsType === 'ext4' ? ' (mkfs.xfs is not installed)' : ''}`);
  const made = await probe();
  if (!made.uuid || !made.type) throw new EnvironmentError(`local storage: blkid finds no filesystem UUID on ${device} after ${mkfs.command}`);
  return { uuid: made.uuid, type: made.type };
}

/** UUID and TYPE from `blkid -o export`; a raid member or an empty device has neither. */
export function parseBlkid(text: string): { uuid?: string; type?: string } {
  const fields = Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.split('=', 2) as [string, string])
      .filter(([k, v]) => k && v !== undefined),
  );
  const type = fields.TYPE;
  if (!type || type === 'linux_raid_member') return {};
  return { uuid: fields.UUID, type };
}

async function writeFstab(root: string, entries: FstabEntry[]): Promise<boolean> {
  const file = join(root, FSTAB_PATH);
  let existing = '';
  let mode = 0o644;
  try {
    existing = readFileSync(file, 'utf8');
    mode = lstatSync(file).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new EnvironmentError(`reading ${file}: ${describeCause(err)}`, { cause: err });
  }
  const content = mergeFstab(existing, entries);
  if (content === existing) return false;
  await writeFiles([{ path: FSTAB_PATH, mode, content }], { root });
  return true;
}

function readMounts(root: string): Map<string, string> {
  return mountTable(read(join(root, 'proc/mounts')));
}

function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}
