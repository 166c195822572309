import { readFileSync } from 'node:fs';
import type { Ec2Api } from '../aws/ec2.js';
import type { Imds } from '../aws/imds.js';
import { describeCause, InputError } from '../errors.js';
import { eniFacts, findInstanceTypeRow, lookupEniLimits, type EniLimitsLookup } from './eni-limits.js';
import { gatherInstanceFacts, readInterfaceIpv6 } from './instance.js';
import { readSandboxImage } from './sandbox-image.js';
import { readAcceleratorFacts } from './accelerators.js';
import { readPodResolvConf } from './resolv-conf.js';
import { hasSociSnapshotter } from './soci-snapshotter.js';
import type { AcceleratorFacts } from './types.js';
import type { Facts, InstanceFacts } from './types.js';

/**
 * The one fact gathering, used by init, render and doctor: the instance (from IMDS and the
 * machine, or a facts file), then its ENI limits in one order (the baked table, the agent's
 * built-in table, then ec2:DescribeInstanceTypes; render gives the one fallback warning), and the
 * baked sandbox image.
 */
export interface FactSources {
  /** the node root: the baked instance-type table and sandbox image are read under it */
  root: string;
  /** facts given (render --instance), or where to gather them */
  instance: InstanceFacts | { imds: Imds; versionTimeoutMs?: number; instanceIdNodeName?: boolean };
  /** an EC2 client for the instance's region; absent: no EC2 call (offline) */
  ec2?: (region: string) => Ec2Api;
  /** render --instance-types: a table file that replaces the baked one; a malformed one is bad input */
  instanceTypesTable?: string;
  /** false when max pods is explicit (kubelet.config.maxPods or a --max-pods flag): the ENI limits would decide nothing */
  needEniLimits?: boolean;
  /** false: the interface's IPv6 address is not asked of IMDS (see GatherOptions.ipv6) */
  needIpv6?: boolean;
  /** whether the image has the SOCI snapshotter, as a facts file says; otherwise looked for under `root` */
  sociSnapshotter?: boolean;
}

export interface GatheredFacts {
  facts: Facts;
  eniSource: EniLimitsLookup['source'] | 'not needed';
  /** where the node name came from, for the log ("facts file" when given) */
  nodeName: string;
  /** one line each, for the log */
  warnings: string[];
}

async function fromTableFile(file: string, type: string): Promise<EniLimitsLookup> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`--instance-types ${file}: cannot read (${describeCause(err)})`, { cause: err });
  }
  let row;
  try {
    row = findInstanceTypeRow(text, type);
  } catch (err) {
    throw new InputError(`--instance-types ${file}: ${describeCause(err)}`, { cause: err });
  }
  if (row) return { limits: { enis: row.defaultNetworkCardEnis, ipv4PerEni: row.ipv4PerEni }, source: 'table', warnings: [] };
  // not in the named table: the agent's built-in one still knows every type of its time
  return lookupEniLimits(type, { root: '/', tableFile: file });
}

export async function gatherFacts(sources: FactSources): Promise<GatheredFacts> {
  let ec2: Ec2Api | undefined;
  const ec2For = (region: string) => (ec2 ??= sources.ec2?.(region));
  const from = sources.instance;
  let nodeName = 'instanceId' in from ? 'the facts file' : from.instanceIdNodeName ? 'the instance id (InstanceIdNodeName)' : 'IMDS local-hostname';
  const fallback = (id: string, region: string, hostname: string | undefined) => {
    nodeName = `ec2:DescribeInstances, as local-hostname ${hostname ? `"${hostname}" is not a name EC2 assigned` : 'is missing'}`;
    return ec2For(region)!.describeInstancePrivateDnsName(id);
  };
  const instance =
    'instanceId' in from
      ? from
      : await gatherInstanceFacts({
          imds: from.imds,
          root: sources.root,
          ...(from.versionTimeoutMs === undefined ? {} : { versionTimeoutMs: from.versionTimeoutMs }),
          ...(from.instanceIdNodeName ? { instanceIdNodeName: true } : {}),
          ...(sources.needIpv6 === false ? { ipv6: false } : {}),
          ...(sources.ec2 ? { privateDnsNameFallback: fallback } : {}),
        });
  const client = ec2For(instance.region);
  // Hardware facts describe this machine: gathered on a node, not for facts given (render).
  const gathered = !('instanceId' in from);
  const [eni, sandboxImage, accelerators] = await Promise.all([
    sources.needEniLimits === false
      ? Promise.resolve<EniLimitsLookup>({ source: 'none', warnings: [] })
      : sources.instanceTypesTable
        ? fromTableFile(sources.instanceTypesTable, instance.instanceType)
        : lookupEniLimits(instance.instanceType, { root: sources.root, ...(client ? { ec2: client } : {}) }),
    readSandboxImage(sources.root),
    gathered ? readAcceleratorFacts(sources.root) : Promise.resolve<AcceleratorFacts | undefined>(undefined),
  ]);
  const podResolvConf = gathered ? readPodResolvConf(sources.root) : undefined;
  // an image fact, like the sandbox image: render on a laptop asks the facts file, else this machine
  const sociSnapshotter = sources.sociSnapshotter ?? hasSociSnapshotter(sources.root);
  return {
    facts: {
      instance,
      ...eniFacts(eni),
      ...(sandboxImage ? { sandboxImage } : {}),
      ...(accelerators ? { accelerators } : {}),
      ...(podResolvConf ? { podResolvConf } : {}),
      ...(sociSnapshotter ? { sociSnapshotter } : {}),
    },
    eniSource: sources.needEniLimits === false ? 'not needed' : eni.source,
    nodeName,
    warnings: eni.warnings,
  };
}

/** Facts gathered without the interface's IPv6 address (needIpv6 false), completed once the cluster turned out IPv6. */
export async function withInterfaceIpv6(gathered: GatheredFacts, imds: Imds): Promise<GatheredFacts> {
  const ipv6 = await readInterfaceIpv6(imds, gathered.facts.instance.mac);
  return ipv6 === undefined ? gathered : { ...gathered, facts: { ...gathered.facts, instance: { ...gathered.facts.instance, ipv6 } } };
}
