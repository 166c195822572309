import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessResult, RunProcess } from '../../src/apply/process.js';

export const EBS_MODEL = 'Amazon Elastic Block Store';
export const IS_MODEL = 'Amazon EC2 NVMe Instance Storage';

export interface FakeDisk {
  name: string;
  /** sysfs device/model; sysfs pads it with spaces, as here */
  model?: string;
  /** a udev by-id link of this name pointing at the disk */
  byId?: string;
  partitions?: string[];
}

/** A node's sysfs, udev links and mounts table under `root`, as the kernel and udev lay them out. */
export function fakeNode(root: string, disks: FakeDisk[], rootSource = '/dev/nvme0n1p1'): void {
  for (const d of disks) {
    mkdirSync(join(root, 'sys/block', d.name, 'device'), { recursive: true });
    mkdirSync(join(root, 'sys/block', d.name, 'holders'), { recursive: true });
    if (d.model !== undefined) writeFileSync(join(root, 'sys/block', d.name, 'device/model'), `${d.model.padEnd(40)}\n`);
    for (const p of d.partitions ?? []) mkdirSync(join(root, 'sys/block', d.name, p), { recursive: true });
    if (d.byId) {
      mkdirSync(join(root, 'dev/disk/by-id'), { recursive: true });
      symlinkSync(`../../${d.name}`, join(root, 'dev/disk/by-id', d.byId));
    }
  }
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/mounts'), `${rootSource} / xfs rw,noatime 0 0\nproc /proc proc rw 0 0\n`);
}

const ok = (stdout = ''): ProcessResult => ({ exitCode: 0, stdout, stderr: '' });

/**
 * A runner that plays the kernel's part in the fake tree (an md device appears in sysfs, a
 * filesystem gets a UUID, a mount appears in proc/mounts) and records every command. Any
 * command it does not know throws, so an unexpected call fails the test.
 */
export function fakeKernel(root: string, options: { blank?: boolean; fail?: string; active?: string[]; superblocks?: boolean } = {}) {
  const calls: string[] = [];
  const filesystems = new Map<string, string>();
  const active = new Set(options.active ?? []);
  const makeArray = (members: string[]) => {
    mkdirSync(join(root, 'sys/block/md127/md'), { recursive: true });
    writeFileSync(join(root, 'sys/block/md127/md/array_state'), 'clean\n');
    for (const m of members) mkdirSync(join(root, 'sys/block', m.replace('/dev/', ''), 'holders/md127'), { recursive: true });
  };
  const run: RunProcess = async (command, args) => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    if (options.fail && line.startsWith(options.fail)) return { exitCode: 1, stdout: '', stderr: `${command}: it broke\nsecond line` };
    const members = args.filter((a) => a.startsWith('/dev/nvme'));
    switch (command) {
      case 'mdadm':
        if (args[0] === '--assemble') {
          if (options.blank !== false) return { exitCode: 1, stdout: '', stderr: 'mdadm: no recogniseable superblock on /dev/nvme1n1' };
          makeArray(members);
          return ok();
        }
        if (args[0] === '--examine')
          return options.superblocks ? ok('/dev/nvme1n1:\n  Magic : a92b4efc\n') : { exitCode: 1, stdout: '', stderr: 'mdadm: No md superblock detected' };
        if (args[0] === '--create') {
          makeArray(members);
          return ok();
        }
        break;
      case 'blkid': {
        const dev = args.at(-1)!;
        const fs = filesystems.get(dev);
        return fs ? ok(`DEVNAME=${dev}\nUUID=${fs}\nTYPE=xfs\n`) : { exitCode: 2, stdout: '', stderr: '' };
      }
      case 'mkfs.xfs':
      case 'mkfs.ext4':
        filesystems.set(args.at(-1)!, `uuid-of-${args.at(-1)!.replace('/dev/', '')}`);
        return ok();
      case 'mount': {
        const target = args.at(-1)!;
        // a bind mount shows the device of the filesystem holding its source, as the kernel shows it
        const source = args[0] === '--bind' ? boundDevice(root, args.at(-2)!) : args.at(-2);
        appendFileSync(join(root, 'proc/mounts'), `${source} ${target} xfs rw 0 0\n`);
        return ok();
      }
      case 'udevadm':
        if (args[0] === 'settle') return ok();
        break;
      case 'cp':
        // cp -a SRC/. DST/
        writeFileSync(join(root, args[2]!, 'copied-from'), args[1]!);
        return ok();
      case 'systemctl':
        if (args[0] === 'daemon-reload') return ok();
        if (args[1] === 'is-active') return { exitCode: active.has(args[2]!) ? 0 : 3, stdout: '', stderr: '' };
        if (args[0] === 'stop') {
          active.delete(args[1]!);
          return ok();
        }
        break;
    }
    throw new Error(`fake kernel: unexpected command ${line}`);
  };
  return { run, calls, filesystems };
}

/** The device of the deepest mount holding `path`, from the fake proc/mounts. */
function boundDevice(root: string, path: string): string {
  let best = { target: '', source: 'rootfs' };
  for (const line of readFileSync(join(root, 'proc/mounts'), 'utf8').split('\n')) {
    const [source = '', target = ''] = line.split(' ');
    if ((path === target || path.startsWith(`${target.replace(/\/$/, '')}/`)) && target.length > best.target.length) best = { target, source };
  }
  return best.source;
}
