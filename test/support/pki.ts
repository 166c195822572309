import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * Real X.509 material for tests, made with the openssl CLI (node:crypto parses certificates but
 * cannot issue them). EC P-256 keys keep it fast.
 */
export interface TestCert {
  certPem: string;
  keyPem: string;
  /** base64 of certPem, as spec.cluster.certificateAuthority and DescribeCluster carry it */
  certBase64: string;
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'eks-node-pki-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const openssl = (args: string[], cwd: string) => execa('openssl', args, { cwd, timeout: 20_000 });
/** a new P-256 key, unencrypted, for `openssl req` */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function result(dir: string, cert: string, key: string): Promise<TestCert> {
  const certPem = await readFile(join(dir, cert), 'utf8');
  return { certPem, keyPem: await readFile(join(dir, key), 'utf8'), certBase64: Buffer.from(certPem).toString('base64') };
}

/**
 * A self-signed CA, like a cluster's, valid for `days` (default 1: a test that reads the validity
 * period, as the doctor's CA check does, asks for more, since under 30 days left is a warning).
 */
export async function createTestCa(options: { commonName?: string; days?: number } = {}): Promise<TestCert> {
  return withTempDir(async (dir) => {
    await openssl(
      [
        'req',
        '-x509',
        ...NEW_KEY,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        String(options.days ?? 1),
        '-subj',
        `/CN=${options.commonName ?? 'kubernetes'}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    return result(dir, 'ca.crt', 'ca.key');
  });
}

/** A serving certificate signed by `ca` for these subjectAltNames (default DNS:localhost, IP:127.0.0.1), e.g. for a fake API server. */
export async function issueServerCert(ca: TestCert, options: { commonName?: string; sans?: string[]; days?: number } = {}): Promise<TestCert> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    const sans = options.sans ?? ['DNS:localhost', 'IP:127.0.0.1'];
    await writeFile(join(dir, 'ext.cnf'), `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
    await openssl(['req', '-new', ...NEW_KEY, '-keyout', 's.key', '-out', 's.csr', '-subj', `/CN=${options.commonName ?? 'kube-apiserver'}`], dir);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        's.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        's.crt',
        '-days',
        String(options.days ?? 1),
        '-extfile',
        'ext.cnf',
      ],
      dir,
    );
    return result(dir, 's.crt', 's.key');
  });
}

/**
 * A PEM certificate request as the kubelet makes for its serving certificate: subject
 * `O=system:nodes, CN=<commonName>` and the given subjectAltNames (`DNS:x`, `IP:y`).
 */
export async function createCertificateRequest(options: { commonName: string; sans: string[] }): Promise<string> {
  return withTempDir(async (dir) => {
    const args = ['req', '-new', ...NEW_KEY, '-keyout', 'r.key', '-out', 'r.csr', '-subj', `/O=system:nodes/CN=${options.commonName}`];
    if (options.sans.length > 0) args.push('-addext', `subjectAltName=${options.sans.join(',')}`);
    await openssl(args, dir);
    return readFile(join(dir, 'r.csr'), 'utf8');
  });
}

/**
 * Signs a PEM certificate request with `ca`, keeping the request's extensions (its
 * subjectAltNames), as a cluster's signer issues what a kubernetes.io/kubelet-serving CSR asks.
 */
export async function signCertificateRequest(ca: TestCert, csrPem: string, days = 365): Promise<string> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    await writeFile(join(dir, 'r.csr'), csrPem);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'r.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        String(days),
        '-copy_extensions',
        'copyall',
        '-out',
        'r.crt',
      ],
      dir,
    );
    return readFile(join(dir, 'r.crt'), 'utf8');
  });
}
