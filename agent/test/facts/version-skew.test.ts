import { describe, expect, it } from 'vitest';
import { versionSkewWarning } from '../../src/boot.js';
import { kubeletSkewProblem, minorOf } from '../../src/facts/version-skew.js';

const v = (text: string) => minorOf(text)!;

describe('minorOf', () => {
  it('reads the minor of every form a version comes in', () => {
    expect(minorOf('1.33')).toEqual({ major: 1, minor: 33 });
    expect(minorOf('v1.33.5-eks-3025e55')).toEqual({ major: 1, minor: 33 });
    expect(minorOf('Kubernetes v1.34.0')).toEqual({ major: 1, minor: 34 });
    expect(minorOf('v1.35.0+k3s1')).toEqual({ major: 1, minor: 35 });
    for (const bad of ['', 'latest', '1', 'v1.x', '1.33 and more']) expect(minorOf(bad), bad).toBeUndefined();
  });
});

describe('kubeletSkewProblem: the Kubernetes version skew policy', () => {
  const server = 'the API server';
  it('allows the same minor and up to three minors older', () => {
    for (const kubelet of ['1.33', '1.32', '1.31', '1.30']) expect(kubeletSkewProblem(v(kubelet), v('1.33'), server), kubelet).toBeUndefined();
  });

  it('refuses a kubelet newer than its API server, whatever the patch', () => {
    expect(kubeletSkewProblem(v('v1.34.0'), v('v1.33.9-eks-1'), server)).toBe(
      'kubelet 1.34 is newer than the API server; the Kubernetes version skew policy allows no kubelet newer than its API server (it may call APIs the server does not serve): run the image built for 1.33, or upgrade the cluster first',
    );
  });

  it('refuses a kubelet four minors older, and names the oldest image that fits', () => {
    expect(kubeletSkewProblem(v('1.29'), v('1.33'), server)).toBe(
      'kubelet 1.29 is 4 minors older than the API server; the Kubernetes version skew policy allows 3 (the server may have dropped APIs this kubelet calls): run an image built for 1.30 or later',
    );
  });

  it('allows a kubelet before 1.25 two minors only', () => {
    expect(kubeletSkewProblem(v('1.24'), v('1.26'), server)).toBeUndefined();
    expect(kubeletSkewProblem(v('1.24'), v('1.27'), server)).toMatch(/^kubelet 1\.24 is 3 minors older .* allows 2 .* an image built for 1\.25 or later$/);
  });

  it('refuses another major', () => {
    expect(kubeletSkewProblem(v('2.0'), v('1.33'), server)).toMatch(/^kubelet 2\.0 and the API server are of different major versions/);
  });
});

describe('versionSkewWarning: what init, render and doctor warn with', () => {
  const cluster = { name: 'prod', apiServerEndpoint: 'https://x.example.com', certificateAuthority: 'x', cidr: '10.100.0.0/16' };
  it('names the cluster, its version and where the version came from', () => {
    expect(versionSkewWarning('v1.34.1', { cluster, origin: 'eks:DescribeCluster', version: '1.33' })).toMatch(
      /^kubelet 1\.34 is newer than cluster "prod" \(Kubernetes 1\.33, as eks:DescribeCluster gives it\); /,
    );
    expect(versionSkewWarning('v1.28.0', { cluster, origin: 'cached answer', version: '1.33' })).toMatch(
      /^kubelet 1\.28 is 5 minors older than cluster "prod" \(Kubernetes 1\.33, as the cached eks:DescribeCluster answer gives it\); /,
    );
    expect(versionSkewWarning('v1.30.0', { cluster, origin: 'cluster file', version: '1.29' })).toContain('as the --cluster file gives it');
  });

  it('says nothing within the policy or without a described version', () => {
    expect(versionSkewWarning('v1.33.1', { cluster, origin: 'eks:DescribeCluster', version: '1.33' })).toBeUndefined();
    expect(versionSkewWarning('v1.35.1', { cluster, origin: 'user data' })).toBeUndefined();
  });
});
