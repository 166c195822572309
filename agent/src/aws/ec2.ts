import type { _InstanceType } from '@aws-sdk/client-ec2';
import type { EniLimits } from '../facts/types.js';
import { EnvironmentError } from '../errors.js';
import { DEFAULT_AWS_MAX_ATTEMPTS, DEFAULT_AWS_TIMEOUT_MS, describeAwsError, type AwsCallOptions } from './eks.js';

/**
 * The two EC2 calls the agent may make, both fallbacks off the normal boot path:
 * ec2:DescribeInstanceTypes for max pods when the instance type is not in the table baked into
 * the image, and ec2:DescribeInstances for the node name when IMDS has no local-hostname.
 * Only the default network card counts for ENIs: pods get addresses from the ENIs the VPC CNI
 * attaches there, so a multi-card type is not credited with every card.
 */

export interface Ec2Api {
  describeInstanceTypeEnis(instanceType: string): Promise<EniLimits>;
  describeInstancePrivateDnsName(instanceId: string): Promise<string>;
}

export function createEc2Api(options: AwsCallOptions): Ec2Api {
  return {
    describeInstanceTypeEnis: (type) => describeInstanceTypeEnis(type, options),
    describeInstancePrivateDnsName: (id) => describeInstancePrivateDnsName(id, options),
  };
}

async function ec2Client(options: AwsCallOptions, timeoutMs: number) {
  const sdk = await import('@aws-sdk/client-ec2');
  const client = new sdk.EC2Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? DEFAULT_AWS_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 3_000), requestTimeout: timeoutMs },
  });
  return { sdk, client };
}

export async function describeInstancePrivateDnsName(instanceId: string, options: AwsCallOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  const what = `ec2:DescribeInstances for "${instanceId}"`;
  let out;
  try {
    const { sdk, client } = await ec2Client(options, timeoutMs);
    try {
      out = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw new EnvironmentError(`${what} failed: ${describeAwsError(err, timeoutMs)}`, { cause: err });
  }
  const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance?.PrivateDnsName) throw new EnvironmentError(`${what}: the answer has no PrivateDnsName`);
  return instance.PrivateDnsName;
}

export async function describeInstanceTypeEnis(instanceType: string, options: AwsCallOptions): Promise<EniLimits> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  const what = `ec2:DescribeInstanceTypes for "${instanceType}"`;
  let out;
  try {
    const { sdk, client } = await ec2Client(options, timeoutMs);
    try {
      out = await client.send(new sdk.DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw new EnvironmentError(`${what} failed: ${describeAwsError(err, timeoutMs)}`, { cause: err });
  }
  const info = out.InstanceTypes?.find((t) => t.InstanceType === instanceType)?.NetworkInfo;
  if (!info) throw new EnvironmentError(`${what}: the answer does not describe the type`);
  const cardIndex = info.DefaultNetworkCardIndex ?? 0;
  const card = info.NetworkCards?.find((c) => (c.NetworkCardIndex ?? 0) === cardIndex);
  // Older single-card answers carry no NetworkCards list; the instance total is then the card's.
  const enis = card?.MaximumNetworkInterfaces ?? (info.NetworkCards?.length ? undefined : info.MaximumNetworkInterfaces);
  const ipv4PerEni = info.Ipv4AddressesPerInterface;
  if (!enis || !ipv4PerEni) {
    throw new EnvironmentError(
      `${what}: the answer lacks ${!enis ? `the ENI count of network card ${cardIndex}` : 'Ipv4AddressesPerInterface'}`,
    );
  }
  return { enis, ipv4PerEni };
}
