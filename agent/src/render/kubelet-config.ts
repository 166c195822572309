import { durationMs } from '../api/kubelet-config-fields.js';
import { byPodPriority, gracefulShutdownOff, reservedSystemCpus, serverCertificateGateOff } from '../api/kubelet-config-rules.js';
import { AGENT_EVICTION_HARD, hasFlag, lastFlag } from '../api/kubelet-flags.js';
import type { RenderContext } from './context.js';
import { stableJson } from '../common/json.js';
import { deepMerge } from '../common/merge.js';
import { PATHS } from './paths.js';
import { SOCI } from './fast-image-pull.js';
import type { PlannedFile } from './plan.js';
import { kubeReserved } from './reserved.js';

const API_VERSION = 'kubelet.config.k8s.io/v1beta1';
const KIND = 'KubeletConfiguration';

/** Modern suites only: ECDHE with AES-GCM or ChaCha20, plus RSA key exchange with AES-GCM. */
const TLS_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_RSA_WITH_AES_256_GCM_SHA384',
];

/** The Node's providerID, by which EKS's cloud controller (and Karpenter) find the instance. */
export function providerIdOf(instance: { availabilityZone: string; instanceId: string }): string {
  return `aws:///${instance.availabilityZone}/${instance.instanceId}`;
}

/**
 * The agent's KubeletConfiguration: defaults of the AL2023 AMI, the settings its kubelet version
 * gets (kubelet-defaults.ts), plus what facts decide.
 */
export function agentKubeletConfig(ctx: RenderContext): Record<string, unknown> {
  return withoutConflicts(agentSettings(ctx), ctx.config.spec.kubelet?.config, ctx.config.spec.kubelet?.flags);
}

function agentSettings(ctx: RenderContext): Record<string, unknown> {
  const { instance } = ctx.facts;
  const ipv6 = ctx.family === 'ipv6';
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    address: ipv6 ? '::' : '0.0.0.0',
    authentication: {
      anonymous: { enabled: false },
      webhook: { cacheTTL: '2m0s', enabled: true },
      x509: { clientCAFile: PATHS.caCert },
    },
    authorization: {
      mode: 'Webhook',
      webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' },
    },
    cgroupDriver: 'systemd',
    ...ctx.kubeletDefaults.config,
    cgroupRoot: '/',
    clusterDNS: [ctx.parsed.serviceCidr.dnsAddress],
    clusterDomain: 'cluster.local',
    containerRuntimeEndpoint: `unix://${PATHS.containerdSocket}`,
    featureGates: ctx.kubeletDefaults.featureGates,
    evictionHard: { ...AGENT_EVICTION_HARD },
    hairpinMode: 'hairpin-veth',
    // FastImagePull: pulls go to the SOCI snapshotter's image service, which unpacks them in parallel
    ...(ctx.fastImagePull ? { imageServiceEndpoint: `unix://${SOCI.socket}` } : {}),
    healthzBindAddress: ipv6 ? '::1' : '127.0.0.1',
    kubeReserved: kubeReserved(instance.cpuMillicores, ctx.maxPods),
    // The image runs containerd and the kubelet in runtime.slice and the rest of the OS in
    // system.slice; naming them lets the kubelet account kube/system reservations to them.
    kubeReservedCgroup: '/runtime',
    logging: { verbosity: 2 },
    maxPods: ctx.maxPods,
    protectKernelDefaults: true,
    providerID: providerIdOf(instance),
    readOnlyPort: 0,
    // systemd-resolved's real servers when /etc/resolv.conf is its stub, which pods cannot reach
    ...(ctx.facts.podResolvConf ? { resolvConf: ctx.facts.podResolvConf } : {}),
    // only for the Static memory manager without the user's own (reserved-memory.ts)
    ...(ctx.reservedMemory ? { reservedMemory: ctx.reservedMemory } : {}),
    serializeImagePulls: false,
    serverTLSBootstrap: true,
    systemReservedCgroup: '/system',
    tlsCipherSuites: TLS_CIPHER_SUITES,
  };
}

/**
 * The agent's settings that would make the kubelet stop beside what the user sets, left out so
 * the user's setting stands (the user's fragment is layered over the agent's, field by field):
 * - kubeReservedCgroup and systemReservedCgroup when the user reserves CPUs for the system
 *   (reservedSystemCPUs or --reserved-cpus): the kubelet refuses either beside them. The two
 *   name cgroups only for enforcing reservations, which the agent does not ask for.
 * - the agent's shutdownGracePeriodCriticalPods when the user sets a shorter shutdownGracePeriod
 *   alone (the critical pods' share must fit in it): the kubelet's default, 0, then applies.
 * - both of the agent's shutdown grace periods when the user gives shutdownGracePeriodByPodPriority,
 *   which the kubelet refuses beside either: the user's list then decides the shutdown alone; and
 *   when the user turns the GracefulNodeShutdown gate off, which refuses any grace period.
 * - serverTLSBootstrap when the user turns the RotateKubeletServerCertificate gate off (in
 *   featureGates or a --feature-gates flag, which wins), which the kubelet requires for it: the
 *   kubelet then serves with a self-signed certificate.
 */
function withoutConflicts(
  agent: Record<string, unknown>,
  user: Record<string, unknown> | undefined,
  flags: readonly string[] | undefined,
): Record<string, unknown> {
  const out = { ...agent };
  if (reservedSystemCpus(user, flags) !== undefined) {
    delete out.kubeReservedCgroup;
    delete out.systemReservedCgroup;
  }
  const critical = typeof out.shutdownGracePeriodCriticalPods === 'string' ? durationMs(out.shutdownGracePeriodCriticalPods) : undefined;
  const userGrace = lastFlag(flags, '--shutdown-grace-period')?.value ?? user?.shutdownGracePeriod;
  const userCritical = lastFlag(flags, '--shutdown-grace-period-critical-pods')?.value ?? user?.shutdownGracePeriodCriticalPods;
  const grace = typeof userGrace === 'string' ? durationMs(userGrace) : undefined;
  if (critical !== undefined && grace !== undefined && userCritical === undefined && grace < critical) delete out.shutdownGracePeriodCriticalPods;
  if (serverCertificateGateOff(user, flags)) delete out.serverTLSBootstrap;
  if (byPodPriority(user, flags) || gracefulShutdownOff(user, flags)) {
    delete out.shutdownGracePeriod;
    delete out.shutdownGracePeriodCriticalPods;
  }
  return out;
}

/**
 * A shutdownGracePeriodCriticalPods the user sets alone must fit in the shutdownGracePeriod the
 * kubelet gets: the agent's from 1.34 on (kubelet-defaults.ts), none (0) before. Which one
 * depends on the kubelet version, so `config check` cannot judge it (it judges the pair when
 * both are set); render and init warn, and the kubelet would stop at start.
 */
export function shutdownShareWarnings(
  agentDefaults: Record<string, unknown>,
  user: Record<string, unknown> | undefined,
  flags: readonly string[] | undefined,
): string[] {
  const critical = user?.shutdownGracePeriodCriticalPods;
  if (typeof critical !== 'string' || user?.shutdownGracePeriod !== undefined) return [];
  if (hasFlag(flags, '--shutdown-grace-period', '--shutdown-grace-period-critical-pods')) return [];
  const agentGrace = typeof agentDefaults.shutdownGracePeriod === 'string' ? agentDefaults.shutdownGracePeriod : undefined;
  const criticalMs = durationMs(critical);
  if (criticalMs === undefined || criticalMs <= (agentGrace === undefined ? 0 : (durationMs(agentGrace) ?? 0))) return [];
  const gets = agentGrace === undefined ? 'none, the agent gives it from kubelet 1.34 on' : `"${agentGrace}", the agent's for this kubelet`;
  return [
    `spec.kubelet.config.shutdownGracePeriodCriticalPods: "${critical}" is longer than the shutdownGracePeriod this kubelet gets (${gets}), and the kubelet stops at start (expected shutdownGracePeriod set beside it, e.g. "5m")`,
  ];
}

/**
 * config.json always holds the agent's configuration (with the effective maxPods, so
 * kubeReserved agrees with it). The user's spec.kubelet.config goes, unchanged, into the drop-in
 * 40-eks-node.conf, which the kubelet (>= 1.28, --config-dir) layers over config.json with its
 * own rules: maps merge key by key, lists and scalars replace. Older kubelets have no drop-ins,
 * so the agent applies the same rule itself and writes the result into config.json.
 */
export function renderKubeletConfig(ctx: RenderContext): PlannedFile[] {
  const base = agentKubeletConfig(ctx);
  const fragment = ctx.kubeletFragment;
  if (!fragment) return [{ path: PATHS.kubeletConfig, mode: 0o644, content: stableJson(base) }];
  if (!ctx.kubeletDropIn) {
    return [{ path: PATHS.kubeletConfig, mode: 0o644, content: stableJson(deepMerge(base, fragment)) }];
  }
  // The kubelet decodes each drop-in as a typed object, so it needs apiVersion and kind.
  const dropIn = { apiVersion: API_VERSION, kind: KIND, ...fragment };
  return [
    { path: PATHS.kubeletConfig, mode: 0o644, content: stableJson(base) },
    { path: PATHS.kubeletDropIn, mode: 0o644, content: stableJson(dropIn) },
  ];
}
