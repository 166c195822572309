import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLocalStorage, inspectLocalStorage } from '../../src/apply/local-storage.js';
import type { NodeConfigSpec } from '../../src/api/schema.js';
import { storageCheck } from '../../src/doctor/checks/storage.js';
import { runChecks } from '../../src/doctor/runner.js';
import type { DoctorDeps } from '../../src/doctor/types.js';
import { localStorageIntent } from '../../src/storage/plan.js';
import { IS_MODEL, fakeKernel, fakeNode } from '../storage/fake-node.js';

/*
 * The doctor reads a fake node root laid out by the run phase's own applier (through a fake
 * kernel that plays mdadm, mkfs and mount), so what it calls healthy is what init leaves.
 */

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'eks-node-doctor-storage-'));
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/fstab'), 'UUID=root / xfs defaults 0 1\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const RAID0: NodeConfigSpec = { instance: { localStorage: { strategy: 'RAID0' } } };
const disks = (n: number) =>
  fakeNode(root, [
    { name: 'nvme0n1', model: 'Amazon Elastic Block Store', partitions: ['nvme0n1p1'] },
    ...Array.from({ length: n }, (_, i) => ({ name: `nvme${i + 1}n1`, model: IS_MODEL })),
  ]);
const setUp = async (spec: NodeConfigSpec) => {
  await applyLocalStorage(localStorageIntent(spec)!, { root, run: fakeKernel(root).run, log: () => undefined });
};
/** the doctor's verdict on the root for a config with this spec, through the check as doctor runs it */
const doctor = async (spec: NodeConfigSpec | undefined) => {
  const config = { apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: spec ?? {} };
  const deps = { localStorage: (intent) => inspectLocalStorage(root, intent) } as Partial<DoctorDeps> as DoctorDeps;
  const results = await runChecks(
    [{ name: 'config', needs: [], timeoutMs: 1_000, run: async () => ({ status: 'ok', detail: '', value: { source: config } }) }, storageCheck(deps)],
    5_000,
  );
  return results.at(-1)!;
};
const dropMount = (target: string) => {
  const mounts = join(root, 'proc/mounts');
  writeFileSync(mounts, readFileSync(mounts, 'utf8').replace(new RegExp(`^\\S+ ${target} .*\\n`, 'm'), ''));
};

describe('doctor: local storage', () => {
  it('passes what the run phase set up: the array, its mount, the bind mounts, all in fstab', async () => {
    disks(2);
    await setUp(RAID0);
    expect(await doctor(RAID0)).toMatchObject({
      name: 'local-storage',
      status: 'ok',
      detail: 'RAID0 /dev/md127 over nvme1n1, nvme2n1 at /mnt/k8s-disks/0; /var/lib/containerd, /var/log/pods, /var/lib/kubelet on it, recorded in /etc/fstab',
    });
  });

  it('fails when /var/lib/containerd is not a mount although RAID0 is configured, naming the expected source', async () => {
    disks(2);
    await setUp(RAID0);
    dropMount('/var/lib/containerd');
    const r = await doctor(RAID0);
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^\/var\/lib\/containerd is not a mount \(configured RAID0: expected \/mnt\/k8s-disks\/0\/containerd bound there\)/);
    expect(r.hint).toContain('eks-node-agent init --skip config');
  });

  it('fails when the run phase never ran: no array, nothing mounted', async () => {
    disks(2);
    const r = await doctor(RAID0);
    expect(r.status).toBe('fail');
    expect(r.detail).toMatch(/^no md array holds nvme1n1, nvme2n1; \/mnt\/k8s-disks\/0 is not a mount; /);
  });

  it('fails a directory bound from somewhere other than the array', async () => {
    disks(2);
    await setUp(RAID0);
    dropMount('/var/lib/kubelet');
    writeFileSync(join(root, 'proc/mounts'), `${readFileSync(join(root, 'proc/mounts'), 'utf8')}/dev/nvme9n1 /var/lib/kubelet ext4 rw 0 0\n`);
    expect((await doctor(RAID0)).detail).toContain('/var/lib/kubelet is mounted from /dev/nvme9n1, not from the array (/dev/md127)');
  });

  it('warns when fstab lacks a mount the config asks for, or holds one it no longer asks for', async () => {
    disks(2);
    await setUp(RAID0);
    const noPodLogs: NodeConfigSpec = { instance: { localStorage: { strategy: 'RAID0', disabledMounts: ['PodLogs'] } } };
    expect(await doctor(noPodLogs)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('/etc/fstab also mounts /var/log/pods, which the config does not ask for'),
    });
    writeFileSync(join(root, 'etc/fstab'), 'UUID=root / xfs defaults 0 1\n');
    expect((await doctor(RAID0)).detail).toContain(
      'not in /etc/fstab: /mnt/k8s-disks/0, /var/lib/containerd, /var/log/pods, /var/lib/kubelet (a reboot would not mount them)',
    );
  });

  it('checks each disk mounted with Mount', async () => {
    disks(2);
    const mount: NodeConfigSpec = { instance: { localStorage: { strategy: 'Mount' } } };
    await setUp(mount);
    expect(await doctor(mount)).toMatchObject({
      status: 'ok',
      detail: 'Mount nvme1n1 at /mnt/k8s-disks/1, nvme2n1 at /mnt/k8s-disks/2, recorded in /etc/fstab',
    });
    dropMount('/mnt/k8s-disks/2');
    expect(await doctor(mount)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^\/mnt\/k8s-disks\/2 is not a mount \(configured Mount: expected \/dev\/nvme2n1 there\)/),
    });
  });

  it('is fine with RAID0 asked on an instance without instance-store disks, and refuses RAID10 over three', async () => {
    disks(0);
    expect(await doctor(RAID0)).toMatchObject({ status: 'ok', detail: expect.stringContaining('no instance-store NVMe disks were found') });
    disks(3);
    const r = await doctor({ instance: { localStorage: { strategy: 'RAID10' } } });
    expect(r).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^spec\.instance\.localStorage\.strategy: RAID10 needs an even number/) });
  });

  it('without localStorage: ok on a plain node, a warning naming the block an earlier config left', async () => {
    disks(2);
    expect(await doctor(undefined)).toMatchObject({ status: 'ok', detail: expect.stringContaining('not set') });
    await setUp(RAID0);
    const r = await doctor(undefined);
    expect(r.status).toBe('warn');
    expect(r.detail).toMatch(
      /^spec\.instance\.localStorage is not set, but \/etc\/fstab still holds the agent's local-storage block .*\(\/mnt\/k8s-disks\/0, \/var\/lib\/containerd, /,
    );
    expect(r.hint).toContain('does not unmount');
  });
});
