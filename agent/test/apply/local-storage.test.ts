import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyLocalStorage,
  LOCAL_STORAGE_INTENT_PATH,
  clearFstabReload,
  fstabReloadPending,
  parseBlkid,
  readLocalStorageIntent,
  recordLocalStorageIntent,
} from '../../src/apply/local-storage.js';
import type { RunProcess } from '../../src/apply/process.js';
import { EnvironmentError, InputError } from '../../src/errors.js';
import { localStorageIntent } from '../../src/storage/plan.js';
import { IS_MODEL, fakeKernel, fakeNode } from '../storage/fake-node.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-node-local-storage-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const raid0 = localStorageIntent({ instance: { localStorage: { strategy: 'RAID0' } } })!;
const twoDisks = () =>
  fakeNode(root, [
    { name: 'nvme0n1', model: 'Amazon Elastic Block Store', partitions: ['nvme0n1p1'] },
    { name: 'nvme1n1', model: IS_MODEL },
    { name: 'nvme2n1', model: IS_MODEL },
  ]);

describe('applyLocalStorage', () => {
  it('creates, formats and mounts RAID0, records it in fstab by UUID, moves the state directories keeping their contents', async () => {
    twoDisks();
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/fstab'), 'UUID=root / xfs defaults 0 1\n');
    mkdirSync(join(root, 'var/lib/containerd'), { recursive: true });
    writeFileSync(join(root, 'var/lib/containerd/pause.tar'), 'image');
    mkdirSync(join(root, 'usr/sbin'), { recursive: true });
    writeFileSync(join(root, 'usr/sbin/mkfs.xfs'), '');
    const k = fakeKernel(root, { active: ['containerd.service'] });
    const log: string[] = [];
    const plan = await applyLocalStorage(raid0, { root, run: k.run, log: (l) => log.push(l) });
    expect(plan.kind).toBe('raid');
    expect(k.calls).toEqual([
      'mdadm --assemble --config=none --run /dev/md/kubernetes /dev/nvme1n1 /dev/nvme2n1',
      'mdadm --examine /dev/nvme1n1',
      'mdadm --examine /dev/nvme2n1',
      'mdadm --create /dev/md/kubernetes --run --force --level=0 --metadata=1.2 --name=kubernetes --raid-devices=2 /dev/nvme1n1 /dev/nvme2n1',
      'blkid -p -o export /dev/md127',
      'mkfs.xfs -K -l su=8b /dev/md127',
      'blkid -p -o export /dev/md127',
      'mount -t xfs -o defaults,noatime /dev/md127 /mnt/k8s-disks/0',
      'systemctl --quiet is-active containerd.service',
      'systemctl stop containerd.service',
      'systemctl --quiet is-active kubelet.service',
      'cp -a /var/lib/containerd/. /mnt/k8s-disks/0/containerd/',
      'mount --bind /mnt/k8s-disks/0/containerd /var/lib/containerd',
      'mount --bind /mnt/k8s-disks/0/pods /var/log/pods',
      'mount --bind /mnt/k8s-disks/0/kubelet /var/lib/kubelet',
    ]);
    const fstab = readFileSync(join(root, 'etc/fstab'), 'utf8');
    expect(fstab).toMatch(/^UUID=root \/ xfs defaults 0 1\n# BEGIN eks-node-agent/);
    expect(fstab).toContain('\nUUID=uuid-of-md127 /mnt/k8s-disks/0 xfs defaults,noatime,nofail,');
    expect(fstab).toContain('\n/mnt/k8s-disks/0/containerd /var/lib/containerd none bind,nofail,');
    expect(readFileSync(join(root, 'mnt/k8s-disks/0/containerd/copied-from'), 'utf8')).toBe('/var/lib/containerd/.');
    expect(log[0]).toMatch(/^local storage: RAID0 over 2 disk\(s\) \(nvme1n1, nvme2n1\) → \/mnt\/k8s-disks\/0 \(xfs\)/);
    expect(log).toContain('local storage: stopped containerd.service while its directory moves');
    // systemd reads the new fstab later, in the run phase, once containerd and the kubelet are up
    expect(fstabReloadPending(root)).toBe(true);
    clearFstabReload(root);

    // second run: array running, filesystem there, fstab current, everything mounted: only looks
    k.calls.length = 0;
    await applyLocalStorage(raid0, { root, run: k.run, log: () => undefined });
    expect(k.calls).toEqual(['blkid -p -o export /dev/md127']);
    expect(fstabReloadPending(root)).toBe(false);
  });

  it('after a reboot assembles the existing array (even with a stale mdadm.conf) and neither creates nor formats', async () => {
    twoDisks();
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/mdadm.conf'), 'ARRAY /dev/md/kubernetes metadata=1.2 UUID=00000000:00000000:00000000:00000000\n');
    const k = fakeKernel(root, { blank: false });
    k.filesystems.set('/dev/md127', 'kept');
    await applyLocalStorage(raid0, { root, run: k.run, log: () => undefined });
    expect(k.calls.filter((c) => /^(mdadm|mkfs)/.test(c))).toEqual(['mdadm --assemble --config=none --run /dev/md/kubernetes /dev/nvme1n1 /dev/nvme2n1']);
    expect(readFileSync(join(root, 'etc/fstab'), 'utf8')).toContain('UUID=kept /mnt/k8s-disks/0 xfs');
    expect(readFileSync(join(root, 'etc/mdadm.conf'), 'utf8')).toContain('UUID=00000000');
  });

  it("on the node's own root waits for udev's queue before looking at the disks, and goes on when udevadm fails or is missing", async () => {
    twoDisks();
    const k = fakeKernel(root, { blank: false });
    k.filesystems.set('/dev/md127', 'kept');
    await applyLocalStorage(raid0, { root, run: k.run, log: () => undefined, settleUdev: true });
    expect(k.calls.slice(0, 2)).toEqual(['udevadm settle --timeout=60', 'mdadm --assemble --config=none --run /dev/md/kubernetes /dev/nvme1n1 /dev/nvme2n1']);

    for (const settle of [
      async () => ({ exitCode: 1, stdout: '', stderr: 'udevadm: timed out' }),
      async () => {
        throw new EnvironmentError('udevadm settle --timeout=60: could not run udevadm: spawn udevadm ENOENT');
      },
    ]) {
      const log: string[] = [];
      const calls: string[] = [];
      const run: RunProcess = (c, a, o) => {
        if (c === 'udevadm') return settle();
        calls.push(c);
        return k.run(c, a, o);
      };
      const plan = await applyLocalStorage(raid0, { root, run, log: (l) => log.push(l), settleUdev: true });
      expect(plan.kind).toBe('raid');
      expect(log[0]).toMatch(
        /^local storage: note: (udevadm settle exited 1: udevadm: timed out|udevadm settle --timeout=60: could not run udevadm: .*ENOENT); going on$/,
      );
      expect(calls[0]).toBe('blkid');
    }
  });

  it('never recreates over disks that carry md metadata but did not assemble', async () => {
    twoDisks();
    const k = fakeKernel(root, { superblocks: true });
    await expect(applyLocalStorage(raid0, { root, run: k.run, log: () => undefined })).rejects.toThrow(
      'local storage: /dev/nvme1n1, /dev/nvme2n1 carry md metadata, but mdadm --assemble --config=none --run /dev/md/kubernetes /dev/nvme1n1 /dev/nvme2n1 failed: mdadm: no recogniseable superblock on /dev/nvme1n1; not recreating the array over them',
    );
    expect(k.calls.some((c) => c.startsWith('mdadm --create'))).toBe(false);
  });

  it('stops a half-assembled inactive array before assembling', async () => {
    twoDisks();
    mkdirSync(join(root, 'sys/block/md127/md'), { recursive: true });
    writeFileSync(join(root, 'sys/block/md127/md/array_state'), 'inactive\n');
    mkdirSync(join(root, 'sys/block/nvme1n1/holders/md127'), { recursive: true });
    const k = fakeKernel(root, { blank: false });
    const run: RunProcess = async (c, a, o) => {
      if (c !== 'mdadm' || a[0] !== '--stop') return k.run(c, a, o);
      k.calls.push(`${c} ${a.join(' ')}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    await applyLocalStorage(raid0, { root, run, log: () => undefined });
    expect(k.calls.slice(0, 2)).toEqual(['mdadm --stop /dev/md127', 'mdadm --assemble --config=none --run /dev/md/kubernetes /dev/nvme1n1 /dev/nvme2n1']);
  });

  it('formats each disk with ext4 when mkfs.xfs is missing, and mounts them at <dir>/1, <dir>/2 with Mount', async () => {
    twoDisks();
    const k = fakeKernel(root);
    const log: string[] = [];
    await applyLocalStorage(localStorageIntent({ instance: { localStorage: { strategy: 'Mount' } } })!, { root, run: k.run, log: (l) => log.push(l) });
    expect(k.calls).toContain('mkfs.ext4 -q -F -E nodiscard /dev/nvme1n1');
    expect(k.calls).toContain('mount -t xfs -o defaults,noatime /dev/nvme2n1 /mnt/k8s-disks/2');
    expect(k.calls.some((c) => c.startsWith('mdadm') || c.includes('--bind'))).toBe(false);
    expect(log).toContain('local storage: made ext4 on /dev/nvme1n1 (mkfs.xfs is not installed)');
  });

  it('says so in one line and runs nothing without instance-store disks', async () => {
    fakeNode(root, [{ name: 'nvme0n1', model: 'Amazon Elastic Block Store' }]);
    const k = fakeKernel(root);
    const log: string[] = [];
    expect((await applyLocalStorage(raid0, { root, run: k.run, log: (l) => log.push(l) })).kind).toBe('none');
    expect(k.calls).toEqual([]);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^local storage: RAID0 requested .* but no instance-store NVMe disks were found: nothing to set up$/);
  });

  it('names the failing command and its stderr, and mounts nothing after it', async () => {
    twoDisks();
    const k = fakeKernel(root, { fail: 'mkfs.ext4' });
    const err = await applyLocalStorage(raid0, { root, run: k.run, log: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toBe('local storage: mkfs.ext4 -q -F -E nodiscard /dev/md127: failed with exit code 1: mkfs.ext4: it broke');
    expect(k.calls.some((c) => c.startsWith('mount'))).toBe(false);
    expect(existsSync(join(root, 'etc/fstab'))).toBe(false);
  });

  it('refuses RAID10 over three disks before running anything', async () => {
    fakeNode(
      root,
      [1, 2, 3].map((i) => ({ name: `nvme${i}n1`, model: IS_MODEL })),
    );
    const k = fakeKernel(root);
    const intent = localStorageIntent({ instance: { localStorage: { strategy: 'RAID10' } } })!;
    await expect(applyLocalStorage(intent, { root, run: k.run, log: () => undefined })).rejects.toThrow(InputError);
    expect(k.calls).toEqual([]);
  });
});

describe('intent file and blkid', () => {
  it('round-trips the intent through /run and removes it when the config has none', async () => {
    await recordLocalStorageIntent(root, raid0);
    expect(readLocalStorageIntent(root)).toEqual(raid0);
    await recordLocalStorageIntent(root, undefined);
    expect(readLocalStorageIntent(root)).toBeUndefined();
  });

  it('names an intent file it did not write (damaged, or another shape) and says to run the config phase again', async () => {
    await recordLocalStorageIntent(root, raid0);
    const file = join(root, LOCAL_STORAGE_INTENT_PATH);
    for (const text of ['{"strategy": "RAID', 'null', '[]', '{"strategy": "RAID5", "mountDir": "/mnt", "bindMounts": []}']) {
      writeFileSync(file, text);
      expect(() => readLocalStorageIntent(root), text).toThrow(
        new RegExp(`^reading ${file}: not a local storage intent written by this agent \\(.*\\); run the config phase again$`),
      );
    }
  });

  it('treats a raid member signature as no filesystem', () => {
    expect(parseBlkid('UUID=a\nTYPE=linux_raid_member\n')).toEqual({});
    expect(parseBlkid('DEVNAME=/dev/md127\nUUID=abc-1\nTYPE=xfs\n')).toEqual({ uuid: 'abc-1', type: 'xfs' });
  });
});
