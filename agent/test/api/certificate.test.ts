import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateFormatError, parseCertificate, parseCertificateRequest } from '../../src/api/certificate.js';
import { createCertificateRequest, createTestCa } from '../../../test/support/pki.js';

const derOf = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');

let dir: string;
/** certificates made by the openssl CLI, read back by OpenSSL (node:crypto) as the oracle */
const made: Record<string, Buffer> = {};

async function opensslCert(name: string, args: string[]): Promise<void> {
  await execa('openssl', ['req', '-x509', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), ...args], {
    cwd: dir,
    timeout: 30_000,
  });
  made[name] = derOf(await readFile(join(dir, `${name}.crt`), 'utf8'));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-node-cert-'));
  await Promise.all([
    // an EKS cluster CA: RSA 2048, CN=kubernetes, ten years (UTCTime both ends)
    opensslCert('rsa', ['-newkey', 'rsa:2048', '-days', '3650', '-subj', '/CN=kubernetes', '-addext', 'basicConstraints=critical,CA:TRUE']),
    // several attributes, one of them UTF-8, and a notAfter past 2049 (GeneralizedTime)
    opensslCert('multi', [
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-days',
      '9500',
      '-utf8',
      '-subj',
      '/C=DE/O=Beispiel GmbH/OU=Plattform/CN=Zürich CA',
      '-addext',
      'subjectAltName=DNS:ca.example',
    ]),
  ]);
  made.ec = derOf((await createTestCa({ commonName: 'ec', days: 30 })).certPem);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('parseCertificate', () => {
  it('reads what OpenSSL reads: subject and validity period of RSA, EC, UTCTime and GeneralizedTime certificates', () => {
    for (const [name, der] of Object.entries(made)) {
      const ours = parseCertificate(der);
      const oracle = new X509Certificate(der);
      expect(ours.subject, name).toBe(oracle.subject.replace(/\n/g, ', '));
      expect(ours.validFrom.getTime(), name).toBe(Date.parse(oracle.validFrom));
      expect(ours.validTo.getTime(), name).toBe(Date.parse(oracle.validTo));
    }
    expect(parseCertificate(made.multi as Buffer).subject).toBe('C=DE, O=Beispiel GmbH, OU=Plattform, CN=Zürich CA');
    expect(parseCertificate(made.multi as Buffer).validTo.getUTCFullYear()).toBeGreaterThanOrEqual(2050);
  });

  it('refuses every truncation of a certificate, naming the part', () => {
    const der = made.rsa as Buffer;
    for (let cut = 0; cut < der.length; cut += 7) {
      expect(() => parseCertificate(der.subarray(0, cut)), `cut at ${cut}`).toThrow(CertificateFormatError);
    }
    expect(() => parseCertificate(der.subarray(0, 500))).toThrow(/^certificate: its length runs past the end$/);
  });

  it('refuses bytes after the certificate, as the kubelet does', () => {
    expect(() => parseCertificate(Buffer.concat([made.ec as Buffer, Buffer.from([0, 0])]))).toThrow('certificate: 2 bytes after its end');
  });

  it('refuses BER forms that DER forbids and fields out of place', () => {
    const der = Buffer.from(made.ec as Buffer);
    // the outer length in long form is DER here (> 127 bytes); an indefinite one is BER
    const indefinite = Buffer.from(der);
    indefinite[1] = 0x80;
    expect(() => parseCertificate(indefinite)).toThrow('indefinite length');
    // a long-form length that fits in one byte: [0x30 0x81 0x05 ...]
    expect(() => parseCertificate(Buffer.from([0x30, 0x81, 0x05, 1, 2, 3, 4, 5]))).toThrow('long-form length under 128');
    // the tbsCertificate's serial number replaced by a BOOLEAN of the same length
    const tbs = 4 + (der[5] === 0x82 ? 4 : der[5] === 0x81 ? 3 : 2);
    const serialAt = der[tbs] === 0xa0 ? tbs + 5 : tbs;
    const mangled = Buffer.from(der);
    mangled[serialAt] = 0x01;
    expect(() => parseCertificate(mangled)).toThrow('serialNumber: expected an INTEGER, found tag 0x01');
  });

  it('refuses a validity period that is not a date, where OpenSSL refuses it too', () => {
    const der = Buffer.from(made.ec as Buffer);
    const text = der.toString('latin1');
    const at = text.search(/\d{12}Z/); // the notBefore UTCTime
    const month31 = Buffer.from(der);
    month31.write('0231', at + 2, 'latin1'); // 31 February
    expect(() => parseCertificate(month31)).toThrow(/validity notBefore: "\d\d0231\d{6}Z" is not a date/);
    expect(() => new X509Certificate(month31)).not.toThrow(); // OpenSSL leaves the date to the verifier; Go refuses it
    const noSeconds = Buffer.from(der);
    noSeconds.write('Z', at + 10, 'latin1');
    expect(() => parseCertificate(noSeconds)).toThrow('is not written as RFC 5280 requires');
  });

  it('refuses what is not a certificate at all', () => {
    expect(() => parseCertificate(Buffer.alloc(0))).toThrow('no bytes');
    expect(() => parseCertificate(Buffer.from('hello world'))).toThrow(CertificateFormatError);
    expect(() => parseCertificate(Buffer.from([0x30, 0x00]))).toThrow('tbsCertificate: missing');
  });
});

describe('parseCertificateRequest', () => {
  const derOfRequest = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE REQUEST-----/g, '').replace(/\s+/g, ''), 'base64');

  it("reads a kubelet serving request's subject and names, IPv6 written as RFC 5952 text", async () => {
    const pem = await createCertificateRequest({
      commonName: 'system:node:ip-10-0-1-23.ec2.internal',
      sans: ['DNS:ip-10-0-1-23.ec2.internal', 'DNS:node.corp.example', 'IP:10.0.1.23', 'IP:2600:1f14:0:0:0:0:0:1', 'IP:fd00:0:1:0:0:2:0:0'],
    });
    expect(parseCertificateRequest(derOfRequest(pem))).toEqual({
      subject: 'O=system:nodes, CN=system:node:ip-10-0-1-23.ec2.internal',
      dnsNames: ['ip-10-0-1-23.ec2.internal', 'node.corp.example'],
      ipAddresses: ['10.0.1.23', '2600:1f14::1', 'fd00:0:1::2:0:0'],
    });
    const bare = await createCertificateRequest({ commonName: 'system:node:x', sans: [] });
    expect(parseCertificateRequest(derOfRequest(bare))).toMatchObject({ dnsNames: [], ipAddresses: [] });
  });

  it('refuses a truncated request and a certificate given in its place, naming the part', async () => {
    const der = derOfRequest(await createCertificateRequest({ commonName: 'system:node:x', sans: ['DNS:x'] }));
    for (let cut = 0; cut < der.length; cut += 5) {
      expect(() => parseCertificateRequest(der.subarray(0, cut)), `cut at ${cut}`).toThrow(CertificateFormatError);
    }
    expect(() => parseCertificateRequest(made.rsa as Buffer)).toThrow(/^version: expected an INTEGER, found tag 0xa0$/);
  });
});
