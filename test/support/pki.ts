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

function result(certPem: string, keyPem: string): TestCert {
  return { certPem, keyPem, certBase64: Buffer.from(certPem).toString('base64') };
}

/** A self-signed CA, like a cluster's, valid for `days` (default 1). */
export async function createTestCa(options: { commonName?: string; days?: number } = {}): Promise<TestCert> {
  return withTempDir(async (dir) => {
    const key = join(dir, 'ca.key');
    const crt = join(dir, 'ca.crt');
    await execa(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        String(options.days ?? 1),
        '-subj',
        `/CN=${options.commonName ?? 'kubernetes'}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      { timeout: 20_000 },
    );
    return result(await readFile(crt, 'utf8'), await readFile(key, 'utf8'));
  });
}

/** A server certificate signed by `ca`, for a TLS test server (e.g. a fake API server). */
export async function issueServerCert(
  ca: TestCert,
  options: { commonName?: string; dnsNames?: string[]; ipAddresses?: string[]; days?: number } = {},
): Promise<TestCert> {
  return withTempDir(async (dir) => {
    const files = {
      caKey: join(dir, 'ca.key'),
      caCrt: join(dir, 'ca.crt'),
      key: join(dir, 's.key'),
      csr: join(dir, 's.csr'),
      crt: join(dir, 's.crt'),
      ext: join(dir, 'ext.cnf'),
    };
    await writeFile(files.caKey, ca.keyPem, { mode: 0o600 });
    await writeFile(files.caCrt, ca.certPem);
    const sans = [...(options.dnsNames ?? ['localhost']).map((d) => `DNS:${d}`), ...(options.ipAddresses ?? ['127.0.0.1']).map((ip) => `IP:${ip}`)];
    await writeFile(files.ext, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\n`);
    await execa(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        files.key,
        '-out',
        files.csr,
        '-subj',
        `/CN=${options.commonName ?? 'kube-apiserver'}`,
      ],
      { timeout: 20_000 },
    );
    await execa(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        files.csr,
        '-CA',
        files.caCrt,
        '-CAkey',
        files.caKey,
        '-CAcreateserial',
        '-out',
        files.crt,
        '-days',
        String(options.days ?? 1),
        '-extfile',
        files.ext,
      ],
      { timeout: 20_000 },
    );
    return result(await readFile(files.crt, 'utf8'), await readFile(files.key, 'utf8'));
  });
}
