import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { InstanceStoreDisk } from '../../src/storage/detect.js';
import {
  chooseFsType,
  describeStoragePlan,
  localStorageIntent,
  mdadmAssembleArgs,
  mdadmCreateArgs,
  mkfsCommand,
  planLocalStorage,
} from '../../src/storage/plan.js';

const disks = (n: number): InstanceStoreDisk[] =>
  Array.from({ length: n }, (_, i) => ({ name: `nvme${i + 1}n1`, device: `/dev/nvme${i + 1}n1`, via: 'model' as const }));

describe('localStorageIntent', () => {
  it('is undefined without a strategy', () => {
    expect(localStorageIntent(undefined)).toBeUndefined();
    expect(localStorageIntent({ instance: { localStorage: { mountPath: '/data' } } })).toBeUndefined();
  });

  it('moves containerd, pod logs and the kubelet onto <mountPath>/0 unless disabled; without the SOCI snapshotter its SOCI entry moves nothing', () => {
    expect(localStorageIntent({ instance: { localStorage: { strategy: 'RAID0' } } })).toEqual({
      strategy: 'RAID0',
      mountDir: '/mnt/k8s-disks',
      bindMounts: [
        { path: '/var/lib/containerd', source: '/mnt/k8s-disks/0/containerd', unit: 'containerd.service' },
        { path: '/var/log/pods', source: '/mnt/k8s-disks/0/pods', unit: 'kubelet.service' },
        { path: '/var/lib/kubelet', source: '/mnt/k8s-disks/0/kubelet', unit: 'kubelet.service' },
      ],
    });
    const i = localStorageIntent({
      instance: { localStorage: { strategy: 'RAID10', mountPath: '/data/', disabledMounts: ['Containerd', 'PodLogs', 'SOCI'] } },
    });
    expect(i?.bindMounts).toEqual([{ path: '/var/lib/kubelet', source: '/data/0/kubelet', unit: 'kubelet.service' }]);
  });

  it("moves the SOCI snapshotter's directory too on an image that has it, unless disabledMounts names SOCI", () => {
    const soci = { sociSnapshotter: true };
    expect(localStorageIntent({ instance: { localStorage: { strategy: 'RAID0' } } }, soci)?.bindMounts.map((b) => [b.path, b.source, b.unit])).toEqual([
      ['/var/lib/containerd', '/mnt/k8s-disks/0/containerd', 'containerd.service'],
      ['/var/log/pods', '/mnt/k8s-disks/0/pods', 'kubelet.service'],
      ['/var/lib/kubelet', '/mnt/k8s-disks/0/kubelet', 'kubelet.service'],
      ['/var/lib/soci-snapshotter-grpc', '/mnt/k8s-disks/0/soci-snapshotter-grpc', 'soci-snapshotter.service'],
    ]);
    const kept = localStorageIntent({ instance: { localStorage: { strategy: 'RAID0', disabledMounts: ['SOCI'] } } }, soci);
    expect(kept?.bindMounts.map((b) => b.path)).toEqual(['/var/lib/containerd', '/var/log/pods', '/var/lib/kubelet']);
    expect(localStorageIntent({ instance: { localStorage: { strategy: 'Mount' } } }, soci)?.bindMounts).toEqual([]);
  });

  it('gives Mount no bind mounts, as the AMI does', () => {
    expect(localStorageIntent({ instance: { localStorage: { strategy: 'Mount' } } })?.bindMounts).toEqual([]);
  });
});

describe('planLocalStorage', () => {
  const raid0 = localStorageIntent({ instance: { localStorage: { strategy: 'RAID0' } } })!;
  const raid10 = localStorageIntent({ instance: { localStorage: { strategy: 'RAID10' } } })!;
  const mount = localStorageIntent({ instance: { localStorage: { strategy: 'Mount' } } })!;

  it('does nothing without disks, in one line', () => {
    const p = planLocalStorage(raid0, [], 'xfs');
    expect(p.kind).toBe('none');
    expect(describeStoragePlan(p)).toBe(
      'local storage: RAID0 requested (→ /mnt/k8s-disks/0; bind mounts: /var/lib/containerd → /mnt/k8s-disks/0/containerd, /var/log/pods → /mnt/k8s-disks/0/pods, /var/lib/kubelet → /mnt/k8s-disks/0/kubelet), but no instance-store NVMe disks were found: nothing to set up',
    );
  });

  it('builds one array over every disk at <mountPath>/0', () => {
    const p = planLocalStorage(raid0, disks(2), 'xfs');
    expect(p).toMatchObject({ kind: 'raid', level: 0, mountPoint: '/mnt/k8s-disks/0', fsType: 'xfs' });
    expect(describeStoragePlan(p)).toBe(
      'local storage: RAID0 over 2 disk(s) (nvme1n1, nvme2n1) → /mnt/k8s-disks/0 (xfs); bind mounts: /var/lib/containerd → /mnt/k8s-disks/0/containerd, /var/log/pods → /mnt/k8s-disks/0/pods, /var/lib/kubelet → /mnt/k8s-disks/0/kubelet',
    );
    expect(describeStoragePlan(planLocalStorage(raid0, disks(1), 'ext4'))).toContain('(ext4: mkfs.xfs is not installed)');
  });

  it('refuses RAID10 over an odd number of disks with one line naming the field', () => {
    expect(planLocalStorage(raid10, disks(2), 'xfs')).toMatchObject({ kind: 'raid', level: 10 });
    expect(planLocalStorage(raid10, disks(4), 'xfs')).toMatchObject({ kind: 'raid', level: 10 });
    for (const n of [1, 3]) {
      expect(() => planLocalStorage(raid10, disks(n), 'xfs')).toThrow(InputError);
      expect(() => planLocalStorage(raid10, disks(n), 'xfs')).toThrow(
        new RegExp(`^spec\\.instance\\.localStorage\\.strategy: RAID10 needs an even number of instance-store disks \\(at least 2\\), this instance has ${n} `),
      );
    }
  });

  it('mounts each disk at <mountPath>/<n> counting from 1 with Mount', () => {
    const p = planLocalStorage(mount, disks(2), 'xfs');
    expect(describeStoragePlan(p)).toBe('local storage: Mount nvme1n1 → /mnt/k8s-disks/1, nvme2n1 → /mnt/k8s-disks/2 (xfs)');
  });
});

describe('command lines', () => {
  it('creates a named 1.2 array that never prompts, and assembles without mdadm.conf', () => {
    expect(mdadmCreateArgs(10, disks(2)).join(' ')).toBe(
      '--create /dev/md/kubernetes --run --force --level=10 --metadata=1.2 --name=kubernetes --raid-devices=2 /dev/nvme1n1 /dev/nvme2n1',
    );
    expect(mdadmAssembleArgs(disks(2)).join(' ')).toBe('--assemble --config=none --run /dev/md/kubernetes /dev/nvme1n1 /dev/nvme2n1');
  });

  it('makes xfs (log stripe unit capped on an array) or ext4', () => {
    expect(mkfsCommand('xfs', '/dev/md127', true)).toEqual({ command: 'mkfs.xfs', args: ['-K', '-l', 'su=8b', '/dev/md127'] });
    expect(mkfsCommand('xfs', '/dev/nvme1n1', false)).toEqual({ command: 'mkfs.xfs', args: ['-K', '/dev/nvme1n1'] });
    expect(mkfsCommand('ext4', '/dev/md127', true)).toEqual({ command: 'mkfs.ext4', args: ['-q', '-F', '-E', 'nodiscard', '/dev/md127'] });
  });

  it('chooses xfs only where mkfs.xfs is installed under the root', () => {
    const root = mkdtempSync(join(tmpdir(), 'eks-node-fs-'));
    try {
      expect(chooseFsType(root)).toBe('ext4');
      mkdirSync(join(root, 'usr/sbin'), { recursive: true });
      writeFileSync(join(root, 'usr/sbin/mkfs.xfs'), '');
      expect(chooseFsType(root)).toBe('xfs');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
