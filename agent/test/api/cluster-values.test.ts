import { beforeAll, describe, expect, it } from 'vitest';
import { caCertificates, certificatesOf, checkCertificateAuthority } from '../../src/api/cluster-values.js';
import { createTestCa, type TestCert } from '../../../test/support/pki.js';

let first: TestCert;
let second: TestCert;
beforeAll(async () => {
  [first, second] = await Promise.all([createTestCa({ commonName: 'first' }), createTestCa({ commonName: 'second' })]);
});

const b64 = (text: string) => Buffer.from(text).toString('base64');
/** the first certificate cut short mid-body, as a template that truncates a long value leaves it */
const truncated = (pem: string) => pem.slice(0, pem.indexOf('-----END'));

describe('certificatesOf', () => {
  it('parses every certificate of a bundle, in order, ignoring text between blocks', () => {
    const r = certificatesOf(`# cluster CA\n${first.certPem}comment\r\n${second.certPem.replace(/\n/g, '\r\n')}`);
    if ('reason' in r) throw new Error(r.reason);
    expect(r.value.map((c) => c.subject)).toEqual(['CN=first', 'CN=second']);
    expect(r.value[1]!.pem).not.toContain('\r');
  });

  it('refuses a bundle whose last certificate is cut short instead of trusting only the first', () => {
    expect(certificatesOf(first.certPem + truncated(second.certPem))).toEqual({
      reason: 'holds a truncated PEM certificate (certificate 2 has a BEGIN line but no END line)',
    });
    // a truncated block followed by a whole one: the BEGIN lines do not pair with the END lines
    expect(certificatesOf(truncated(first.certPem) + second.certPem)).toEqual({
      reason: 'holds a truncated PEM certificate (certificate 1 has a BEGIN line but no END line)',
    });
  });

  it('refuses garbage, a lone END line and a block that is not X.509', () => {
    expect(certificatesOf('not a certificate')).toMatchObject({ reason: expect.stringMatching(/^holds no PEM certificate/) });
    expect(certificatesOf(`-----END CERTIFICATE-----\n${first.certPem}`)).toMatchObject({
      reason: expect.stringContaining('END CERTIFICATE line without its BEGIN'),
    });
    expect(certificatesOf(`${first.certPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`)).toEqual({
      reason: 'holds a PEM block that is not a valid X.509 certificate (certificate 2 of 2: certificate: expected a SEQUENCE, found tag 0x00)',
    });
    expect(certificatesOf(`-----BEGIN CERTIFICATE-----\nMII*not base64*\n-----END CERTIFICATE-----\n`)).toEqual({
      reason: 'holds a PEM block that is not a valid X.509 certificate (certificate 1 of 1: its body is not base64)',
    });
  });
});

describe('checkCertificateAuthority', () => {
  it('writes a two-certificate bundle as PEM with LF line ends and one trailing newline', () => {
    expect(checkCertificateAuthority(b64(`${first.certPem}\n\n${second.certPem}`))).toEqual({ value: `${first.certPem}${second.certPem}` });
  });

  it('says the value is base64 before saying what the PEM lacks', () => {
    expect(caCertificates('%%%')).toMatchObject({ reason: expect.stringMatching(/^is not base64/) });
    expect(caCertificates(b64(first.certPem + truncated(second.certPem)))).toEqual({
      reason: 'is base64 but holds a truncated PEM certificate (certificate 2 has a BEGIN line but no END line)',
    });
    expect(checkCertificateAuthority(b64('garbage'))).toEqual(caCertificates(b64('garbage')));
  });
});
