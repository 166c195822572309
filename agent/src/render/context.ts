import type { ResolvedNodeConfig } from '../api/schema.js';
import { imdsProxyWarnings, pullProxyWarnings } from './kubelet-proxy.js';
import { AGENT_EVICTION_HARD, kubeletFlagWarnings } from '../api/kubelet-flags.js';
import { type ParsedConfig, parseResolvedConfig } from '../api/validate.js';
import { InputError } from '../errors.js';
import type { Facts } from '../facts/types.js';
import { decideMaxPods } from './max-pods.js';
import { type IpFamily, nodeIp } from './network.js';
import { defaultPauseImage } from './pause-image.js';
import { type Version, atLeast, parseVersion } from './versions.js';
import { type KubeletDefaults, kubeletVersionedDefaults } from './kubelet-defaults.js';
import { kubeletFragmentFor, kubeletVersionWarnings } from './config-warnings.js';
import { kubeReserved } from './reserved.js';
import { decideReservedMemory, type MemoryReservation } from './reserved-memory.js';
import { decideFastImagePull } from './fast-image-pull.js';
import { show } from '../api/problems.js';

export interface RenderOptions {
  /** sandbox image for containerd; default: the EKS pause image of the instance's region */
  pauseImage?: string;
  /**
   * the values the rule set parsed from this config (loadConfig and resolveCluster validated
   * it); without them render asks the rule set itself, which throws for an invalid config
   */
  parsed?: ParsedConfig;
}

/** Everything the per-file renderers share, decided once so they cannot disagree. */
export interface RenderContext {
  config: ResolvedNodeConfig;
  parsed: ParsedConfig;
  facts: Facts;
  family: IpFamily;
  nodeIp: string;
  /** --hostname-override: the private DNS name, or the instance id with InstanceIdNodeName */
  nodeName: string;
  kubelet: Version;
  containerd: Version;
  /** the version-gated kubelet settings for this kubelet on this machine */
  kubeletDefaults: KubeletDefaults;
  maxPods: number;
  /** reservedMemory the agent writes for the Static memory manager, when the user's config needs one and has none */
  reservedMemory: MemoryReservation[] | undefined;
  /** the user's kubelet.config fragment, when it has any key */
  kubeletFragment: Record<string, unknown> | undefined;
  /** kubelet >= 1.28 reads drop-ins from --config-dir */
  kubeletDropIn: boolean;
  pauseImage: string;
  /** FastImagePull is on and taken here: containerd pulls through the SOCI snapshotter (fast-image-pull.ts) */
  fastImagePull: boolean;
  warnings: string[];
  /** what render decided that a reader may want to know and that is not a problem (Plan.notes) */
  notes: string[];
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const INSTANCE_ID = /^[a-z]-[0-9a-f]+$/;

/** The name the kubelet registers: the private DNS name, or the instance id with InstanceIdNodeName. */
export function nodeNameOf(config: { spec?: { featureGates?: Record<string, boolean> } }, instance: { instanceId: string; privateDnsName: string }): string {
  return config.spec?.featureGates?.InstanceIdNodeName === true ? instance.instanceId : instance.privateDnsName;
}

export function buildContext(config: ResolvedNodeConfig, facts: Facts, options: RenderOptions = {}): RenderContext {
  const instance = facts.instance;
  const spec = config.spec;
  const parsed = options.parsed ?? parseResolvedConfig(config);
  const family = parsed.serviceCidr.family;
  const kubelet = parseVersion('facts.kubeletVersion', instance.kubeletVersion);
  const containerd = parseVersion('facts.containerdVersion', instance.containerdVersion);
  if (!INSTANCE_ID.test(instance.instanceId)) {
    throw new InputError(`facts.instanceId: ${show(instance.instanceId)} is not an instance id (expected e.g. "i-0123456789abcdef0")`);
  }
  if (!DNS_NAME.test(instance.privateDnsName)) {
    throw new InputError(`facts.privateDnsName: ${show(instance.privateDnsName)} is not a DNS name (expected e.g. "ip-10-0-1-23.us-west-2.compute.internal")`);
  }
  if (!Number.isFinite(instance.cpuMillicores) || instance.cpuMillicores <= 0) {
    throw new InputError(`facts.cpuMillicores: ${show(instance.cpuMillicores)} is not a positive number (expected e.g. 2000)`);
  }
  // gates this kubelet lacks are left out (gateVersionWarnings says so): it would stop at start for them
  const kubeletFragment = kubeletFragmentFor(config, kubelet);
  const decision = decideMaxPods({
    flag: parsed.maxPodsFlag,
    explicit: kubeletFragment?.maxPods as number | undefined,
    expression: parsed.maxPodsExpression,
    eniLimits: facts.eniLimits,
    instanceType: instance.instanceType,
    cpuMillicores: instance.cpuMillicores,
    unknownWhy: facts.eniLimitsUnknown,
  });

  const kubeletDefaults = kubeletVersionedDefaults(kubelet, facts);
  const memory = decideReservedMemory(
    { kubeReserved: kubeReserved(instance.cpuMillicores, decision.maxPods), evictionHard: AGENT_EVICTION_HARD },
    kubeletFragment,
    spec.kubelet?.flags,
  );
  const fastPull = decideFastImagePull(spec.featureGates, facts);
  return {
    config,
    parsed,
    facts,
    family,
    nodeIp: nodeIp(family, instance),
    nodeName: nodeNameOf(config, instance),
    kubelet,
    containerd,
    kubeletDefaults,
    maxPods: decision.maxPods,
    reservedMemory: memory.reservedMemory,
    kubeletFragment,
    kubeletDropIn: atLeast(kubelet, 1, 28),
    pauseImage: options.pauseImage ?? facts.sandboxImage ?? defaultPauseImage(instance.region),
    fastImagePull: fastPull.use,
    warnings: [
      ...decision.warnings,
      ...kubeletFlagWarnings(spec.kubelet?.flags, spec.kubelet?.config),
      ...imdsProxyWarnings(config, facts.instance),
      ...pullProxyWarnings(config),
      ...kubeletVersionWarnings(config, kubelet),
      ...memory.warnings,
      ...(fastPull.warning ? [fastPull.warning] : []),
    ],
    notes: fastPull.note ? [fastPull.note] : [],
  };
}
