import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { completeCluster, nodeConfig } from '../support/user-data.js';
import { REPO } from '../support/agent.js';
import { startNode, type SimulatedNode } from '../support/node.js';
import { IS_MODEL, fakeNode } from '../../agent/test/storage/fake-node.js';
import { bindEntry, filesystemEntry, mergeFstab } from '../../agent/src/storage/fstab.js';

const userData = (strategy: string | undefined) => nodeConfig({ cluster: completeCluster, ...(strategy ? { instance: { localStorage: { strategy } } } : {}) });

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

async function boot(strategy: string | undefined, disks: number) {
  node = await startNode({ imds: { userData: userData(strategy) } });
  fakeNode(node.root, [
    { name: 'nvme0n1', model: 'Amazon Elastic Block Store', partitions: ['nvme0n1p1'] },
    ...Array.from({ length: disks }, (_, i) => ({ name: `nvme${i + 1}n1`, model: IS_MODEL })),
  ]);
  return node;
}

describe('init with spec.instance.localStorage', () => {
  it('--dry-run says what it would do with the disks under --root and does nothing', async () => {
    const n = await boot('RAID0', 2);
    const before = n.snapshot();
    const r = await n.agent(['init', '--root', n.root, '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^local storage: RAID0 over 2 disk\(s\) \(nvme1n1, nvme2n1\) → \/mnt\/k8s-disks\/0 \(ext4: mkfs\.xfs is not installed\); bind mounts: \/var\/lib\/containerd → /m,
    );
    expect(n.snapshot()).toEqual(before);
    expect(n.systemctlCalls()).toEqual([]);
  });

  it('without instance-store disks: one line, and the node starts as usual', async () => {
    const n = await boot('RAID0', 0);
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('eks-node-agent: local storage:'))).toEqual([
      expect.stringMatching(/but no instance-store NVMe disks were found: nothing to set up$/),
    ]);
    expect(n.systemctlCalls()).toContain('restart kubelet.service');
  });

  it('RAID10 over three disks: exit 1 naming the field, containerd and the kubelet not started', async () => {
    const n = await boot('RAID10', 3);
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /^error: spec\.instance\.localStorage\.strategy: RAID10 needs an even number of instance-store disks \(at least 2\), this instance has 3 /m,
    );
    expect(n.systemctlCalls()).toEqual([]);
  });

  it('a failing mdadm: exit 2 naming the command and its stderr, containerd and the kubelet not started', async () => {
    const n = await boot('RAID0', 2);
    // mdadm TEST DOUBLE: this machine has no md driver to give the agent
    const bin = mkdtempSync(join(tmpdir(), 'eks-node-mdadm-'));
    writeFileSync(join(bin, 'mdadm'), '#!/bin/sh\necho "mdadm: cannot open /dev/nvme1n1: Device or resource busy" >&2\nexit 1\n');
    chmodSync(join(bin, 'mdadm'), 0o755);
    const r = await n
      .agent(['init', '--root', n.root], { PATH: `${bin}:${join(REPO, 'test/doubles')}:${process.env.PATH}` })
      .finally(() => rmSync(bin, { recursive: true, force: true }));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^error: local storage: mdadm --create \/dev\/md\/kubernetes --run --force --level=0 .* \/dev\/nvme1n1 \/dev\/nvme2n1: failed with exit code 1: mdadm: cannot open \/dev\/nvme1n1: Device or resource busy$/m,
    );
    expect(n.systemctlCalls()).toEqual([]);
  });

  it('localStorage removed from the user data: the earlier fstab block and mounts are left alone, and a note says so', async () => {
    const n = await boot(undefined, 2);
    const earlier = mergeFstab('UUID=root / xfs defaults 0 1\n', [
      filesystemEntry('uuid-of-md127', '/mnt/k8s-disks/0', 'xfs'),
      bindEntry('/mnt/k8s-disks/0/kubelet', '/var/lib/kubelet', '/mnt/k8s-disks/0'),
    ]);
    mkdirSync(join(n.root, 'etc'), { recursive: true });
    writeFileSync(join(n.root, 'etc/fstab'), earlier);
    const dry = await n.agent(['init', '--dry-run', '--root', n.root]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^note: spec\.instance\.localStorage is not set, but \/etc\/fstab still holds .*: left in place/m);
    const r = await n.agent(['init', '--root', n.root]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^eks-node-agent: note: spec\.instance\.localStorage is not set, but \/etc\/fstab still holds the agent's local-storage block from an earlier configuration \(\/mnt\/k8s-disks\/0, \/var\/lib\/kubelet\): left in place/m,
    );
    expect(readFileSync(join(n.root, 'etc/fstab'), 'utf8')).toBe(earlier);
    expect(n.systemctlCalls()).toContain('restart kubelet.service');
  });
});
