import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Api, describeInstancePrivateDnsName, describeInstanceTypeEnis } from '../../src/aws/ec2.js';
import { EnvironmentError } from '../../src/errors.js';
import { startEc2, type Ec2Emulator } from '../../../test/emulators/ec2.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' };
let ec2: Ec2Emulator | undefined;
afterEach(async () => {
  await ec2?.close();
  ec2 = undefined;
});
const opts = (over: object = {}) => ({ region: 'us-west-2', endpoint: ec2!.url, credentials, timeoutMs: 5_000, ...over });

describe('describeInstanceTypeEnis', () => {
  it('gives ENIs and IPv4 per ENI of a single-card type', async () => {
    ec2 = await startEc2();
    expect(await describeInstanceTypeEnis('m5.large', opts())).toEqual({ enis: 3, ipv4PerEni: 10 });
    expect(await createEc2Api(opts()).describeInstanceTypeEnis('m4.xlarge')).toEqual({ enis: 4, ipv4PerEni: 15 });
    expect(ec2.requests[0]?.params).toMatchObject({ Action: 'DescribeInstanceTypes', 'InstanceType.1': 'm5.large' });
  });

  it('counts only the default network card of a multi-card type', async () => {
    ec2 = await startEc2();
    // 60 ENIs over four cards; 15 on the default one (max pods 15 * 49 + 2 = 737)
    expect(await describeInstanceTypeEnis('p4d.24xlarge', opts())).toEqual({ enis: 15, ipv4PerEni: 50 });
  });

  it('picks the card named by DefaultNetworkCardIndex', async () => {
    ec2 = await startEc2({
      instanceTypes: [
        {
          instanceType: 'odd.large',
          vcpus: 2,
          memoryMiB: 4096,
          architecture: 'x86_64',
          maximumNetworkInterfaces: 10,
          ipv4AddressesPerInterface: 8,
          ipv6AddressesPerInterface: 8,
          ipv6Supported: false,
          defaultNetworkCardIndex: 1,
          networkCards: [
            { networkCardIndex: 0, maximumNetworkInterfaces: 2 },
            { networkCardIndex: 1, maximumNetworkInterfaces: 8 },
          ],
        },
      ],
    });
    expect(await describeInstanceTypeEnis('odd.large', opts())).toEqual({ enis: 8, ipv4PerEni: 8 });
  });

  it('names InvalidInstanceType for a type EC2 does not know', async () => {
    ec2 = await startEc2();
    const err = await describeInstanceTypeEnis('x9z.large', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^ec2:DescribeInstanceTypes for "x9z.large" failed: InvalidInstanceType: /);
  });

  it('retries RequestLimitExceeded, and reports UnauthorizedOperation', async () => {
    ec2 = await startEc2({ throttleFirst: 1 });
    expect(await describeInstanceTypeEnis('t3.medium', opts())).toEqual({ enis: 3, ipv4PerEni: 6 });
    expect(ec2.requests.map((r) => r.status)).toEqual([503, 200]);
    ec2.set({ unauthorized: true });
    const err = await describeInstanceTypeEnis('t3.medium', opts()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/failed: UnauthorizedOperation: .*\[HTTP 403\]$/);
  });
});

describe('describeInstancePrivateDnsName', () => {
  it('gives the private DNS name of the instance', async () => {
    ec2 = await startEc2();
    expect(await createEc2Api(opts()).describeInstancePrivateDnsName('i-0123456789abcdef0')).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect(ec2.requests[0]?.params).toMatchObject({ Action: 'DescribeInstances', 'InstanceId.1': 'i-0123456789abcdef0' });
  });

  it('asks again, a bounded number of times, while EC2 does not know the instance yet, then names InvalidInstanceID.NotFound', async () => {
    ec2 = await startEc2();
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const err = await describeInstancePrivateDnsName('i-00000000000000000', opts({ maxAttempts: 3 }), sleep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^ec2:DescribeInstances for "i-00000000000000000" failed: InvalidInstanceID.NotFound: /);
    expect(ec2.requests.map((r) => r.errorCode)).toEqual(['InvalidInstanceID.NotFound', 'InvalidInstanceID.NotFound', 'InvalidInstanceID.NotFound']);
    expect(waits).toEqual([200, 400]);
  });

  it('names the missing permission when denied, without retrying', async () => {
    ec2 = await startEc2({ unauthorized: true });
    const err = await describeInstancePrivateDnsName('i-0123456789abcdef0', opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/was denied \(UnauthorizedOperation\): the node's IAM role needs the ec2:DescribeInstances permission/);
    expect((err as Error).message).toContain('spec.featureGates.InstanceIdNodeName');
    expect(ec2.requests).toHaveLength(1);
  });
});
