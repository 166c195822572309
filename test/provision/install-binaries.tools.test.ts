import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { startArtifactServer, type ArtifactServer } from './artifact-server.js';

// Runs the real scripts/provision/install-binaries.sh against a local bucket stand-in,
// installing into a temporary root.
const SCRIPT = path.resolve('scripts/provision/install-binaries.sh');
const DIR = '/1.33.1/2025-05-01/bin/linux/amd64';
const sha256 = (body: string): string => createHash('sha256').update(body).digest('hex');

// Test doubles of the three binaries: small shell scripts (kubelet answers --version).
const BODIES = {
  kubelet: '#!/bin/sh\necho "Kubernetes v1.33.1"\n',
  'ecr-credential-provider': '#!/bin/sh\necho ecr-credential-provider double\n',
  'aws-iam-authenticator': '#!/bin/sh\necho aws-iam-authenticator double\n',
} as const;
type Name = keyof typeof BODIES;

function bucket(overrides: Partial<Record<string, string>> = {}): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, body] of Object.entries(BODIES)) {
    files[`${DIR}/${name}`] = body;
    // The bucket's format: "<hash>  <name>".
    files[`${DIR}/${name}.sha256`] = `${sha256(body)}  ${name}\n`;
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete files[k];
    else files[k] = v;
  }
  return files;
}

let root: string;
let server: ArtifactServer | undefined;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'install-binaries-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(root, { recursive: true, force: true });
});

async function run(files: Record<string, string>, env: Record<string, string> = {}) {
  server = await startArtifactServer(files);
  return execa('bash', [SCRIPT], {
    reject: false,
    env: {
      ARTIFACT_BASE_URL: `${server.url}/`,
      KUBERNETES_VERSION: '1.33.1',
      KUBERNETES_BUILD_DATE: '2025-05-01',
      ARCH: 'x86_64',
      INSTALL_ROOT: root,
      DOWNLOAD_TIMEOUT_SECONDS: '10',
      ...env,
    },
  });
}

const INSTALLED: Record<Name, string> = {
  kubelet: 'usr/bin/kubelet',
  'ecr-credential-provider': 'etc/eks/image-credential-provider/ecr-credential-provider',
  'aws-iam-authenticator': 'usr/bin/aws-iam-authenticator',
};

describe('install-binaries.sh', () => {
  it('installs every artifact whose sha256 matches and records versions and checksums', async () => {
    const result = await run(bucket());
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    for (const [name, rel] of Object.entries(INSTALLED) as Array<[Name, string]>) {
      expect(await readFile(path.join(root, rel), 'utf8')).toBe(BODIES[name]);
      expect((await stat(path.join(root, rel))).mode & 0o777).toBe(0o755);
    }
    expect(await readFile(path.join(root, 'etc/eks/kubelet-version.txt'), 'utf8')).toBe('v1.33.1\n');
    expect(await readFile(path.join(root, 'etc/eks/artifacts.sha256'), 'utf8')).toBe(
      [
        `${sha256(BODIES['ecr-credential-provider'])}  /etc/eks/image-credential-provider/ecr-credential-provider`,
        `${sha256(BODIES['aws-iam-authenticator'])}  /usr/bin/aws-iam-authenticator`,
        `${sha256(BODIES.kubelet)}  /usr/bin/kubelet`,
        '',
      ].join('\n'),
    );
  });

  it('accepts a bare hash as the checksum file', async () => {
    const result = await run(bucket({ [`${DIR}/kubelet.sha256`]: `${sha256(BODIES.kubelet).toUpperCase()}\n` }));
    expect(result.exitCode).toBe(0);
  });

  it.each(Object.keys(BODIES) as Name[])('fails naming %s when its sha256 does not match, installing nothing', async (name) => {
    const wrong = sha256('something else');
    const result = await run(bucket({ [`${DIR}/${name}.sha256`]: `${wrong}  ${name}\n` }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`sha256 mismatch for ${name} from ${server!.url}${DIR}/${name}`);
    expect(result.stderr).toContain(`expected ${wrong}`);
    expect(result.stderr).toContain(`got ${sha256(BODIES[name])}`);
    for (const rel of Object.values(INSTALLED)) expect(existsSync(path.join(root, rel))).toBe(false);
    expect(existsSync(path.join(root, 'etc/eks/kubelet-version.txt'))).toBe(false);
  });

  it('fails when the artifact was tampered with after its checksum was published', async () => {
    const result = await run(bucket({ [`${DIR}/ecr-credential-provider`]: '#!/bin/sh\necho evil\n' }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/sha256 mismatch for ecr-credential-provider/);
  });

  it('fails naming the checksum URL when the .sha256 is missing', async () => {
    const result = await run(bucket({ [`${DIR}/aws-iam-authenticator.sha256`]: undefined }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`download of ${server!.url}${DIR}/aws-iam-authenticator.sha256 failed`);
    expect(existsSync(path.join(root, INSTALLED.kubelet))).toBe(false);
  });

  it('fails when the checksum file holds no hash for the artifact', async () => {
    const result = await run(bucket({ [`${DIR}/kubelet.sha256`]: 'not-a-hash  kubelet\n' }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${DIR}/kubelet.sha256 holds no sha256 for kubelet`);
  });

  it('fails when kubelet reports another version than kubernetes_version', async () => {
    // The same files under the 1.33.2 directory: the kubelet double still says v1.33.1.
    const moved = Object.fromEntries(Object.entries(bucket()).map(([k, v]) => [k.replace('/1.33.1/', '/1.33.2/'), v]));
    const result = await run(moved, { KUBERNETES_VERSION: '1.33.2' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('kubelet reports version "v1.33.1" but Packer variable kubernetes_version is 1.33.2');
    expect(existsSync(path.join(root, INSTALLED.kubelet))).toBe(false);
  });

  it('names the Packer variable of a malformed input before downloading anything', async () => {
    const result = await run(bucket(), { ARCH: 'sparc' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('install-binaries: Packer variable arch is "sparc"; expected x86_64 or arm64');
    expect(server!.requests).toEqual([]);
  });

  it('uses the arm64 directory for arch arm64', async () => {
    const arm = Object.fromEntries(Object.entries(bucket()).map(([k, v]) => [k.replace('/amd64/', '/arm64/'), v]));
    const result = await run(arm, { ARCH: 'arm64' });
    expect(result.exitCode).toBe(0);
    expect(server!.requests.every((p) => p.includes('/bin/linux/arm64/'))).toBe(true);
  });
});
