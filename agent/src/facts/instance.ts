import { IPV6_IMDS_ENDPOINT, type Imds } from '../aws/imds.js';
import { IDENTITY_PATH, type IdentityDocument, parseIdentity } from '../aws/instance-identity.js';
import { EnvironmentError } from '../errors.js';
import { readCpuMillicores, readMemoryMiB } from './machine.js';
import type { InstanceFacts } from './types.js';
import { defaultExec, readContainerdVersion, readKubeletVersion, type Exec } from './versions.js';

/**
 * Everything about this instance that render() needs, gathered concurrently: IMDS for identity
 * and addresses, the kernel's files for CPU and memory, the image for component versions.
 * The node name is IMDS local-hostname when EC2 assigned it; ec2:DescribeInstances is asked only
 * otherwise (see nodeNameSource), because it throttles in large scale-ups.
 */
export interface GatherOptions {
  imds: Imds;
  /** the machine's filesystem root ("/" on a node, a temp dir in tests) */
  root: string;
  exec?: Exec;
  /** deadline for each `<binary> --version` */
  versionTimeoutMs?: number;
  /** asked only when local-hostname is missing or not EC2-assigned (see nodeNameSource) */
  privateDnsNameFallback?: (instanceId: string, region: string, localHostname: string | undefined) => Promise<string>;
  /** spec.featureGates.InstanceIdNodeName: the node is named by its instance id, so neither is asked */
  instanceIdNodeName?: boolean;
  /**
   * false: the interface's IPv6 address is not asked (an IPv4 cluster, or one whose family is
   * known only once the cluster is resolved: readInterfaceIpv6 then). Default: asked.
   */
  ipv6?: boolean;
}

export type NodeNameSource = 'local-hostname' | 'ec2:DescribeInstances' | 'instance-id';

/** The DNS domain of a host name ("" when it has none). */
export function hostnameDomain(hostname: string): string {
  const dot = hostname.indexOf('.');
  return dot < 0
    ? ''
    : hostname
        .slice(dot + 1)
        .toLowerCase()
        .replace(/\.$/, '');
}

/**
 * Where the node name comes from. EKS authorizes a node by its EC2 PrivateDnsName, and IMDS
 * local-hostname equals it only when the VPC's DHCP option set uses the domain EC2 assigns:
 * ec2.internal in us-east-1, <region>.compute.internal elsewhere (IP names "ip-10-0-1-23." and
 * resource names "i-0123456789abcdef0." alike). With a custom domain-name the kubelet would
 * register as "ip-10-0-1-23.corp.example" and be refused, so the name is asked of EC2.
 */
export function nodeNameSource(localHostname: string | undefined, region: string, instanceIdNodeName = false): NodeNameSource {
  if (instanceIdNodeName) return 'instance-id';
  if (!localHostname) return 'ec2:DescribeInstances';
  const domain = hostnameDomain(localHostname);
  return domain === 'ec2.internal' || domain === `${region.toLowerCase()}.compute.internal` ? 'local-hostname' : 'ec2:DescribeInstances';
}

/** The node's identity as the boot path finds it, and where its name came from. */
export interface NodeIdentity {
  instanceId: string;
  /** the EC2 PrivateDnsName (with InstanceIdNodeName, local-hostname as it is: not the node name) */
  privateDnsName: string;
  /** IMDS local-hostname (the first, when DHCP gave several) */
  localHostname?: string;
  source: NodeNameSource;
}

/** The first entry of a whitespace/newline separated IMDS list, e.g. several DHCP domains. */
function first(text: string | undefined): string | undefined {
  return text?.trim().split(/\s+/)[0] || undefined;
}

async function nodeIdentityOf(
  id: IdentityDocument,
  hostname: string | undefined,
  options: Pick<GatherOptions, 'privateDnsNameFallback' | 'instanceIdNodeName'>,
): Promise<NodeIdentity> {
  const source = nodeNameSource(hostname, id.region, options.instanceIdNodeName);
  const base = { instanceId: id.instanceId, ...(hostname ? { localHostname: hostname } : {}), source };
  switch (source) {
    case 'local-hostname':
      return { ...base, privateDnsName: hostname as string };
    case 'instance-id':
      // Only kept as a fact: render names the node by its id.
      return { ...base, privateDnsName: hostname ?? id.instanceId };
    case 'ec2:DescribeInstances':
      if (!options.privateDnsNameFallback) {
        throw new EnvironmentError(
          `IMDS meta-data/local-hostname: ${hostname ? `"${hostname}" is not a name EC2 assigned` : 'not found'}, and no way to ask ec2:DescribeInstances for the node name`,
        );
      }
      return { ...base, privateDnsName: await options.privateDnsNameFallback(id.instanceId, id.region, hostname) };
  }
}

/** The instance id and node name, found as gatherInstanceFacts finds them (the doctor asks this way). */
export async function readNodeIdentity(imds: Imds, options: Pick<GatherOptions, 'privateDnsNameFallback' | 'instanceIdNodeName'> = {}): Promise<NodeIdentity> {
  const [id, hostname] = await Promise.all([imds.get(IDENTITY_PATH).then(parseIdentity), imds.getOptional('meta-data/local-hostname').then(first)]);
  return nodeIdentityOf(id, hostname, options);
}

/** The first IPv6 address of the interface with this MAC (the primary one), or undefined when it has none. */
export async function readInterfaceIpv6(imds: Imds, mac: string): Promise<string | undefined> {
  return first(await imds.getOptional(`meta-data/network/interfaces/macs/${mac}/ipv6s`));
}

export async function gatherInstanceFacts(options: GatherOptions): Promise<InstanceFacts> {
  const { imds, root } = options;
  const exec = options.exec ?? defaultExec;
  const versionTimeoutMs = options.versionTimeoutMs ?? 10_000;

  const identity = imds.get(IDENTITY_PATH).then(parseIdentity);
  const mac = imds.get('meta-data/mac').then((t) => t.trim());
  const ipv6 = options.ipv6 === false ? Promise.resolve(undefined) : mac.then((m) => readInterfaceIpv6(imds, m));
  // read whatever the cluster's family: the node-ip's family is judged at render, with the CIDR
  const privateIpv4 = imds.getOptional('meta-data/local-ipv4').then((t) => t?.trim() || undefined);
  const hostname = imds.getOptional('meta-data/local-hostname').then(first);
  const cpu = readCpuMillicores(root);
  const memory = readMemoryMiB(root);
  const kubelet = readKubeletVersion(root, exec, versionTimeoutMs);
  const containerd = readContainerdVersion(root, exec, versionTimeoutMs);
  // Settle everything before throwing so no rejection is left unhandled.
  const all = [identity, mac, ipv6, privateIpv4, hostname, cpu, memory, kubelet, containerd] as const;
  const settled = await Promise.allSettled(all);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;

  const id = await identity;
  const { privateDnsName } = await nodeIdentityOf(id, await hostname, options);
  const v6 = await ipv6;
  const v4 = await privateIpv4;
  // asked after the reads, when the client knows which endpoint answered them
  const overIpv6 = (imds.servedBy ?? imds.endpoint) === IPV6_IMDS_ENDPOINT;
  return {
    instanceId: id.instanceId,
    instanceType: id.instanceType,
    region: id.region,
    availabilityZone: id.availabilityZone,
    mac: await mac,
    ...(v4 === undefined ? {} : { privateIpv4: v4 }),
    ...(v6 === undefined ? {} : { ipv6: v6 }),
    privateDnsName,
    cpuMillicores: await cpu,
    memoryMiB: await memory,
    kubeletVersion: await kubelet,
    containerdVersion: await containerd,
    ...(overIpv6 ? { imdsOverIpv6: true } : {}),
  };
}
