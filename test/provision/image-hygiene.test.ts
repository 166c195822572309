import { mkdir, mkdtemp, readFile, rm, writeFile, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';

// cleanup.sh and validate-clean.sh on a directory laid out like a used build machine.
const CLEANUP = path.resolve('scripts/provision/cleanup.sh');
const VALIDATE = path.resolve('scripts/provision/validate-clean.sh');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'image-hygiene-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(rel: string, content = 'x\n'): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

async function dirtyRoot(): Promise<void> {
  await put('etc/machine-id', '0123456789abcdef0123456789abcdef\n');
  await put('var/lib/dbus/machine-id', '0123456789abcdef0123456789abcdef\n');
  await put('etc/ssh/ssh_host_ed25519_key');
  await put('etc/ssh/ssh_host_ed25519_key.pub');
  await put('etc/ssh/sshd_config', 'PermitRootLogin no\n');
  await put('root/.ssh/authorized_keys');
  await put('home/ec2-user/.ssh/authorized_keys');
  await put('home/ec2-user/.bash_history');
  await put('var/lib/cloud/instance/user-data.txt');
  await put('var/lib/eks-node/boot-interfaces', '0e:12:34:56:78:9a\n');
  await put('var/log/cloud-init.log');
  await put('var/log/dnf.log');
  await put('var/log/messages-20250101');
  await put('var/log/journal/abc/system@0001.journal');
  await put('var/cache/dnf/packages.db');
  await put('var/cache/apt/archives/containerd_1.6.20_amd64.deb');
  await put('var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease');
  await put('var/lib/apt/lists/lock', '');
  await put('tmp/eks-node/agent/eks-node-agent');
  await put('etc/eks/release', 'KUBELET_VERSION=v1.33.1\n');
}

const run = (script: string) => execa('bash', [script], { reject: false, env: { TARGET_ROOT: root } });

describe('validate-clean.sh', () => {
  it('lists every leftover and fails', async () => {
    await dirtyRoot();
    const result = await run(VALIDATE);
    expect(result.exitCode).toBe(1);
    const listed = result.stderr
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean);
    expect(listed).toEqual([
      'machine-id: /etc/machine-id is not empty',
      'machine-id: /var/lib/dbus/machine-id',
      'SSH host key: /etc/ssh/ssh_host_ed25519_key',
      'SSH host key: /etc/ssh/ssh_host_ed25519_key.pub',
      'authorized_keys: /root/.ssh/authorized_keys',
      'authorized_keys: /home/ec2-user/.ssh/authorized_keys',
      'shell history: /home/ec2-user/.bash_history',
      'cloud-init state: /var/lib/cloud/instance',
      'boot interface record: /var/lib/eks-node/boot-interfaces',
      'cloud-init log: /var/log/cloud-init.log',
      'package cache: /var/cache/dnf/packages.db',
      'package cache: /var/cache/apt/archives/containerd_1.6.20_amd64.deb',
      'upload directory: /tmp/eks-node',
      'package index: /var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease',
      'log: /var/log/cloud-init.log',
      'log: /var/log/dnf.log',
      'log: /var/log/journal/abc/system@0001.journal',
      'log: /var/log/messages-20250101',
    ]);
    expect(result.stderr.split('\n')[0]).toBe('validate-clean: the image still holds 18 thing(s) cleanup.sh must remove:');
  });

  it('passes after cleanup.sh, which keeps configuration and the image record', async () => {
    await dirtyRoot();
    const cleanup = await run(CLEANUP);
    expect(cleanup.stderr).toBe('');
    expect(cleanup.exitCode).toBe(0);
    const result = await run(VALIDATE);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    // An empty machine-id, not a missing one: systemd then makes a new one at first boot.
    expect(await readFile(path.join(root, 'etc/machine-id'), 'utf8')).toBe('');
    expect(await readFile(path.join(root, 'var/log/dnf.log'), 'utf8')).toBe('');
    expect(existsSync(path.join(root, 'var/lib/apt/lists/lock'))).toBe(true);
    expect(await readFile(path.join(root, 'etc/ssh/sshd_config'), 'utf8')).toBe('PermitRootLogin no\n');
    expect(await readFile(path.join(root, 'etc/eks/release'), 'utf8')).toBe('KUBELET_VERSION=v1.33.1\n');
  });

  it('accepts a dbus machine-id that is a link to /etc/machine-id', async () => {
    await put('etc/machine-id', '');
    await mkdir(path.join(root, 'var/lib/dbus'), { recursive: true });
    await symlink('/etc/machine-id', path.join(root, 'var/lib/dbus/machine-id'));
    expect((await run(VALIDATE)).exitCode).toBe(0);
  });
});
