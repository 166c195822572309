import type { _InstanceType } from './sdk/ec2.js';
import type { EniLimits } from '../facts/types.js';
import { EnvironmentError } from '../errors.js';
import { type AwsClientOptions, DEFAULT_AWS_MAX_ATTEMPTS, callAws, sdkClientConfig, sleep as defaultSleep } from './client.js';

/**
 * The two EC2 calls the agent may make, both fallbacks off the normal boot path:
 * ec2:DescribeInstanceTypes for max pods when the instance type is not in the table baked into
 * the image, and ec2:DescribeInstances for the node name when IMDS local-hostname is not a name
 * EC2 assigned (a custom DHCP domain).
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

/** EC2's answers when the caller's role lacks the permission. */
const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);
/** Right after launch DescribeInstances may not know the instance yet, or not its DNS name. */
const NOT_YET = 'InvalidInstanceID.NotFound';

/**
 * The instance's PrivateDnsName, the name EKS authorizes the node by. Throttling and server
 * errors are retried by the SDK; an instance EC2 does not know yet (eventual consistency just
 * after launch) is asked again with backoff, at most `maxAttempts` times. A denial names the
 * permission, and the feature gate that makes the call unnecessary.
 */
export async function describeInstancePrivateDnsName(instanceId: string, options: AwsClientOptions, sleep = defaultSleep): Promise<string> {
  const what = `ec2:DescribeInstances for "${instanceId}"`;
  const attempts = options.maxAttempts ?? DEFAULT_AWS_MAX_ATTEMPTS;
  let why = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(Math.min(200 * 2 ** (attempt - 2), 2_000));
    let out;
    try {
      out = await callAws<unknown, import('./sdk/ec2.js').DescribeInstancesCommandOutput>(what, options, async (watch) => {
        const config = await sdkClientConfig('ec2', options, watch);
        const sdk = await import('./sdk/ec2.js');
        return { client: new sdk.EC2Client(config), command: new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }) };
      });
    } catch (err) {
      const code = ((err as Error).cause as { name?: string } | undefined)?.name ?? '';
      if (DENIED.has(code)) {
        throw new EnvironmentError(
          `${what} was denied (${code}): the node's IAM role needs the ec2:DescribeInstances permission to learn the node name ` +
            `(EKS registers nodes by their EC2 PrivateDnsName, and IMDS local-hostname carries a custom DHCP domain); ` +
            `allow ec2:DescribeInstances, or set spec.featureGates.InstanceIdNodeName: true`,
          { cause: (err as Error).cause },
        );
      }
      if (code === NOT_YET && attempt < attempts) continue;
      throw err;
    }
    const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    if (instance?.PrivateDnsName) return instance.PrivateDnsName;
    why = 'the answer has no PrivateDnsName';
  }
  throw new EnvironmentError(`${what}: ${why} (after ${attempts} attempts)`);
}

export async function describeInstanceTypeEnis(instanceType: string, options: AwsClientOptions): Promise<EniLimits> {
  const what = `ec2:DescribeInstanceTypes for "${instanceType}"`;
  const out = await callAws<unknown, import('./sdk/ec2.js').DescribeInstanceTypesCommandOutput>(what, options, async (watch) => {
    const config = await sdkClientConfig('ec2', options, watch);
    const sdk = await import('./sdk/ec2.js');
    return {
      client: new sdk.EC2Client(config),
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
    throw new EnvironmentError(`${what}: the answer lacks ${!enis ? `the ENI count of network card ${cardIndex}` : 'Ipv4AddressesPerInterface'}`);
  }
  return { enis, ipv4PerEni };
}
