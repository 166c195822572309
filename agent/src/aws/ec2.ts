import type { _InstanceType } from '@aws-sdk/client-ec2';
import type { EniLimits } from '../facts/types.js';
import { EnvironmentError } from '../errors.js';
import { type AwsClientOptions, callAws, sdkClientConfig } from './client.js';

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

export function createEc2Api(options: AwsClientOptions): Ec2Api {
  return {
    describeInstanceTypeEnis: (type) => describeInstanceTypeEnis(type, options),
    describeInstancePrivateDnsName: (id) => describeInstancePrivateDnsName(id, options),
  };
}

export async function describeInstancePrivateDnsName(instanceId: string, options: AwsClientOptions): Promise<string> {
  const what = `ec2:DescribeInstances for "${instanceId}"`;
  const out = await callAws<unknown, import('@aws-sdk/client-ec2').DescribeInstancesCommandOutput>(what, options, async () => {
    const sdk = await import('@aws-sdk/client-ec2');
    return { client: new sdk.EC2Client(sdkClientConfig(options)), command: new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }) };
  });
  const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance?.PrivateDnsName) throw new EnvironmentError(`${what}: the answer has no PrivateDnsName`);
  return instance.PrivateDnsName;
}

export async function describeInstanceTypeEnis(instanceType: string, options: AwsClientOptions): Promise<EniLimits> {
  const what = `ec2:DescribeInstanceTypes for "${instanceType}"`;
  const out = await callAws<unknown, import('@aws-sdk/client-ec2').DescribeInstanceTypesCommandOutput>(what, options, async () => {
    const sdk = await import('@aws-sdk/client-ec2');
    return {
      client: new sdk.EC2Client(sdkClientConfig(options)),
      command: new sdk.DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }),
    };
  });
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
