import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createImds } from '../../src/aws/imds.js';
import { instanceRoleCredentials, otherCredentialSource, readInstanceRole } from '../../src/aws/instance-role.js';
import { startImds, type ImdsEmulator } from '../../../test/emulators/imds.js';

// The instance role's credentials as the agent reads them from IMDS (doctor's instance-profile
// check, and init's AWS calls when nothing else in the environment gives credentials).

const ROLE_PATH = 'iam/security-credentials/eks-node-role';
let imds: ImdsEmulator | undefined;
let home: string | undefined;
afterEach(async () => {
  await imds?.close();
  imds = undefined;
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

const emptyHome = () => (home ??= mkdtempSync(join(tmpdir(), 'eks-node-home-')));
const credentialRequests = (e: ImdsEmulator) => e.requests.filter((q) => q.path.includes('/iam/security-credentials/')).map((q) => q.path);

describe('readInstanceRole', () => {
  it("gives the role's name and credentials", async () => {
    imds = await startImds();
    const r = await readInstanceRole(createImds({ endpoint: imds.url }));
    expect(r).toMatchObject({
      ok: true,
      roleName: 'eks-node-role',
      credentials: { accessKeyId: 'ASIAEMULATEDIMDS0001', secretAccessKey: 'emulated-imds-secret-access-key', sessionToken: 'emulated-imds-session-token' },
    });
    expect(r.ok && r.credentials.expiration?.getTime()).toBeGreaterThan(Date.now());
  });

  it('says when no instance profile is attached, or its role has no usable credentials yet', async () => {
    imds = await startImds({ instance: { roleName: undefined } });
    expect(await readInstanceRole(createImds({ endpoint: imds.url }))).toEqual({
      ok: false,
      reason: 'no-profile',
      detail: 'no instance profile is attached (meta-data/iam/security-credentials/ is empty)',
    });
    await imds.close();

    imds = await startImds();
    // the role is listed but its credentials are not there yet (404)
    imds.setMetaData('iam/security-credentials', 'eks-node-role');
    imds.setMetaData(ROLE_PATH, null);
    expect(await readInstanceRole(createImds({ endpoint: imds.url }))).toMatchObject({
      ok: false,
      reason: 'no-credentials',
      roleName: 'eks-node-role',
      detail: expect.stringMatching(/^role eks-node-role: no credentials \(.*not found \(404\)\)$/),
    });
    imds.setMetaData(ROLE_PATH, JSON.stringify({ Code: 'AssumeRoleUnauthorizedAccess', Message: 'EC2 cannot assume the role' }));
    expect(await readInstanceRole(createImds({ endpoint: imds.url }))).toMatchObject({
      ok: false,
      reason: 'unusable',
      detail: 'role eks-node-role: IMDS gives no usable credentials (Code "AssumeRoleUnauthorizedAccess")',
    });
    // JSON, and no object: unusable, not a TypeError
    imds.setMetaData(ROLE_PATH, 'null');
    expect(await readInstanceRole(createImds({ endpoint: imds.url }))).toMatchObject({ ok: false, reason: 'unusable' });
  });
});

describe('otherCredentialSource', () => {
  it('names what would give the SDK credentials first: a variable, or a shared config file in HOME', async () => {
    const h = emptyHome();
    expect(await otherCredentialSource({ HOME: h })).toBeUndefined();
    expect(await otherCredentialSource({ HOME: h, AWS_ACCESS_KEY_ID: 'AKID' })).toBe('AWS_ACCESS_KEY_ID');
    expect(await otherCredentialSource({ HOME: h, AWS_PROFILE: 'ops' })).toBe('AWS_PROFILE');
    expect(await otherCredentialSource({ HOME: h, AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/creds' })).toBe('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    // an empty variable is no source (the SDK ignores it too)
    expect(await otherCredentialSource({ HOME: h, AWS_ACCESS_KEY_ID: '' })).toBeUndefined();
    mkdirSync(join(h, '.aws'));
    writeFileSync(join(h, '.aws/credentials'), '[default]\n');
    expect(await otherCredentialSource({ HOME: h })).toBe(join(h, '.aws/credentials'));
  });
});

describe('instanceRoleCredentials', () => {
  it('reads the role once, however often it is asked, and gives only the keys', async () => {
    imds = await startImds();
    const client = createImds({ endpoint: imds.url });
    const read = instanceRoleCredentials({ HOME: emptyHome() }, () => client);
    const [a, b] = await Promise.all([read(), read()]);
    expect(a).toEqual({ accessKeyId: 'ASIAEMULATEDIMDS0001', secretAccessKey: 'emulated-imds-secret-access-key', sessionToken: 'emulated-imds-session-token' });
    expect(await read()).toBe(a);
    expect(b).toBe(a);
    expect(credentialRequests(imds)).toEqual([`/latest/meta-data/iam/security-credentials/`, `/latest/meta-data/${ROLE_PATH}`]);
  });

  it('leaves credentials to the SDK (undefined) when the environment has another source, asking IMDS nothing', async () => {
    imds = await startImds();
    const client = createImds({ endpoint: imds.url });
    expect(await instanceRoleCredentials({ HOME: emptyHome(), AWS_ACCESS_KEY_ID: 'AKID' }, () => client)()).toBeUndefined();
    expect(imds.requests).toEqual([]);
  });

  it('leaves credentials to the SDK when the role has none yet, or IMDS cannot be used', async () => {
    imds = await startImds();
    imds.setMetaData(ROLE_PATH, null);
    const client = createImds({ endpoint: imds.url });
    expect(await instanceRoleCredentials({ HOME: emptyHome() }, () => client)()).toBeUndefined();
    const broken = () => createImds({ endpoint: 'https://169.254.169.254' });
    expect(await instanceRoleCredentials({ HOME: emptyHome() }, broken)()).toBeUndefined();
  });
});
