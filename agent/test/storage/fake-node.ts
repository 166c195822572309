import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
