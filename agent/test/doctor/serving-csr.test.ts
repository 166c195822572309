import { beforeAll, describe, expect, it } from 'vitest';
import type { CsrObject } from '../../src/doctor/api-objects.js';
import { csrHint, describeCsr, newestServingCsr, requestedNames } from '../../src/doctor/serving-csr.js';
import { createCertificateRequest } from '../../../test/support/pki.js';

const NODE = 'ip-10-0-1-23.us-west-2.compute.internal';
const ME = `system:node:${NODE}`;
const NOW = new Date('2026-06-01T12:00:00Z');
let request: string;

beforeAll(async () => {
  const pem = await createCertificateRequest({ commonName: ME, sans: [`DNS:${NODE}`, 'IP:10.0.1.23'] });
  request = Buffer.from(pem).toString('base64');
});

const csr = (name: string, at: string, extra: Partial<CsrObject> & { username?: string; signerName?: string } = {}): CsrObject => ({
  metadata: { name, creationTimestamp: at },
  spec: { signerName: extra.signerName ?? 'kubernetes.io/kubelet-serving', username: extra.username ?? ME, request },
  ...(extra.status ? { status: extra.status } : {}),
});

describe('newestServingCsr', () => {
  it("picks this requester's newest kubelet-serving CSR, ignoring other nodes' and other signers'", () => {
    const items = [
      csr('csr-old', '2026-06-01T11:00:00Z'),
      csr('csr-new', '2026-06-01T11:50:00Z'),
      csr('csr-other-node', '2026-06-01T11:59:00Z', { username: 'system:node:ip-10-0-9-9.us-west-2.compute.internal' }),
      csr('csr-client', '2026-06-01T11:59:30Z', { signerName: 'kubernetes.io/kube-apiserver-client-kubelet' }),
    ];
    expect(newestServingCsr(items, ME, NOW)).toEqual({
      name: 'csr-new',
      phase: 'pending',
      ageSeconds: 600,
      names: [`DNS:${NODE}`, 'IP Address:10.0.1.23'],
      count: 2,
    });
    expect(newestServingCsr(items, 'system:node:nobody', NOW)).toBeUndefined();
  });

  it('reads each phase as `kubectl get csr` does, with the deciding condition', () => {
    const one = (status: CsrObject['status']) => newestServingCsr([csr('csr-1', '2026-06-01T11:59:00Z', { status })], ME, NOW)!;
    expect(one({})).toMatchObject({ phase: 'pending' });
    expect(one({ conditions: [{ type: 'Denied', status: 'True', reason: 'SANMismatch', message: 'a name the instance does not have' }] })).toMatchObject({
      phase: 'denied',
      why: 'SANMismatch: a name the instance does not have',
    });
    expect(one({ conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }] })).toMatchObject({ phase: 'approved', why: 'AutoApproved' });
    expect(one({ conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' })).toMatchObject({ phase: 'issued' });
    expect(
      one({
        conditions: [
          { type: 'Approved', status: 'True' },
          { type: 'Failed', status: 'True', reason: 'SignerValidationFailure' },
        ],
      }),
    ).toMatchObject({
      phase: 'failed',
      why: 'SignerValidationFailure',
    });
    // a condition that is not True decides nothing
    expect(one({ conditions: [{ type: 'Denied', status: 'False' }] })).toMatchObject({ phase: 'pending' });
  });

  it('leaves the names out when the request is not a PEM certificate request', () => {
    expect(requestedNames(Buffer.from('not a request').toString('base64'))).toBeUndefined();
    expect(requestedNames(undefined)).toBeUndefined();
    const broken = Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n').toString('base64');
    expect(requestedNames(broken)).toBeUndefined();
    const state = newestServingCsr(
      [{ ...csr('csr-x', '2026-06-01T11:00:00Z'), spec: { signerName: 'kubernetes.io/kubelet-serving', username: ME } }],
      ME,
      NOW,
    )!;
    expect(state.names).toBeUndefined();
    expect(describeCsr(state)).toBe('its kubelet-serving CSR csr-x (made 3600 s ago) is pending: nothing approved or denied it');
  });
});

describe('describeCsr and csrHint', () => {
  it('says what became of the request and what to do, per phase', () => {
    const base = { name: 'csr-7', ageSeconds: 90, names: [`DNS:${NODE}`], count: 1 };
    expect(describeCsr({ ...base, phase: 'denied', why: 'Policy: no' })).toBe(
      `its kubelet-serving CSR csr-7 for DNS:${NODE} (made 90 s ago) was denied: Policy: no`,
    );
    expect(describeCsr({ ...base, phase: 'approved', count: 3 })).toBe(
      `its kubelet-serving CSR csr-7 for DNS:${NODE} (the newest of 3, made 90 s ago) was approved and no certificate was issued: the signer did not sign it`,
    );
    expect(describeCsr({ ...base, phase: 'issued' })).toContain('the kubelet has not written the certificate');
    expect(csrHint({ ...base, phase: 'pending' }, NODE)).toContain('`kubectl describe csr csr-7`');
    expect(csrHint({ ...base, phase: 'pending' }, NODE)).toContain(`(${ME})`);
    expect(csrHint({ ...base, phase: 'issued' }, NODE)).toContain('systemctl restart kubelet');
    expect(csrHint({ ...base, phase: 'denied' }, NODE)).toContain('asks again with a new CSR');
  });

  it("tells by the names held against the instance's whether a name or the requester holds the request up", () => {
    const base = { name: 'csr-7', names: [`DNS:${NODE}`, 'DNS:build-7.corp.example'], count: 1 };
    // not compared (IMDS out of reach): the general sentence
    expect(csrHint({ ...base, phase: 'pending' }, NODE)).toContain('a name the instance does not have (a hostname override, a custom DHCP domain)');
    const foreign = csrHint({ ...base, phase: 'pending' }, NODE, ['DNS:build-7.corp.example']);
    expect(foreign).toContain("this request asks for DNS:build-7.corp.example, which IMDS does not know as the instance's");
    expect(foreign).toContain(`\`kubectl get node ${NODE} -o jsonpath='{.status.addresses}'\``);
    expect(foreign).not.toContain('a hostname override');
    const own = csrHint({ ...base, phase: 'pending' }, NODE, []);
    expect(own).toContain("every name this request asks for is the instance's (IMDS), so the requester or the approver holds it up");
    expect(own).not.toContain('a name the instance does not have');
    // a denied request: who decided first, the foreign name after
    const denied = csrHint({ ...base, phase: 'denied' }, NODE, ['DNS:build-7.corp.example']);
    expect(denied).toMatch(/^the kubelet asks again with a new CSR; .* this request asks for DNS:build-7\.corp\.example/);
    expect(csrHint({ ...base, phase: 'denied' }, NODE, [])).not.toContain('every name');
  });
});
