import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The model every EC2 instance-store NVMe disk reports; EBS volumes report "Amazon Elastic Block Store". */
export const INSTANCE_STORE_MODEL = 'Amazon EC2 NVMe Instance Storage';
/** udev's by-id name for such a disk: `nvme-` + the model with spaces as `_` + `_` + serial. */
export const INSTANCE_STORE_BY_ID_PREFIX = `nvme-${INSTANCE_STORE_MODEL.replaceAll(' ', '_')}_`;

const NVME_DISK = /^nvme\d+n\d+$/;

export interface InstanceStoreDisk {
  /** kernel name, e.g. nvme1n1 */
  name: string;
  /** /dev/nvme1n1 */
  device: string;
  /** how it was recognised: the sysfs model, or a udev by-id link */
  via: 'model' | 'by-id';
}

export interface Detection {
  disks: InstanceStoreDisk[];
  /** instance-store disks left alone, each with the reason ("nvme1n1: holds the root filesystem") */
  skipped: string[];
}

/**
 * Finds the instance-store NVMe disks under `root` (the node's `/`): whole NVMe disks whose
 * sysfs model is the instance-store model, or that a udev `by-id` link names as one. Never an
 * EBS volume (its model differs and udev names it `nvme-Amazon_Elastic_Block_Store_…`), never
 * the disk holding `/`, never a partitioned disk (an instance-store disk is blank or ours).
 * Reads only; sorted by kernel name in numeric order so the array's member order is stable.
 */
export function detectInstanceStoreDisks(root: string): Detection {
  const found = new Map<string, InstanceStoreDisk['via']>();
  for (const name of list(join(root, 'sys/block'))) {
    if (NVME_DISK.test(name) && read(join(root, 'sys/block', name, 'device/model')).trim() === INSTANCE_STORE_MODEL) found.set(name, 'model');
  }
  const byId = join(root, 'dev/disk/by-id');
  for (const link of list(byId)) {
    // partitions get their own links, ending in -partN
    if (!link.startsWith(INSTANCE_STORE_BY_ID_PREFIX) || /-part\d+$/.test(link)) continue;
    let target: string;
    try {
      target = basename(readlinkSync(join(byId, link)));
    } catch {
      continue;
    }
    if (NVME_DISK.test(target) && !found.has(target)) found.set(target, 'by-id');
  }

  const rootSource = rootFilesystemSource(root);
  const disks: InstanceStoreDisk[] = [];
  const skipped: string[] = [];
  for (const [name, via] of [...found].sort(([a], [b]) => byNumbers(a, b))) {
    const partitions = list(join(root, 'sys/block', name)).filter((e) => e.startsWith(`${name}p`));
    if (rootSource && (rootSource === name || rootSource.startsWith(`${name}p`))) skipped.push(`${name}: holds the root filesystem`);
    else if (partitions.length > 0) skipped.push(`${name}: has partitions (${partitions.sort().join(', ')}), so it is not a blank instance-store disk`);
    else disks.push({ name, device: `/dev/${name}`, via });
  }
  return { disks, skipped };
}

/** Kernel name of the device mounted at `/` (e.g. nvme0n1p1), from proc/mounts under root. */
function rootFilesystemSource(root: string): string | undefined {
  for (const line of read(join(root, 'proc/mounts')).split('\n')) {
    const [source, target] = line.split(' ');
    if (target === '/' && source?.startsWith('/dev/')) return basename(source);
  }
  return undefined;
}

function byNumbers(a: string, b: string): number {
  const na = a.match(/\d+/g)?.map(Number) ?? [];
  const nb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const d = (na[i] ?? -1) - (nb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The entries of a sysfs or proc directory; none when it is absent or unreadable. */
export function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A sysfs or proc file's text; empty when it is absent or unreadable. */
export function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
