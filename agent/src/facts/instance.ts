import type { Imds } from '../aws/imds.js';
import { EnvironmentError } from '../errors.js';
import { readCpuMillicores, readMemoryMiB } from './machine.js';
import type { InstanceFacts } from './types.js';
import { defaultExec, readContainerdVersion, readKubeletVersion, type Exec } from './versions.js';

/**
 * Everything about this instance that render() needs, gathered concurrently: IMDS for identity
 * and addresses, the kernel's files for CPU and memory, the image for component versions.
 * The node name is IMDS local-hostname; ec2:DescribeInstances is not on the boot path because it
 * throttles in large scale-ups, so it is only a fallback the caller may inject.
 */
export interface GatherOptions {
  imds: Imds;
  /** the machine's filesystem root ("/" on a node, a temp dir in tests) */
  root: string;
  exec?: Exec;
  /** deadline for each `<binary> --version` */
  versionTimeoutMs?: number;
  /** asked only when IMDS has no local-hostname */
  privateDnsNameFallback?: (instanceId: string, region: string) => Promise<string>;
}

const IDENTITY_PATH = 'dynamic/instance-identity/document';

interface Identity {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
}

function parseIdentity(text: string): Identity {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new EnvironmentError(`IMDS ${IDENTITY_PATH}: not JSON ("${text.slice(0, 60)}")`);
  }
  const out: Partial<Identity> = {};
  for (const key of ['instanceId', 'instanceType', 'region', 'availabilityZone'] as const) {
    const value = (doc as Record<string, unknown> | null)?.[key];
    if (typeof value !== 'string' || value === '') {
      throw new EnvironmentError(`IMDS ${IDENTITY_PATH}: "${key}" is missing or not a string`);
    }
    out[key] = value;
  }
  return out as Identity;
}

/** The first entry of a whitespace/newline separated IMDS list, e.g. several DHCP domains. */
function first(text: string | undefined): string | undefined {
  return text?.trim().split(/\s+/)[0] || undefined;
}

/** The node's private DNS name: IMDS local-hostname, else the fallback (ec2:DescribeInstances). */
async function privateDnsNameOf(id: Identity, hostname: string | undefined, fallback: GatherOptions['privateDnsNameFallback']): Promise<string> {
  if (hostname) return hostname;
  if (!fallback) throw new EnvironmentError('IMDS meta-data/local-hostname: not found, and no fallback to ask for the node name');
  return fallback(id.instanceId, id.region);
}

/** Only the instance id and private DNS name, found as gatherInstanceFacts finds them (the doctor asks this way). */
export async function readNodeIdentity(imds: Imds, fallback?: GatherOptions['privateDnsNameFallback']): Promise<{ instanceId: string; privateDnsName: string }> {
  const [id, hostname] = await Promise.all([imds.get(IDENTITY_PATH).then(parseIdentity), imds.getOptional('meta-data/local-hostname').then(first)]);
  return { instanceId: id.instanceId, privateDnsName: await privateDnsNameOf(id, hostname, fallback) };
}

export async function gatherInstanceFacts(options: GatherOptions): Promise<InstanceFacts> {
  const { imds, root } = options;
  const exec = options.exec ?? defaultExec;
  const versionTimeoutMs = options.versionTimeoutMs ?? 10_000;

  const identity = imds.get(IDENTITY_PATH).then(parseIdentity);
  const mac = imds.get('meta-data/mac').then((t) => t.trim());
  const ipv6 = mac.then(async (m) => first(await imds.getOptional(`meta-data/network/interfaces/macs/${m}/ipv6s`)));
  const privateIpv4 = imds.get('meta-data/local-ipv4').then((t) => t.trim());
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
  const privateDnsName = await privateDnsNameOf(id, await hostname, options.privateDnsNameFallback);
  const v6 = await ipv6;
  return {
    instanceId: id.instanceId,
    instanceType: id.instanceType,
    region: id.region,
    availabilityZone: id.availabilityZone,
    mac: await mac,
    privateIpv4: await privateIpv4,
    ...(v6 === undefined ? {} : { ipv6: v6 }),
    privateDnsName,
    cpuMillicores: await cpu,
    memoryMiB: await memory,
    kubeletVersion: await kubelet,
    containerdVersion: await containerd,
  };
}
