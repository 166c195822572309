import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
  // A dpkg database as dpkg itself keeps it: one installed package, one removed (not listed).
  await mkdir(path.join(root, 'var/lib/dpkg'), { recursive: true });
  await writeFile(
    path.join(root, 'var/lib/dpkg/status'),
    [
      'Package: containerd\nStatus: install ok installed\nPriority: optional\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\nVersion: 1.6.20~ds1-1+b1\nDescription: daemon\n',
      'Package: chrony\nStatus: install ok installed\nPriority: optional\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\nVersion: 4.3-2+deb12u1\nDescription: time\n',
      'Package: old-tool\nStatus: deinstall ok config-files\nPriority: optional\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\nVersion: 1.0\nDescription: gone\n',
    ].join('\n'),
  );
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
  SOURCE_IMAGE: 'ami-0123456789abcdef0',
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
      packages: { chrony: '4.3-2+deb12u1', containerd: '1.6.20~ds1-1+b1' },
      pauseImage: ENV.PAUSE_IMAGE,
      runc: '1.2.4',
      sourceImage: 'ami-0123456789abcdef0',
    });
    const release = await readFile(path.join(root, 'etc/eks/release'), 'utf8');
    expect(release).toContain('KUBELET_VERSION=v1.33.1\n');
    expect(release).toContain('CONTAINERD_VERSION=1.7.27\n');
  });

  it('asks IMDS (v2) for the source AMI when the template gives none', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-aws-ec2-metadata-token'] ?? ''}`);
      if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('token-1');
      if (req.url === '/latest/meta-data/ami-id' && req.headers['x-aws-ec2-metadata-token'] === 'token-1') return void res.end('ami-0fedcba9876543210');
      res.statusCode = 401;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await execa('bash', [SCRIPT], {
        reject: false,
        env: { ...ENV, SOURCE_IMAGE: '', IMDS_ENDPOINT: `http://127.0.0.1:${port}`, INSTALL_ROOT: root },
      });
      expect(result.stderr).toBe('');
      const manifest = JSON.parse(await readFile(path.join(root, 'etc/eks/version-manifest.json'), 'utf8'));
      expect(manifest.sourceImage).toBe('ami-0fedcba9876543210');
      expect(seen).toEqual(['PUT /latest/api/token ', 'GET /latest/meta-data/ami-id token-1']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails naming the cause when no package database can be read', async () => {
    await rm(path.join(root, 'var/lib/dpkg'), { recursive: true });
    const result = await execa('bash', [SCRIPT], { reject: false, env: { ...ENV, INSTALL_ROOT: root } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('no rpm or dpkg package database');
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
