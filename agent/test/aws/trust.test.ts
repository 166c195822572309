import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeCluster } from '../../src/aws/eks.js';
import { AwsTrust, SYSTEM_CA_BUNDLES, isUntrusted, pemCertificates, trustOptions } from '../../src/aws/trust.js';
import { failure } from './failure.js';
import { startEks, type EksEmulator } from '../../../test/emulators/eks.js';
import { createTestCa, issueServerCert, type TestCert } from '../../../test/support/pki.js';
import { startConnectProxy, type ConnectProxy } from '../../../test/support/connect-proxy.js';

/*
 * The EKS emulator serving https with a certificate from a CA no root Node bundles trusts, as a
 * TLS-inspecting proxy presents one: the agent's trust must reach that CA through the system's
 * bundle (SSL_CERT_FILE here) or AWS_CA_BUNDLE, and say what it trusted when it cannot.
 */

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };
let corpCa: TestCert;
let serving: TestCert;
let dir: string;
/** a "system bundle": some other root first, then the corporate CA, with comments as distributions write them */
let systemBundle: string;
let otherCaOnly: string;
let eks: EksEmulator | undefined;
let proxy: ConnectProxy | undefined;

beforeAll(async () => {
  corpCa = await createTestCa({ commonName: 'Example Corp TLS inspection CA', days: 30 });
  serving = await issueServerCert(corpCa, { commonName: '127.0.0.1' });
  const other = await createTestCa({ commonName: 'Some other root' });
  dir = mkdtempSync(join(tmpdir(), 'eks-node-trust-'));
  systemBundle = join(dir, 'ca-bundle.crt');
  writeFileSync(systemBundle, `# Some other root\n${other.certPem}\n# Example Corp\n${corpCa.certPem}`);
  otherCaOnly = join(dir, 'other.crt');
  writeFileSync(otherCaOnly, other.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all([eks?.close(), proxy?.close()]);
  eks = undefined;
  proxy = undefined;
});

const call = (trust: AwsTrust | undefined, notes: string[], over: object = {}) =>
  describeCluster('test-cluster', {
    region: 'us-west-2',
    endpoint: eks!.url,
    credentials,
    timeoutMs: 10_000,
    onNote: (line) => notes.push(line),
    ...(trust ? { trust } : {}),
    ...over,
  });

describe('trust of the AWS calls', () => {
  it('adds the system bundle once the bundled roots fail to verify the endpoint, says so, and keeps it for the next call', async () => {
    eks = await startEks({ tls: serving });
    const trust = new AwsTrust({ systemBundle });
    const notes: string[] = [];
    expect((await call(trust, notes)).status).toBe('ACTIVE');
    expect(notes).toEqual([
      `note: eks:DescribeCluster for cluster "test-cluster": the endpoint's certificate is not signed by a root Node bundles (UNABLE_TO_VERIFY_LEAF_SIGNATURE); trying again trusting ${systemBundle} (2 certificates) as well`,
    ]);
    // the first attempt ended in the TLS handshake, before any request reached the emulator
    expect(eks.requests).toHaveLength(1);
    expect((await call(trust, notes)).status).toBe('ACTIVE');
    expect(notes).toHaveLength(1);
    expect(eks.requests).toHaveLength(2);
  });

  it('fails in one line naming the code, what was trusted and where the CA belongs, when the system bundle lacks the CA', async () => {
    eks = await startEks({ tls: serving });
    const notes: string[] = [];
    const err = await failure(call(new AwsTrust({ systemBundle: otherCaOnly }), notes));
    expect(err.message).toBe(
      `eks:DescribeCluster for cluster "test-cluster" failed: TLS: the endpoint's certificate is not signed by an authority the agent trusts (UNABLE_TO_VERIFY_LEAF_SIGNATURE); ` +
        `trusted: the roots Node bundles and ${otherCaOnly} (1 certificate); a TLS-inspecting proxy's CA belongs in the image's CA bundle (update-ca-trust) or in AWS_CA_BUNDLE`,
    );
    expect(notes).toHaveLength(1);
    expect(eks.requests).toEqual([]);
  });

  it('says which bundle could not be used', async () => {
    eks = await startEks({ tls: serving });
    const missing = join(dir, 'missing.crt');
    const empty = join(dir, 'empty.crt');
    writeFileSync(empty, '# no certificates here\n');
    for (const [systemBundlePath, why] of [
      [missing, `${missing} could not be used: ENOENT: no such file or directory`],
      [empty, `${empty} could not be used: it holds no PEM certificate`],
    ] as const) {
      const err = await failure(call(new AwsTrust({ systemBundle: systemBundlePath }), []));
      expect(err.message).toContain(`trusted: the roots Node bundles (${why}`);
    }
    const none = await failure(call(new AwsTrust({ exists: () => false }), []));
    expect(none.message).toContain(`trusted: the roots Node bundles (no system CA bundle at ${SYSTEM_CA_BUNDLES.join(', ')})`);
  });

  it('keeps the good certificates of a bundle that holds a broken one', async () => {
    eks = await startEks({ tls: serving });
    const mixed = join(dir, 'mixed.crt');
    writeFileSync(mixed, `-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n${corpCa.certPem}`);
    const notes: string[] = [];
    expect((await call(new AwsTrust({ systemBundle: mixed }), notes)).status).toBe('ACTIVE');
    expect(notes[0]).toContain(`trying again trusting ${mixed} (2 certificates) as well`);
  });

  it('trusts AWS_CA_BUNDLE alone from the first call, with no second attempt', async () => {
    eks = await startEks({ tls: serving });
    const caFile = join(dir, 'corp.pem');
    writeFileSync(caFile, corpCa.certPem);
    const notes: string[] = [];
    expect((await call(new AwsTrust({ caBundle: caFile, systemBundle: otherCaOnly }), notes)).status).toBe('ACTIVE');
    expect(notes).toEqual([]);
    expect(eks.requests).toHaveLength(1);
    // alone: the system bundle is not added when AWS_CA_BUNDLE cannot verify the endpoint
    const err = await failure(call(new AwsTrust({ caBundle: otherCaOnly, systemBundle }), notes));
    expect(err.message).toContain(`trusted: AWS_CA_BUNDLE ${otherCaOnly} (1 certificate) alone;`);
  });

  it('warns about an unusable AWS_CA_BUNDLE and goes on with the bundled roots, then the system bundle', async () => {
    eks = await startEks({ tls: serving });
    const missing = join(dir, 'nowhere.pem');
    const notes: string[] = [];
    expect((await call(new AwsTrust({ caBundle: missing, systemBundle }), notes)).status).toBe('ACTIVE');
    expect(notes[0]).toBe(
      `warning: AWS_CA_BUNDLE ${missing} could not be used: ENOENT: no such file or directory, open '${missing}'; trusting the roots Node bundles, then the system's CA bundle`,
    );
    expect(notes[1]).toMatch(/trying again trusting .* as well$/);
  });

  it('carries the trust through a CONNECT proxy to the endpoint', async () => {
    eks = await startEks({ tls: serving });
    proxy = await startConnectProxy();
    const notes: string[] = [];
    const settings = { httpsProxy: proxy.url, noProxy: [] };
    expect((await call(new AwsTrust({ systemBundle }), notes, { proxy: settings })).status).toBe('ACTIVE');
    expect(proxy.requests.map((r) => r.method)).toEqual(['CONNECT', 'CONNECT']);
    expect(notes).toHaveLength(1);
  });

  it('does not widen for an expired certificate or a wrong name, and says which', async () => {
    const wrongName = await issueServerCert(corpCa, { sans: ['DNS:elsewhere.example'] });
    eks = await startEks({ tls: wrongName });
    const notes: string[] = [];
    const err = await failure(call(new AwsTrust({ systemBundle }), notes));
    // the name is checked once the chain verified: the first attempt widens, the second meets the name
    expect(err.message).toMatch(
      /failed: TLS: the endpoint's certificate does not name the endpoint's host \(ERR_TLS_CERT_ALTNAME_INVALID\); trusted: the roots Node bundles and /,
    );
    expect(err.message).toContain('or the endpoint override is wrong');
  });
});

describe('trust settings', () => {
  it('takes AWS_CA_BUNDLE and SSL_CERT_FILE from the first environment that sets them', () => {
    expect(trustOptions({ AWS_CA_BUNDLE: '/a.pem' }, { AWS_CA_BUNDLE: '/b.pem', SSL_CERT_FILE: '/s.pem' })).toEqual({
      caBundle: '/a.pem',
      systemBundle: '/s.pem',
    });
    expect(trustOptions({ AWS_CA_BUNDLE: ' ' }, undefined, {})).toEqual({});
  });

  it('looks for the system bundle where distributions keep it, Amazon Linux first, only when a call needs it', () => {
    const seen: string[] = [];
    const trust = new AwsTrust({
      exists: (path) => {
        seen.push(path);
        return false;
      },
    });
    expect(trust.agentOptions()).toEqual({});
    expect(seen).toEqual([]);
    expect(trust.widen({ code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' })).toBeUndefined();
    expect(seen).toEqual([...SYSTEM_CA_BUNDLES]);
    expect(seen[0]).toBe('/etc/pki/tls/certs/ca-bundle.crt');
    // once per process
    expect(trust.widen({ code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' })).toBeUndefined();
    expect(seen).toHaveLength(SYSTEM_CA_BUNDLES.length);
  });

  it('reads every certificate of a PEM bundle and nothing else', () => {
    const text = `# comment\n${'-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n'.repeat(2)}-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n`;
    expect(pemCertificates(text)).toHaveLength(2);
    expect(isUntrusted({ code: 'SELF_SIGNED_CERT_IN_CHAIN' })).toBe(true);
    expect(isUntrusted({ code: 'CERT_HAS_EXPIRED' })).toBe(false);
    expect(isUntrusted(new Error('x'))).toBe(false);
  });
});
