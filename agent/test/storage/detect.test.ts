import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectInstanceStoreDisks } from '../../src/storage/detect.js';
import { EBS_MODEL, IS_MODEL, fakeNode } from './fake-node.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-node-detect-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('detectInstanceStoreDisks', () => {
  it('finds instance-store disks by model, in numeric order, and never the EBS root volume', () => {
    fakeNode(root, [
      { name: 'nvme0n1', model: EBS_MODEL, partitions: ['nvme0n1p1', 'nvme0n1p128'] },
      { name: 'nvme10n1', model: IS_MODEL },
      { name: 'nvme2n1', model: IS_MODEL },
      { name: 'nvme3n1', model: EBS_MODEL },
    ]);
    const d = detectInstanceStoreDisks(root);
    expect(d.disks).toEqual([
      { name: 'nvme2n1', device: '/dev/nvme2n1', via: 'model' },
      { name: 'nvme10n1', device: '/dev/nvme10n1', via: 'model' },
    ]);
    expect(d.skipped).toEqual([]);
  });

  it('finds them by udev by-id link when the model does not say so, ignoring partition links and EBS links', () => {
    fakeNode(
      root,
      [
        { name: 'nvme0n1', model: 'QEMU NVMe Ctrl', byId: 'nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0' },
        { name: 'nvme1n1', model: 'QEMU NVMe Ctrl', byId: 'nvme-Amazon_EC2_NVMe_Instance_Storage_ekstestis1' },
        { name: 'nvme2n1', model: 'QEMU NVMe Ctrl' },
      ],
      '/dev/vda',
    );
    const d = detectInstanceStoreDisks(root);
    expect(d.disks).toEqual([{ name: 'nvme1n1', device: '/dev/nvme1n1', via: 'by-id' }]);
  });

  it('skips the disk holding / and partitioned disks, saying why', () => {
    fakeNode(root, [
      { name: 'nvme0n1', model: IS_MODEL, partitions: ['nvme0n1p1'] },
      { name: 'nvme1n1', model: IS_MODEL, partitions: ['nvme1n1p1'] },
      { name: 'nvme2n1', model: IS_MODEL },
    ]);
    const d = detectInstanceStoreDisks(root);
    expect(d.disks.map((x) => x.name)).toEqual(['nvme2n1']);
    expect(d.skipped).toEqual(['nvme0n1: holds the root filesystem', 'nvme1n1: has partitions (nvme1n1p1), so it is not a blank instance-store disk']);
  });

  it('finds nothing on a machine without NVMe disks or sysfs', () => {
    expect(detectInstanceStoreDisks(root)).toEqual({ disks: [], skipped: [] });
    fakeNode(root, [{ name: 'vda' }, { name: 'nvme0n1', model: EBS_MODEL }]);
    expect(detectInstanceStoreDisks(root).disks).toEqual([]);
  });
});
