import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';

const SCRIPT = path.resolve('scripts/provision/write-release.sh');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'write-release-'));
  await mkdir(path.join(root, 'etc/eks'), { recursive: true });
  await writeFile(path.join(root, 'etc/eks/kubelet-version.txt'), 'v1.33.1\n');
  await writeFile(path.join(root, 'etc/eks/containerd-version.txt'), '1.7.27\n');
  await writeFile(path.join(root, 'etc/eks/runc-version.txt'), '1.2.4\n');
  await writeFile(path.join(root, 'etc/eks/artifacts.sha256'), `${B}  /usr/bin/kubelet\n${A}  /usr/bin/eks-node-agent\n`);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ENV = {
  KUBERNETES_VERSION: '1.33.1',
  KUBERNETES_BUILD_DATE: '2025-05-01',
  ARCH: 'x86_64',
  AGENT_VERSION: '0.1.0',
  BUILD_TIMESTAMP: '20250601120000',
  PAUSE_IMAGE: '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.10',
  KERNEL_RELEASE: '6.12.20-1.amzn2023.x86_64',
};

describe('write-release.sh', () => {
  it('writes /etc/eks/release and a sorted-key version manifest with every sha256', async () => {
    const result = await execa('bash', [SCRIPT], { reject: false, env: { ...ENV, INSTALL_ROOT: root } });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const text = await readFile(path.join(root, 'etc/eks/version-manifest.json'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      agent: { sha256: A, version: '0.1.0' },
      arch: 'x86_64',
      artifacts: { '/usr/bin/eks-node-agent': A, '/usr/bin/kubelet': B },
      buildTimestamp: '20250601120000',
      containerd: '1.7.27',
      kernel: '6.12.20-1.amzn2023.x86_64',
      kubelet: 'v1.33.1',
      kubernetesBuildDate: '2025-05-01',
      kubernetesVersion: '1.33.1',
      pauseImage: ENV.PAUSE_IMAGE,
      runc: '1.2.4',
    });
    const release = await readFile(path.join(root, 'etc/eks/release'), 'utf8');
    expect(release).toContain('KUBELET_VERSION=v1.33.1\n');
    expect(release).toContain('CONTAINERD_VERSION=1.7.27\n');
  });

  it('refuses a value that would break the JSON, naming it', async () => {
    const result = await execa('bash', [SCRIPT], { reject: false, env: { ...ENV, AGENT_VERSION: '0.1"0', INSTALL_ROOT: root } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('agent_version is "0.1"0"');
  });

  it('fails when a version file of an earlier step is missing', async () => {
    await rm(path.join(root, 'etc/eks/runc-version.txt'));
    const result = await execa('bash', [SCRIPT], { reject: false, env: { ...ENV, INSTALL_ROOT: root } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('runc-version.txt is missing');
  });
});
