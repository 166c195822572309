import { describe, expect, it } from 'vitest';
import { expectedPathsWithoutPlan } from '../../src/doctor/bundle.js';
import { scrub } from '../../src/doctor/scrub.js';

describe('scrub', () => {
  it('removes tokens, access keys, secrets and presigned signatures but keeps the CA and plain text', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIBkDCCATWgAwIBAgIUZjtq5eSVXfRpnZ734RYfBHCgWEAwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n';
    const text = [
      ca,
      'Authorization: Bearer k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u',
      'token k8s-aws-v1.abcdefghijklmnop',
      'AccessKeyId=ASIAEMULATEDIMDS0001 AKIAABCDEFGHIJKLMNOP',
      '"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",',
      'https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=deadbeef&X-Amz-Security-Token=IQoJb3JpZ2lu',
      'aws_session_token = FwoGZXIvYXdzEJr',
      'kubelet started fine',
    ].join('\n');
    const out = scrub(text, ['my-literal-secret-value']);
    expect(out).toContain(ca);
    expect(out).toContain('kubelet started fine');
    for (const secret of [
      'aHR0cHM6Ly9zdHMu',
      'abcdefghijklmnop',
      'ASIAEMULATEDIMDS0001',
      'AKIAABCDEFGHIJKLMNOP',
      'wJalrXUtnFEMI',
      'deadbeef',
      'IQoJb3JpZ2lu',
      'FwoGZXIvYXdzEJr',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(scrub('x my-literal-secret-value y', ['my-literal-secret-value'])).toBe('x <redacted> y');
  });
});

describe('the files a bundle collects without a plan', () => {
  it('include the unit environment drop-ins and the cluster cache, by the rule set that plans them', () => {
    const paths = expectedPathsWithoutPlan({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: { instance: { environment: { kubelet: { A: '1' }, 'containerd.service': { B: '2' }, 'x.socket': { C: '3' } } } },
    });
    expect(paths).toContain('/etc/systemd/system/kubelet.service.d/environment.conf');
    expect(paths).toContain('/etc/systemd/system/containerd.service.d/environment.conf');
    expect(paths).toContain('/var/lib/eks-node-agent/cluster.json');
    expect(paths.filter((p) => p.includes('socket'))).toEqual([]);
  });
});

describe('scrub: the shapes a journal line may carry', () => {
  it.each([
    ['a JWT', 'token eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJub2RlIn0.c2lnbmF0dXJl end', 'token <redacted> end', 'eyJzdWIi'],
    ['URL userinfo', 'via http://admin:hunter2pass@proxy:3128/x', 'via http://<redacted>@proxy:3128/x', 'hunter2pass'],
    [
      'an Authorization header',
      'Authorization: AWS4-HMAC-SHA256 Credential=AKID/2024, Signature=abc',
      'Authorization: AWS4-HMAC-SHA256 <redacted>',
      'Signature=abc',
    ],
    ['a Proxy-Authorization header', 'Proxy-Authorization: Basic cHJveHk6cGFzc3dvcmQ=', 'Proxy-Authorization: Basic <redacted>', 'cHJveHk6'],
    ['a bare secret access key', 'key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY used', 'key <redacted> used', 'wJalrXUtnFEMI'],
  ])('%s', (_name, input, expected, secret) => {
    const out = scrub(input);
    expect(out).toBe(expected);
    expect(out).not.toContain(secret);
  });

  it('keeps certificates byte for byte and plain hashes', () => {
    const cert = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(40)}\nMIIBkDCCATWgAwIBAgIUZjtq5eSVXfRpnZ734RYfBHCgWEAwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n`;
    const sha1 = 'commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    expect(scrub(`${cert}${sha1}`)).toBe(`${cert}${sha1}`);
    expect(scrub('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----')).not.toContain('MIIE');
  });
});
