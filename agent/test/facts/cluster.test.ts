import { afterEach, describe, expect, it } from 'vitest';
import { createEksApi, type EksApi } from '../../src/aws/eks.js';
import { resolveCluster } from '../../src/facts/cluster.js';
import { missingClusterFields } from '../../src/api/validate.js';
import { EnvironmentError, InputError } from '../../src/errors.js';
import { TEST_CLUSTER_CA_BASE64, startEks, type EksEmulator, type EksOptions } from '../../../test/emulators/eks.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };
const EMULATED_ENDPOINT = 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com';
let eks: EksEmulator | undefined;
afterEach(async () => {
  await eks?.close();
  eks = undefined;
});

async function setUp(options: EksOptions = {}): Promise<{ eks: EksApi }> {
  eks = await startEks(options);
  return { eks: createEksApi({ region: 'us-west-2', endpoint: eks.url, credentials, timeoutMs: 3_000, maxAttempts: 3 }) };
}

const complete = {
  name: 'prod',
  apiServerEndpoint: 'https://user.example.com',
  certificateAuthority: 'dXNlci1jYQ==',
  cidr: '172.20.0.0/16',
};

describe('resolveCluster', () => {
  it('makes no call when the user data is complete', async () => {
    const deps = await setUp();
    const out = await resolveCluster({ ...complete, enableOutpost: false }, deps);
    expect(out).toEqual({ cluster: { ...complete, enableOutpost: false }, fetched: [] });
    expect(eks!.requests).toHaveLength(0);
  });

  it('fills endpoint, CA and CIDR from DescribeCluster for a name-only config', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const out = await resolveCluster({ name: 'prod' }, deps);
    expect(out).toEqual({
      cluster: { name: 'prod', apiServerEndpoint: EMULATED_ENDPOINT, certificateAuthority: TEST_CLUSTER_CA_BASE64, cidr: '10.100.0.0/16' },
      fetched: ['apiServerEndpoint', 'certificateAuthority', 'cidr'],
    });
    expect(eks!.requests.map((r) => r.clusterName)).toEqual(['prod']);
  });

  it('keeps what the user gave and fetches only the rest', async () => {
    const deps = await setUp({ clusters: { prod: {} } });
    const out = await resolveCluster({ name: 'prod', apiServerEndpoint: complete.apiServerEndpoint, cidr: complete.cidr }, deps);
    expect(out.fetched).toEqual(['certificateAuthority']);
    expect(out.cluster).toEqual({ ...complete, certificateAuthority: TEST_CLUSTER_CA_BASE64 });
  });

  it('takes the IPv6 service CIDR of an IPv6 cluster', async () => {
    const deps = await setUp({ clusters: { six: { ipFamily: 'ipv6', serviceIpv6Cidr: 'fd00::/108' } } });
    expect((await resolveCluster({ name: 'six' }, deps)).cluster.cidr).toBe('fd00::/108');
  });

  it('retries through throttling', async () => {
    const deps = await setUp({ clusters: { prod: {} }, throttleFirst: 1 });
    expect((await resolveCluster({ name: 'prod' }, deps)).fetched).toHaveLength(3);
    expect(eks!.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('passes on access denied as an environment error naming the call and the cluster', async () => {
    const deps = await setUp({ accessDenied: true });
    const err = await resolveCluster({ name: 'prod' }, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^eks:DescribeCluster for cluster "prod" failed: AccessDeniedException/);
  });

  it('says what a cluster still being created lacks', async () => {
    const deps = await setUp({ clusters: { young: { status: 'CREATING', endpoint: '' } } });
    await expect(resolveCluster({ name: 'young' }, deps)).rejects.toThrow(
      'eks:DescribeCluster for cluster "young" gave no apiServerEndpoint (cluster status CREATING)',
    );
  });

  it('needs a cluster name', async () => {
    const fake: EksApi = {
      describeCluster: () => {
        throw new Error('not expected');
      },
    };
    const err = await resolveCluster(undefined, { eks: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe('spec.cluster.name: is required (the EKS cluster to join)');
  });
});

describe('missingClusterFields', () => {
  it('lists the missing fields in a fixed order', () => {
    expect(missingClusterFields(undefined)).toEqual(['apiServerEndpoint', 'certificateAuthority', 'cidr']);
    expect(missingClusterFields({ name: 'x', cidr: '10.0.0.0/16' })).toEqual(['apiServerEndpoint', 'certificateAuthority']);
    expect(missingClusterFields(complete)).toEqual([]);
  });
});
