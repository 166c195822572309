import { flagPath } from './kubelet-flag-items.js';
import { durationMs, type FieldProblem, isMap } from './kubelet-config-fields.js';
import { offByDefault, userGates } from './kubelet-feature-gates.js';
import { hasFlag, lastFlag } from './kubelet-flags.js';
import { show, suggest } from './problems.js';
import { isQuantity, quantitySign } from './quantity.js';
import { isWrittenOutIp } from './cluster-values.js';

/*
 * Rules between kubelet.config fields, as the kubelet applies them at start (it exits on any, so
 * the node never registers): each judged on what the user writes, with the kubelet's own
 * defaults for what the user leaves out. A flag for one of the fields replaces what the config
 * says, so a rule whose field a flag sets is left to the kubelet.
 */

type Config = Record<string, unknown>;

const error = (path: string, message: string): FieldProblem => ({ path, severity: 'error', message: `${path}: ${message}` });

/** Every cross-field problem of one kubelet config fragment (spec.kubelet.config). */
export function kubeletConfigPairProblems(config: Config, flags: readonly string[] | undefined, base = 'spec.kubelet.config'): FieldProblem[] {
  return [
    ...softEvictionProblems(config, flags, base),
    ...imageGcProblems(config, flags, base),
    ...reservedCpuProblems(config, flags, base),
    ...shutdownProblems(config, flags, base),
    ...reservedMemoryProblems(config, flags, base),
    ...countProblems(config, flags, base),
    ...serverCertificateProblems(config, flags, base),
    ...enforcementProblems(config, flags, base),
    ...gatedFieldProblems(config, flags, base),
    ...imageAgeProblems(config, flags, base),
    ...swapProblems(config, flags, base),
    ...loggingProblems(config, flags, base),
    ...cipherSuiteProblems(config, flags, base),
    ...systemCgroupsProblems(config, flags, base),
    ...tracingProblems(config, base),
    ...runOnceProblems(config, base),
    ...servingAddressProblems(config, flags, base),
    ...qosReservedProblems(config, flags, base),
    ...managerOptionProblems(config, flags, base),
    ...pathAndIntervalProblems(config, flags, base),
    ...gateOffProblems(config, flags, base),
    ...takenAwayProblems(config, flags, base),
  ];
}

/**
 * A null in the fragment is not "not set": the fragment is layered over the agent's config as a
 * JSON merge patch (the kubelet's drop-in rule, and the agent's own for older kubelets), where
 * null takes the agent's value away. That is how a user drops a reservation (`kubeReserved:
 * null`), but without a runtime endpoint the kubelet stops at start ("the containerRuntimeEndpoint
 * was not specified or empty"); an empty string does the same. A --container-runtime-endpoint
 * flag wins over the field. The fields whose loss only harms pods are advisory (advisoryProblems).
 */
function takenAwayProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const endpoint = config.containerRuntimeEndpoint;
  if ((endpoint !== null && endpoint !== '') || hasFlag(flags, '--container-runtime-endpoint')) return [];
  return [
    error(
      `${base}.containerRuntimeEndpoint`,
      `${endpoint === null ? 'null' : '""'} takes away the agent's runtime endpoint, and the kubelet stops at start without one (expected the field left out, for the agent's "unix:///run/containerd/containerd.sock", or a socket such as that)`,
    ),
  ];
}

/**
 * Advisory: a null or empty clusterDNS or clusterDomain takes the agent's value away (see
 * takenAwayProblems); the kubelet starts, and pods get no cluster DNS server or no cluster search
 * domain, so a service name does not resolve in them. A --cluster-dns or --cluster-domain flag
 * wins over its field.
 */
export function takenAwayAdvisories(config: Config | undefined, flags: readonly string[] | undefined, base = 'spec.kubelet.config'): string[] {
  if (!config) return [];
  const out: string[] = [];
  const dns = config.clusterDNS;
  if ((dns === null || (Array.isArray(dns) && dns.length === 0)) && !hasFlag(flags, '--cluster-dns'))
    out.push(
      `${base}.clusterDNS: ${dns === null ? 'null' : '[]'} takes away the agent's cluster DNS address (the service CIDR's .10): the kubelet starts, and pods get no cluster DNS (expected the field left out, or addresses such as ["169.254.20.10"])`,
    );
  const domain = config.clusterDomain;
  if ((domain === null || domain === '') && !hasFlag(flags, '--cluster-domain'))
    out.push(
      `${base}.clusterDomain: ${domain === null ? 'null' : '""'} takes away the agent's "cluster.local": the kubelet starts, and pods get no cluster search domain (expected the field left out)`,
    );
  return out;
}

/**
 * A feature gate as the kubelet will run with it, as far as the user sets it: kubelet.config
 * featureGates, then every --feature-gates flag over it key by key (the kubelet adds each
 * occurrence's "Name=bool" items, the later winning, and keeps a config gate only where no flag
 * names it). Undefined when neither names the gate: the kubelet's default for its version.
 */
export function featureGate(config: Config | undefined, flags: readonly string[] | undefined, name: string): boolean | undefined {
  return userGates(config, flags)
    .filter((gate) => gate.name === name && gate.value !== undefined)
    .at(-1)?.value;
}

/** Where the user's setting of a gate comes from, for a message. */
function gateSource(flags: readonly string[] | undefined, name: string): string {
  return userGates(undefined, flags).some((gate) => gate.name === name) ? 'a --feature-gates flag' : 'featureGates';
}

/**
 * Each soft eviction threshold needs a grace period for its signal: the kubelet stops at start
 * for one without ("grace period must be specified for the soft eviction threshold"). "0%" and
 * "100%" are thresholds the kubelet ignores, so they need none.
 */
export function softEvictionProblems(config: Config, flags: readonly string[] | undefined, base = 'spec.kubelet.config'): FieldProblem[] {
  const soft = config.evictionSoft;
  if (!isMap(soft) || hasFlag(flags, '--eviction-soft', '--eviction-soft-grace-period')) return [];
  const periods = isMap(config.evictionSoftGracePeriod) ? config.evictionSoftGracePeriod : {};
  return Object.entries(soft)
    .filter(([signal, text]) => typeof text === 'string' && text !== '0%' && text !== '100%' && !Object.hasOwn(periods, signal))
    .map(([signal]) =>
      error(
        `${base}.evictionSoft.${signal}`,
        `has no grace period, and the kubelet stops at start for a soft threshold without one (expected ${base}.evictionSoftGracePeriod.${signal}, e.g. "1m30s")`,
      ),
    );
}

/** The kubelet's defaults for the image garbage collection thresholds, in percent of the image disk. */
const IMAGE_GC_DEFAULTS = { high: 85, low: 80 };

/**
 * imageGCLowThresholdPercent must be below imageGCHighThresholdPercent, each from 0 to 100. Setting
 * one alone is judged against the kubelet's default for the other: `imageGCHighThresholdPercent:
 * 75` alone is below the default low of 80, and the kubelet stops.
 */
function imageGcProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const set = { imageGCHighThresholdPercent: config.imageGCHighThresholdPercent, imageGCLowThresholdPercent: config.imageGCLowThresholdPercent };
  const given = Object.entries(set).filter(([, v]) => v !== undefined);
  // none set, one of the wrong kind (the field check names it), or a flag that decides instead
  if (given.length === 0 || given.some(([, v]) => typeof v !== 'number')) return [];
  if (hasFlag(flags, '--image-gc-high-threshold', '--image-gc-low-threshold')) return [];
  const outside = given.filter(([, v]) => !((v as number) >= 0 && (v as number) <= 100));
  if (outside.length > 0) return outside.map(([field, v]) => error(`${base}.${field}`, `${v} is not a percentage from 0 to 100 (expected e.g. 85)`));
  const high = (set.imageGCHighThresholdPercent as number | undefined) ?? IMAGE_GC_DEFAULTS.high;
  const low = (set.imageGCLowThresholdPercent as number | undefined) ?? IMAGE_GC_DEFAULTS.low;
  if (low < high) return [];
  const named = (field: keyof typeof set, fallback: number) =>
    set[field] === undefined ? `the kubelet's default ${field} of ${fallback}` : `${field} ${set[field]}`;
  return [
    error(
      `${base}.${given[0]![0]}`,
      `leaves ${named('imageGCLowThresholdPercent', IMAGE_GC_DEFAULTS.low)} not below ${named('imageGCHighThresholdPercent', IMAGE_GC_DEFAULTS.high)}, and the kubelet stops at start (expected low < high, e.g. high 85 and low 80)`,
    ),
  ];
}

/** A CPU list as the kubelet reads reservedSystemCPUs (k8s.io/utils/cpuset): "0-1,4". */
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** The CPUs reserved for the system, from the config or a --reserved-cpus flag (the flag wins), or undefined. */
export function reservedSystemCpus(config: Config | undefined, flags: readonly string[] | undefined): string | undefined {
  const value = lastFlag(flags, '--reserved-cpus')?.value ?? config?.reservedSystemCPUs;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * reservedSystemCPUs must be a CPU list, and the kubelet refuses it beside kubeReservedCgroup or
 * systemReservedCgroup. The agent gives both cgroups and leaves them out when CPUs are reserved
 * (render/kubelet-config.ts); the user setting one of them beside reservedSystemCPUs is refused.
 */
function reservedCpuProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const cpus = config.reservedSystemCPUs;
  if (typeof cpus !== 'string' || cpus === '' || hasFlag(flags, '--reserved-cpus')) return [];
  const at = `${base}.reservedSystemCPUs`;
  const problems: FieldProblem[] = [];
  const bad = !CPU_LIST.test(cpus) || cpus.split(',').some((r) => r.includes('-') && Number(r.split('-')[0]) > Number(r.split('-')[1]));
  if (bad) problems.push(error(at, `"${cpus}" is not a CPU list (expected e.g. "0-1" or "0,2")`));
  for (const field of ['kubeReservedCgroup', 'systemReservedCgroup']) {
    const v = config[field];
    if (typeof v === 'string' && v !== '') {
      problems.push(
        error(
          `${base}.${field}`,
          `cannot be set beside reservedSystemCPUs: the kubelet stops at start (expected one of the two; the agent leaves its own cgroups out when CPUs are reserved)`,
        ),
      );
    }
  }
  return problems;
}

/**
 * Graceful node shutdown (on by default since kubelet 1.21): shutdownGracePeriod and
 * shutdownGracePeriodCriticalPods are each 0 or at least 1s, and the critical pods' share fits in
 * the whole. The pair is judged when the user sets both; one alone meets the agent's value for
 * the other, which depends on the kubelet version (render/kubelet-defaults.ts), and render leaves
 * the agent's out where it would not fit.
 */
/**
 * Whether the user's config shuts down by pod priority (shutdownGracePeriodByPodPriority, with its
 * gate on, as it is by default since 1.24): the kubelet then refuses a shutdownGracePeriod or
 * shutdownGracePeriodCriticalPods above zero beside it.
 */
export function byPodPriority(config: Config | undefined, flags: readonly string[] | undefined): boolean {
  return (
    Array.isArray(config?.shutdownGracePeriodByPodPriority) &&
    config.shutdownGracePeriodByPodPriority.length > 0 &&
    featureGate(config, flags, 'GracefulNodeShutdownBasedOnPodPriority') !== false
  );
}

/**
 * Whether the user turns graceful node shutdown off (the GracefulNodeShutdown gate, on by default
 * since 1.21): the kubelet then stops at start for any grace period above zero, so the agent
 * leaves its own out (render/kubelet-config.ts).
 */
export function gracefulShutdownOff(config: Config | undefined, flags: readonly string[] | undefined): boolean {
  return featureGate(config, flags, 'GracefulNodeShutdown') === false;
}

/** The user's shutdown grace periods above zero, each refused for `why`. */
function gracePeriodsRefused(config: Config, base: string, why: string): FieldProblem[] {
  return ['shutdownGracePeriod', 'shutdownGracePeriodCriticalPods'].flatMap((field) => {
    const v = config[field];
    const d = typeof v === 'string' ? durationMs(v) : undefined;
    return d !== undefined && d > 0 ? [error(`${base}.${field}`, `"${v}" ${why}`)] : [];
  });
}

/** Grace periods beside graceful shutdown turned off, and a by-priority list beside its gate turned off. */
function shutdownGateProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (gracefulShutdownOff(config, flags) && !hasFlag(flags, '--shutdown-grace-period', '--shutdown-grace-period-critical-pods'))
    problems.push(
      ...gracePeriodsRefused(
        config,
        base,
        `needs the GracefulNodeShutdown feature gate, which ${gateSource(flags, 'GracefulNodeShutdown')} turns off: the kubelet stops at start (expected one of the two; the agent leaves its own grace periods out with the gate off)`,
      ),
    );
  const list = config.shutdownGracePeriodByPodPriority;
  if (Array.isArray(list) && list.length > 0 && featureGate(config, flags, 'GracefulNodeShutdownBasedOnPodPriority') === false)
    problems.push(
      error(
        `${base}.shutdownGracePeriodByPodPriority`,
        `needs the GracefulNodeShutdownBasedOnPodPriority feature gate, which ${gateSource(flags, 'GracefulNodeShutdownBasedOnPodPriority')} turns off: the kubelet stops at start (expected one of the two)`,
      ),
    );
  return problems;
}

function shutdownProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems = shutdownGateProblems(config, flags, base);
  // with graceful shutdown off the kubelet checks only that no grace period is set (above)
  if (hasFlag(flags, '--shutdown-grace-period', '--shutdown-grace-period-critical-pods') || gracefulShutdownOff(config, flags)) return problems;
  if (byPodPriority(config, flags))
    problems.push(
      ...gracePeriodsRefused(
        config,
        base,
        'cannot be set beside shutdownGracePeriodByPodPriority: the kubelet stops at start (expected one of the two; the agent leaves its own grace periods out beside the list)',
      ),
    );
  const ms: Record<string, number> = {};
  for (const field of ['shutdownGracePeriod', 'shutdownGracePeriodCriticalPods']) {
    const v = config[field];
    const d = typeof v === 'string' ? durationMs(v) : undefined;
    if (d === undefined) continue; // not set, or not a duration (the field check says so)
    if (d < 0 || (d > 0 && d < 1000))
      problems.push(error(`${base}.${field}`, `"${v}" is neither 0 nor at least 1s, and the kubelet stops at start (expected e.g. "30s")`));
    ms[field] = d;
  }
  const { shutdownGracePeriod: grace, shutdownGracePeriodCriticalPods: critical } = ms;
  if (grace !== undefined && critical !== undefined && critical > grace) {
    problems.push(
      error(
        `${base}.shutdownGracePeriodCriticalPods`,
        `"${config.shutdownGracePeriodCriticalPods}" is longer than shutdownGracePeriod "${config.shutdownGracePeriod}", and the kubelet stops at start (expected the critical pods' share of the whole, e.g. "30s" of "2m30s")`,
      ),
    );
  }
  return problems;
}

/**
 * Whether the user's kubelet.config asks for the Static memory manager and leaves its reservedMemory
 * to the config (a flag for either makes them the kubelet's business).
 */
export function staticMemoryManager(config: Config | undefined, flags: readonly string[] | undefined): boolean {
  return config?.memoryManagerPolicy === 'Static' && !hasFlag(flags, '--memory-manager-policy', '--reserved-memory');
}

/**
 * reservedMemory as the kubelet validates it at start, whatever the memory manager policy: each
 * limit is "memory" or a "hugepages-<size>", a quantity above zero, and named once for its NUMA
 * node (numaNode 0 when left out). Then, with memoryManagerPolicy "Static", the kubelet requires
 * it to hold, per memory type, what node allocatable reserves, and node allocatable never
 * reserves hugepages (kubeReserved and systemReserved take cpu, memory, ephemeral-storage and pid
 * only): a hugepages reservation above zero stops the kubelet on every instance. The memory total
 * depends on the instance (the agent's kubeReserved follows max pods), so render judges it
 * (render/reserved-memory.ts). A --reserved-memory flag wins over the field.
 */
function reservedMemoryProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const entries = config.reservedMemory;
  if (!Array.isArray(entries) || hasFlag(flags, '--reserved-memory')) return [];
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    if (!isMap(entry) || !isMap(entry.limits)) return;
    const numaNode = typeof entry.numaNode === 'number' ? entry.numaNode : 0;
    for (const [type, value] of Object.entries(entry.limits)) {
      const at = `${base}.reservedMemory[${i}].limits.${type}`;
      if (type !== 'memory' && !type.startsWith('hugepages-')) {
        problems.push(
          error(
            at,
            `the kubelet reserves only "memory" and "hugepages-<size>" by NUMA node, and stops at start for ${show(type)} (expected "memory", or e.g. "hugepages-2Mi")`,
          ),
        );
        continue;
      }
      const sign = typeof value === 'number' ? Math.sign(value) : typeof value === 'string' ? quantitySign(value) : Number.NaN;
      if (Number.isNaN(sign)) problems.push(error(at, `${show(value)} is not a quantity, and the kubelet stops at start (expected e.g. "1Gi")`));
      else if (sign === 0)
        problems.push(
          error(at, `${show(value)} reserves nothing, and the kubelet stops at start for a zero reservation (expected the limit left out, or e.g. "1Gi")`),
        );
      const key = `${numaNode}/${type}`;
      if (seen.has(key))
        problems.push(
          error(
            at,
            `is the second ${type} reservation for NUMA node ${numaNode}, and the kubelet stops at start (expected one entry per NUMA node, or one ${type} limit in it)`,
          ),
        );
      seen.add(key);
    }
  });
  if (!staticMemoryManager(config, flags)) return problems;
  return problems.concat(
    entries.flatMap((entry, i) => {
      const limits = isMap(entry) && isMap(entry.limits) ? entry.limits : {};
      return Object.entries(limits)
        .filter(
          ([type, value]) => type.startsWith('hugepages-') && (typeof value === 'number' ? value > 0 : typeof value === 'string' && quantitySign(value) > 0),
        )
        .map(([type, value]) =>
          error(
            `${base}.reservedMemory[${i}].limits.${type}`,
            `${JSON.stringify(value)} reserves hugepages, which node allocatable never reserves (kubeReserved and systemReserved hold none), so with memoryManagerPolicy "Static" the kubelet stops at start (expected no ${type} in reservedMemory)`,
          ),
        );
    }),
  );
}

/**
 * Counts the kubelet refuses at start: containerLogMaxFiles of 1 or less (it keeps the file being
 * written and at least one rotated), a containerLogMaxSize that is not a quantity, maxParallelImagePulls below 1, or above 1 while
 * serializeImagePulls is true (the kubelet's default; the agent writes false, so only the
 * user's own true meets it).
 */
function countProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const files = config.containerLogMaxFiles;
  if (typeof files === 'number' && Number.isInteger(files) && files <= 1 && !hasFlag(flags, '--container-log-max-files'))
    problems.push(
      error(
        `${base}.containerLogMaxFiles`,
        `${files} is not more than 1, and the kubelet stops at start (expected e.g. 5: the file being written and the rotated ones)`,
      ),
    );
  const size = config.containerLogMaxSize;
  if (typeof size === 'string' && size !== '' && !isQuantity(size) && !hasFlag(flags, '--container-log-max-size'))
    problems.push(
      error(
        `${base}.containerLogMaxSize`,
        `${JSON.stringify(size)} is not a quantity, and the kubelet stops at start (expected e.g. "10Mi"; "10MB" is not one)`,
      ),
    );
  const pulls = config.maxParallelImagePulls;
  if (typeof pulls === 'number' && Number.isInteger(pulls) && !hasFlag(flags, '--serialize-image-pulls')) {
    if (pulls < 1) problems.push(error(`${base}.maxParallelImagePulls`, `${pulls} is not a positive number, and the kubelet stops at start (expected e.g. 5)`));
    else if (pulls > 1 && config.serializeImagePulls === true)
      problems.push(
        error(
          `${base}.maxParallelImagePulls`,
          `${pulls} cannot be more than 1 beside serializeImagePulls true: the kubelet stops at start (expected serializeImagePulls false, which the agent writes unless told otherwise, or no maxParallelImagePulls)`,
        ),
      );
  }
  return problems;
}

/** Whether the user turns off the gate serverTLSBootstrap needs, in kubelet.config or a flag. */
export function serverCertificateGateOff(config: Config | undefined, flags: readonly string[] | undefined): boolean {
  return featureGate(config, flags, 'RotateKubeletServerCertificate') === false;
}

/**
 * The kubelet's serving certificate:
 * - serverTLSBootstrap needs the RotateKubeletServerCertificate gate: the kubelet stops at start
 *   for the user's serverTLSBootstrap true beside the user's gate off. (With the gate off alone,
 *   in featureGates or a --feature-gates flag, the agent leaves its own serverTLSBootstrap out:
 *   render/kubelet-config.ts.)
 * - tlsCertFile and tlsPrivateKeyFile go together: with one alone the kubelet loads a key pair
 *   from a file and "", and exits as it starts to serve, whether or not it bootstraps its
 *   certificate. A flag for either leaves the pair to the kubelet.
 */
function serverCertificateProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (config.serverTLSBootstrap === true && serverCertificateGateOff(config, flags) && !hasFlag(flags, '--rotate-server-certificates'))
    problems.push(
      error(
        `${base}.serverTLSBootstrap`,
        `true needs the RotateKubeletServerCertificate feature gate, which ${gateSource(flags, 'RotateKubeletServerCertificate')} turns off: the kubelet stops at start (expected one of the two)`,
      ),
    );
  const given = (value: unknown) => typeof value === 'string' && value !== '';
  const cert = given(config.tlsCertFile);
  if (cert !== given(config.tlsPrivateKeyFile) && !hasFlag(flags, '--tls-cert-file', '--tls-private-key-file')) {
    const [set, missing] = cert ? ['tlsCertFile', 'tlsPrivateKeyFile'] : ['tlsPrivateKeyFile', 'tlsCertFile'];
    problems.push(
      error(
        `${base}.${set}`,
        `is set without ${missing}, and the kubelet exits as it starts to serve (expected both, naming the certificate and its key, or neither)`,
      ),
    );
  }
  return problems;
}

/**
 * enforceNodeAllocatable as the kubelet reads it: no item twice, "none" alone, a reservation and
 * its -compressible form not together, and cgroupsPerQOS left on when anything is enforced (as
 * it is by default: ["pods"], so cgroupsPerQOS false alone stops the kubelet too).
 * (Unknown items are the field check's; the cgroups the reservations need, the agent gives.)
 */
function enforcementProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  // the kubelet's default, which the agent keeps, enforces for pods
  const items = config.enforceNodeAllocatable ?? ['pods'];
  if (!Array.isArray(items) || hasFlag(flags, '--enforce-node-allocatable')) return [];
  const at = `${base}.enforceNodeAllocatable`;
  const given = items.filter((i): i is string => typeof i === 'string');
  const problems: FieldProblem[] = [];
  const twice = [...new Set(given.filter((item, i) => given.indexOf(item) !== i))];
  if (twice.length > 0) problems.push(error(at, `names ${twice.map((t) => `"${t}"`).join(', ')} twice, and the kubelet stops at start (expected each once)`));
  if (given.includes('none') && given.length > 1)
    problems.push(error(at, 'has "none" beside other items, and the kubelet stops at start (expected "none" alone)'));
  for (const reservation of ['system-reserved', 'kube-reserved']) {
    if (given.includes(reservation) && given.includes(`${reservation}-compressible`))
      problems.push(error(at, `has "${reservation}" beside "${reservation}-compressible", and the kubelet stops at start (expected one of the two)`));
  }
  // a reservation enforced needs its cgroup, which the kubelet refuses beside reserved CPUs
  const cpus = reservedSystemCpus(config, flags);
  const enforced = given.filter((i) => /^(system|kube)-reserved(-compressible)?$/.test(i));
  if (cpus !== undefined && enforced.length > 0)
    problems.push(
      error(
        at,
        `enforces ${enforced.join(', ')}, which needs ${[...new Set(enforced.map((i) => (i.startsWith('kube') ? 'kubeReservedCgroup' : 'systemReservedCgroup')))].join(' and ')}, and the kubelet refuses a reserved cgroup beside reservedSystemCPUs "${cpus}": it stops at start either way (expected enforceNodeAllocatable ["pods"] beside reserved CPUs)`,
      ),
    );
  if (config.cgroupsPerQOS === false && given.some((i) => i !== 'none') && !hasFlag(flags, '--cgroups-per-qos'))
    problems.push(
      error(
        `${base}.cgroupsPerQOS`,
        `false while enforceNodeAllocatable enforces ${[...new Set(given.filter((i) => i !== 'none'))].join(', ')}${config.enforceNodeAllocatable === undefined ? ' (its default)' : ''}: the kubelet stops at start (expected cgroupsPerQOS true, its default, or enforceNodeAllocatable ["none"])`,
      ),
    );
  return problems;
}

/**
 * The cpuCFSQuotaPeriod the user sets in the config, in ms, when it is not the default 100ms (and
 * no --cpu-cfs-quota-period flag wins over it): the kubelet takes it only with the
 * CustomCPUCFSQuotaPeriod gate (on by default from 1.36), and then from 1ms to 1s.
 */
function customQuotaPeriodMs(config: Config, flags: readonly string[] | undefined): number | undefined {
  const period = config.cpuCFSQuotaPeriod;
  const ms = typeof period === 'string' && !hasFlag(flags, '--cpu-cfs-quota-period') ? durationMs(period) : undefined;
  return ms === 100 ? undefined : ms;
}

/**
 * Fields whose values the kubelet bounds whatever its version: enableSystemLogQuery needs
 * enableSystemLogHandler left on; a cpuCFSQuotaPeriod other than 100ms is from 1ms to 1s (its
 * gate, like NodeLogQuery's for enableSystemLogQuery, is VERSIONED_GATES'); MemoryQoS's tiered
 * reservation needs its gate, off in every release; memoryThrottlingFactor above 0 and at most
 * 1; and preloadedImagesVerificationAllowlist only beside imagePullCredentialsVerificationPolicy
 * "NeverVerifyAllowlistedImages", each entry an image name or a prefix ending in "/*".
 */
function gatedFieldProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (config.enableSystemLogQuery === true && config.enableSystemLogHandler === false)
    problems.push(
      error(
        `${base}.enableSystemLogHandler`,
        'false while enableSystemLogQuery is true: the kubelet stops at start (expected true, its default, or no enableSystemLogQuery)',
      ),
    );
  // the gate itself (off by default before 1.36) is VERSIONED_GATES' to judge
  const period = config.cpuCFSQuotaPeriod;
  const periodMs = customQuotaPeriodMs(config, flags);
  if (periodMs !== undefined && (periodMs < 1 || periodMs > 1000))
    problems.push(error(`${base}.cpuCFSQuotaPeriod`, `"${period}" is not from 1ms to 1s, and the kubelet stops at start (expected e.g. "50ms")`));
  const factor = config.memoryThrottlingFactor;
  if (typeof factor === 'number' && !(factor > 0 && factor <= 1))
    problems.push(
      error(`${base}.memoryThrottlingFactor`, `${factor} is not above 0 and at most 1, and the kubelet stops at start (expected e.g. 0.9, its default)`),
    );
  if (config.memoryReservationPolicy === 'TieredReservation' && featureGate(config, flags, 'MemoryQoS') !== true)
    problems.push(
      error(
        `${base}.memoryReservationPolicy`,
        '"TieredReservation" needs the MemoryQoS feature gate, which is off unless turned on: the kubelet stops at start (expected featureGates: {MemoryQoS: true} beside it)',
      ),
    );
  const allowlist = config.preloadedImagesVerificationAllowlist;
  const policy = config.imagePullCredentialsVerificationPolicy;
  if (Array.isArray(allowlist) && allowlist.length > 0 && policy !== 'NeverVerifyAllowlistedImages')
    problems.push(
      error(
        `${base}.preloadedImagesVerificationAllowlist`,
        `is read only with imagePullCredentialsVerificationPolicy "NeverVerifyAllowlistedImages"${typeof policy === 'string' ? `, not ${show(policy)}` : ', which is not set'}: the kubelet stops at start (expected that policy beside the list)`,
      ),
    );
  else if (Array.isArray(allowlist))
    allowlist.forEach((pattern, i) => {
      const reason = typeof pattern === 'string' ? allowlistPatternProblem(pattern) : undefined;
      if (reason !== undefined)
        problems.push(
          error(
            `${base}.preloadedImagesVerificationAllowlist[${i}]`,
            `${show(pattern)} ${reason}, and the kubelet stops at start (expected an image name without tag or digest, such as "registry.k8s.io/pause", or a registry or repository prefix ending in "/*", such as "123456789012.dkr.ecr.us-west-2.amazonaws.com/*")`,
          ),
        );
    });
  return problems;
}

/** One path component of an image name: lower-case letters and digits, joined by ".", "_", "__" or dashes. */
const IMAGE_PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A registry host (a DNS name, an IPv4 address or a bracketed IPv6 one) with an optional port. */
const IMAGE_REGISTRY =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

/**
 * Why the kubelet refuses one preloadedImagesVerificationAllowlist entry (undefined when it takes
 * it): the only wildcard is a whole last path segment ("/*") after at least a registry; any other
 * entry is an image name as a pod names one, without tag or digest, and no blanks around either.
 * Every kubelet that reads the list refuses the wildcard misuses and a trailing "/"; the newer
 * ones also the blanks, a tag or digest and a name that is not an image reference, which the
 * older ones took and then never matched.
 */
export function allowlistPatternProblem(pattern: string): string | undefined {
  if (pattern.trim() !== pattern) return 'has blanks around it';
  const wildcard = pattern.endsWith('/*');
  const body = wildcard ? pattern.slice(0, -1) : pattern;
  if (body.includes('*')) return 'has a wildcard other than a whole last path segment "/*"';
  if (wildcard) return body.length <= 1 ? 'has no registry before its "/*"' : undefined;
  if (pattern === '') return 'is empty';
  if (pattern.endsWith('/')) return 'ends with "/"';
  if (pattern.includes('@')) return 'has a digest';
  const parts = pattern.split('/');
  if (parts.at(-1)!.includes(':')) return 'has a tag';
  // as image references are read: a first segment is a registry if it has "." or ":", is
  // "localhost" or has an upper-case letter (no repository path may)
  const first = parts[0]!;
  const registry = parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) ? parts.shift()! : undefined;
  if (registry !== undefined && !IMAGE_REGISTRY.test(registry)) return 'has a registry that is not a host name with an optional port';
  if (!parts.every((part) => IMAGE_PATH_COMPONENT.test(part)))
    return 'is not an image name (path components are lower-case letters and digits, joined by ".", "_", "__" or "-")';
  if (pattern.length > 255) return 'is longer than an image name may be (255 characters)';
  return undefined;
}

/** The kubelet's default imageMinimumGCAge: an image unused this long may be removed. */
const IMAGE_MINIMUM_GC_AGE_MS = 120_000;

/**
 * imageMinimumGCAge and imageMaximumGCAge: neither below zero, and a maximum age above zero must be
 * longer than the minimum (the kubelet's default minimum, 2m, when the user sets none). Its gate
 * is gateOffProblems' and gateDefaultWarnings'.
 */
function imageAgeProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const ages: Record<string, number | undefined> = {};
  // --minimum-image-ttl-duration sets imageMinimumGCAge instead
  const fields = hasFlag(flags, '--minimum-image-ttl-duration') ? ['imageMaximumGCAge'] : ['imageMinimumGCAge', 'imageMaximumGCAge'];
  for (const field of fields) {
    const v = config[field];
    const ms = typeof v === 'string' ? durationMs(v) : undefined;
    if (ms !== undefined && ms < 0)
      problems.push(error(`${base}.${field}`, `"${v}" is below zero, and the kubelet stops at start (expected e.g. "2m", or "0s")`));
    else ages[field] = ms;
  }
  const maximum = ages.imageMaximumGCAge;
  if (maximum === undefined || maximum === 0) return problems;
  // the kubelet's default when the user sets none; nothing to judge against when a flag or a bad value sets it
  const minimum = !fields.includes('imageMinimumGCAge') ? undefined : config.imageMinimumGCAge === undefined ? IMAGE_MINIMUM_GC_AGE_MS : ages.imageMinimumGCAge;
  if (minimum !== undefined && maximum <= minimum)
    problems.push(
      error(
        `${base}.imageMaximumGCAge`,
        `"${config.imageMaximumGCAge}" is not longer than ${config.imageMinimumGCAge === undefined ? "the kubelet's default imageMinimumGCAge of 2m" : `imageMinimumGCAge "${config.imageMinimumGCAge}"`}, and the kubelet stops at start (expected e.g. "168h")`,
      ),
    );
  return problems;
}

/** memorySwap.swapBehavior values a kubelet from 1.30 on takes ("" takes its default, NoSwap). */
const SWAP_BEHAVIORS = ['NoSwap', 'LimitedSwap'];

/**
 * memorySwap.swapBehavior: "NoSwap" or "LimitedSwap" ("UnlimitedSwap" is gone from kubelet 1.30).
 * With the NodeSwap gate turned off any value is refused (gateOffProblems).
 */
function swapProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const swap = config.memorySwap;
  if (!isMap(swap)) return [];
  // with the gate off the kubelet refuses any value, and checks none (gateOffProblems says so)
  if (featureGate(config, flags, 'NodeSwap') === false) return [];
  const behavior = swap.swapBehavior;
  const at = `${base}.memorySwap.swapBehavior`;
  if (typeof behavior !== 'string' || behavior === '' || SWAP_BEHAVIORS.includes(behavior)) return [];
  if (behavior === 'UnlimitedSwap')
    return [error(at, '"UnlimitedSwap" is gone from kubelet 1.30, and the kubelet stops at start (expected "LimitedSwap" or "NoSwap")')];
  const hint = suggest(behavior, SWAP_BEHAVIORS);
  return [error(at, `${show(behavior)} is not one the kubelet accepts, and it stops at start (expected ${hint ? `"${hint}"` : '"LimitedSwap" or "NoSwap"'})`)];
}

/** The log formats the kubelet has: text, and json (behind the LoggingBetaOptions gate, on by default). */
const LOG_FORMATS = ['text', 'json'];

/**
 * logging, as the kubelet validates it before it logs a line: a format it has, json not beside
 * the LoggingBetaOptions gate turned off, vmodule only with the text format, and the alpha output
 * options (splitStream, infoBufferSize) only with the LoggingAlphaOptions gate, off by default.
 * A --logging-format flag decides the format instead.
 */
function loggingProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const logging = config.logging;
  if (!isMap(logging)) return [];
  const at = `${base}.logging`;
  const problems: FieldProblem[] = [];
  const format = hasFlag(flags, '--logging-format') ? undefined : logging.format;
  if (typeof format === 'string' && format !== '' && !LOG_FORMATS.includes(format)) {
    const hint = suggest(format.toLowerCase(), LOG_FORMATS);
    problems.push(
      error(`${at}.format`, `${show(format)} is not a log format the kubelet has, and it stops at start (expected ${hint ? `"${hint}"` : '"text" or "json"'})`),
    );
  }
  if (format === 'json' && featureGate(config, flags, 'LoggingBetaOptions') === false)
    problems.push(
      error(
        `${at}.format`,
        `"json" needs the LoggingBetaOptions feature gate, which ${gateSource(flags, 'LoggingBetaOptions')} turns off: the kubelet stops at start (expected one of the two)`,
      ),
    );
  if (typeof format === 'string' && format !== '' && format !== 'text' && Array.isArray(logging.vmodule) && logging.vmodule.length > 0)
    problems.push(
      error(`${at}.vmodule`, `works only with the text format, not ${show(format)}: the kubelet stops at start (expected no vmodule, or format "text")`),
    );
  const options = isMap(logging.options) ? logging.options : {};
  if (featureGate(config, flags, 'LoggingAlphaOptions') !== true) {
    for (const name of LOG_FORMATS) {
      const output = isMap(options[name]) ? options[name] : {};
      const buffer = output.infoBufferSize;
      const set = {
        splitStream: output.splitStream === true,
        infoBufferSize: (typeof buffer === 'number' && buffer !== 0) || (typeof buffer === 'string' && quantitySign(buffer) !== 0),
      };
      for (const [field, on] of Object.entries(set))
        if (on)
          problems.push(
            error(
              `${at}.options.${name}.${field}`,
              'needs the LoggingAlphaOptions feature gate, which is off unless turned on: the kubelet stops at start (expected featureGates: {LoggingAlphaOptions: true} beside it)',
            ),
          );
    }
  }
  return problems;
}

/**
 * The cipher suite names the kubelet reads in tlsCipherSuites: Go's crypto/tls suites, the
 * insecure ones included, and two older names for the ChaCha20 suites. Any other stops it at start.
 */
const CIPHER_SUITES = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_RSA_WITH_RC4_128_SHA',
  'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  'TLS_RSA_WITH_AES_128_CBC_SHA',
  'TLS_RSA_WITH_AES_256_CBC_SHA',
  'TLS_RSA_WITH_AES_128_CBC_SHA256',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA',
  'TLS_ECDHE_RSA_WITH_RC4_128_SHA',
  'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
];

function cipherSuiteProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const suites = config.tlsCipherSuites;
  if (!Array.isArray(suites) || hasFlag(flags, '--tls-cipher-suites')) return [];
  return suites.flatMap((suite, i) => {
    if (typeof suite !== 'string' || CIPHER_SUITES.includes(suite)) return []; // a non-string is the field check's
    const hint = suggest(suite.toUpperCase(), CIPHER_SUITES);
    return [
      error(
        `${base}.tlsCipherSuites[${i}]`,
        `${show(suite)} is not a cipher suite the kubelet knows, and it stops at start (expected ${hint ? `"${hint}"` : 'a Go crypto/tls name such as "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"'})`,
      ),
    ];
  });
}

/**
 * Advisory: beside a minimum of TLS 1.3 the kubelet ignores its cipher suites (TLS 1.3's are not
 * configurable in Go) and logs that it does; it starts and serves TLS 1.3's own suites, so a list
 * meant to narrow what it serves narrows nothing. Judged on what the kubelet runs with: the last
 * --tls-min-version or --tls-cipher-suites flag wins over its field.
 */
export function ignoredCipherSuiteAdvisories(config: Config | undefined, flags: readonly string[] | undefined, base = 'spec.kubelet.config'): string[] {
  const minFlag = lastFlag(flags, '--tls-min-version');
  if ((minFlag ? minFlag.value : config?.tlsMinVersion) !== 'VersionTLS13') return [];
  const suitesFlag = lastFlag(flags, '--tls-cipher-suites');
  const suites = suitesFlag ? suitesFlag.value.split(',').filter((s) => s.trim() !== '') : config?.tlsCipherSuites;
  if (!Array.isArray(suites) || suites.length === 0) return [];
  const where = suitesFlag ? `${flagPath(flags, suitesFlag.index)}: --tls-cipher-suites` : `${base}.tlsCipherSuites`;
  const min = minFlag ? `--tls-min-version=VersionTLS13 (${flagPath(flags, minFlag.index)})` : 'tlsMinVersion "VersionTLS13"';
  return [
    `${where}: the kubelet ignores cipher suites beside ${min}, as TLS 1.3's are not configurable: it starts and serves every TLS 1.3 suite (expected no cipher suites, or tlsMinVersion "VersionTLS12" for them to narrow TLS 1.2)`,
  ];
}

/**
 * systemCgroups needs a cgroupRoot: the kubelet stops at start for it beside an empty one. The
 * agent writes cgroupRoot "/", so only a user's "" or null (which takes the agent's away, leaving
 * the kubelet's empty default) gets here; a flag for either field is left to the kubelet.
 */
function systemCgroupsProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const root = config.cgroupRoot;
  if (typeof config.systemCgroups !== 'string' || config.systemCgroups === '' || (root !== null && root !== '')) return [];
  if (hasFlag(flags, '--system-cgroups', '--cgroup-root')) return [];
  return [
    error(
      `${base}.systemCgroups`,
      `needs a cgroupRoot, and cgroupRoot ${root === null ? 'null takes the agent\'s "/" away' : 'is ""'}: the kubelet stops at start (expected cgroupRoot left out, for the agent's "/")`,
    ),
  ];
}

/**
 * tracing as the kubelet decodes and checks it at start: samplingRatePerMillion a whole number
 * from 0 to 1000000, endpoint a string (the OTLP collector's address, e.g. "localhost:4317"). The
 * field check knows tracing only as an object, so its members are judged here.
 */
function tracingProblems(config: Config, base: string): FieldProblem[] {
  const tracing = config.tracing;
  if (!isMap(tracing)) return [];
  const problems: FieldProblem[] = [];
  const rate = tracing.samplingRatePerMillion;
  if (rate != null && !(typeof rate === 'number' && Number.isInteger(rate) && rate >= 0 && rate <= 1_000_000))
    problems.push(
      error(
        `${base}.tracing.samplingRatePerMillion`,
        `${show(rate)} is not a whole number from 0 to 1000000, and the kubelet stops at start (expected e.g. 10000, one span in a hundred)`,
      ),
    );
  const endpoint = tracing.endpoint;
  if (endpoint != null && typeof endpoint !== 'string')
    problems.push(error(`${base}.tracing.endpoint`, `${show(endpoint)} is not a string, and the kubelet stops at start (expected e.g. "localhost:4317")`));
  return problems;
}

/**
 * runOnce true: kubelets from 1.31 refuse it at start, and the run-once mode it asks for (start
 * the static pods, then exit) has failed since 1.19; either way the node never joins.
 */
function runOnceProblems(config: Config, base: string): FieldProblem[] {
  if (config.runOnce !== true) return [];
  return [
    error(
      `${base}.runOnce`,
      'true asks for the removed run-once mode: kubelets from 1.31 stop at start for it, older ones exit after starting the static pods, and the node never joins (expected the field left out)',
    ),
  ];
}

/**
 * The address the kubelet serves on: it reads it as an IP address only and, for anything else,
 * exits as it starts to listen ("listen tcp: address <nil>:10250"). An empty string is its
 * default, 0.0.0.0. An --address flag wins over the field.
 */
function servingAddressProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const address = config.address;
  if (typeof address !== 'string' || address === '' || isWrittenOutIp(address) || hasFlag(flags, '--address')) return [];
  return [
    error(
      `${base}.address`,
      `${show(address)} is not an IP address, and the kubelet exits as it starts to serve (expected e.g. "0.0.0.0", its default, or one of the node's addresses)`,
    ),
  ];
}

/** The kubelet's path fields other than podLogsDir (which must be absolute), each with the flag that wins over it and an example. */
const KUBELET_PATH_FIELDS: ReadonlyArray<{ path: string[]; flag: string; example: string }> = [
  { path: ['staticPodPath'], flag: '--pod-manifest-path', example: '/etc/kubernetes/manifests' },
  { path: ['authentication', 'x509', 'clientCAFile'], flag: '--client-ca-file', example: '/etc/kubernetes/pki/ca.crt' },
  { path: ['tlsCertFile'], flag: '--tls-cert-file', example: '/var/lib/kubelet/pki/kubelet.crt' },
  { path: ['tlsPrivateKeyFile'], flag: '--tls-private-key-file', example: '/var/lib/kubelet/pki/kubelet.key' },
  { path: ['resolvConf'], flag: '--resolv-conf', example: '/etc/resolv.conf' },
  { path: ['volumePluginDir'], flag: '--volume-plugin-dir', example: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec/' },
];

/**
 * Advisory: a relative path in one of the kubelet's path fields. The kubelet resolves it against
 * the directory of the file that carries it when that is its config file, and leaves it to its
 * working directory in a drop-in, so the same fragment names different files on kubelets that
 * take it differently: the kubelet starts, and may read the wrong file or none. An empty string
 * is the kubelet's "no path"; a flag for the field wins over it.
 */
export function relativePathAdvisories(config: Config | undefined, flags: readonly string[] | undefined, base = 'spec.kubelet.config'): string[] {
  if (!config) return [];
  const out: string[] = [];
  for (const field of KUBELET_PATH_FIELDS) {
    let value: unknown = config;
    for (const key of field.path) value = isMap(value) ? value[key] : undefined;
    if (typeof value !== 'string' || value === '' || value.startsWith('/') || hasFlag(flags, field.flag)) continue;
    out.push(
      `${base}.${field.path.join('.')}: ${show(value)} is a relative path, which the kubelet reads against a directory that depends on which of its files holds it (expected an absolute path, e.g. "${field.example}")`,
    );
  }
  return out;
}

/**
 * Advisory: the kubelet parses qosReserved (or --qos-reserved) whatever its gates, but sets the
 * QoS classes' memory limits from it only with the QOSReserved gate, alpha in every kubelet the
 * image runs and off unless turned on: without it the kubelet starts and reserves nothing, so
 * Guaranteed pods' memory is not kept from Burstable and BestEffort ones as the field says.
 */
export function qosReservedAdvisories(config: Config | undefined, flags: readonly string[] | undefined, base = 'spec.kubelet.config'): string[] {
  const flag = lastFlag(flags, '--qos-reserved');
  const set = flag ? flag.value !== '' : isMap(config?.qosReserved) && Object.keys(config.qosReserved).length > 0;
  if (!set || featureGate(config, flags, 'QOSReserved') === true) return [];
  const where = flag ? `${flagPath(flags, flag.index)}: --qos-reserved` : `${base}.qosReserved`;
  return [
    `${where}: the kubelet reserves memory by QoS class only with the QOSReserved feature gate, alpha and off unless turned on: it starts and reserves nothing (expected featureGates: {QOSReserved: true} beside it, or no qosReserved)`,
  ];
}

/**
 * qosReserved as the kubelet parses it at start, feature gate or not: "memory" is the only
 * resource, and its value a whole percentage from 0 to 100 ("50%"); anything else stops it. A
 * --qos-reserved flag wins over the field.
 */
function qosReservedProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const reserved = config.qosReserved;
  if (!isMap(reserved) || hasFlag(flags, '--qos-reserved')) return [];
  const problems: FieldProblem[] = [];
  for (const [resource, value] of Object.entries(reserved)) {
    const at = `${base}.qosReserved.${resource}`;
    if (resource !== 'memory') {
      problems.push(error(at, `the kubelet reserves only memory by QoS class and stops at start for ${show(resource)} (expected "memory")`));
      continue;
    }
    // Go's ParseInt of the text before the "%" (a sign and leading zeros allowed)
    const percent = typeof value === 'string' && /^[+-]?\d+%+$/.test(value) ? Number(value.replace(/%+$/, '')) : undefined;
    if (percent === undefined || percent < 0 || percent > 100)
      problems.push(error(at, `${show(value)} is not a percentage from 0% to 100%, and the kubelet stops at start (expected e.g. "50%")`));
  }
  return problems;
}

/** The CPU manager's static policy options of the kubelets the image runs (1.27 to 1.36), each a Go bool string. */
const CPU_MANAGER_OPTIONS = [
  'full-pcpus-only',
  'distribute-cpus-across-numa',
  'align-by-socket',
  'distribute-cpus-across-cores',
  'strict-cpu-reservation',
  'prefer-align-cpus-by-uncorecache',
];
/** The topology manager's options, with the kind of value each takes. */
const TOPOLOGY_MANAGER_OPTIONS: Record<string, 'bool' | 'int'> = { 'prefer-closest-numa-nodes': 'bool', 'max-allowable-numa-nodes': 'int' };
/** What Go's strconv.ParseBool takes. */
const GO_BOOL = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

/**
 * cpuManagerPolicyOptions and topologyManagerPolicyOptions as the kubelet reads them at start:
 * string values (a YAML `true` is a bool, which it cannot decode), option names it knows, a value
 * of each option's kind, and CPU options only beside the static policy (the none policy refuses
 * any). Which options need an alpha or beta gate depends on the release and is left to it; a
 * flag for the options or the policy leaves the pair to the kubelet.
 */
function managerOptionProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const judge = (field: string, known: Record<string, 'bool' | 'int'>) => {
    const options = config[field];
    if (!isMap(options)) return;
    for (const [name, value] of Object.entries(options)) {
      const at = `${base}.${field}.${name}`;
      const kind = Object.hasOwn(known, name) ? known[name] : undefined;
      if (kind === undefined) {
        const hint = suggest(name, Object.keys(known));
        problems.push(
          error(at, `is not an option the kubelet knows, and it stops at start (expected ${hint ? `"${hint}"` : `one of ${Object.keys(known).join(', ')}`})`),
        );
        continue;
      }
      const example = kind === 'bool' ? '"true"' : '"8"';
      if (typeof value !== 'string')
        problems.push(error(at, `${show(value)} is not a string, and the kubelet cannot read it and stops at start (expected ${example}, quoted)`));
      else if (kind === 'bool' ? !GO_BOOL.test(value) : !/^-?\d+$/.test(value))
        problems.push(
          error(at, `${show(value)} is not ${kind === 'bool' ? 'true or false' : 'a whole number'}, and the kubelet stops at start (expected ${example})`),
        );
    }
  };
  const cpuOptions = config.cpuManagerPolicyOptions;
  if (isMap(cpuOptions) && Object.keys(cpuOptions).length > 0 && !hasFlag(flags, '--cpu-manager-policy-options')) {
    const policy = lastFlag(flags, '--cpu-manager-policy')?.value ?? config.cpuManagerPolicy ?? 'none';
    if (policy === 'none')
      problems.push(
        error(
          `${base}.cpuManagerPolicyOptions`,
          `are options of the static CPU manager policy, and the kubelet stops at start for any beside ${config.cpuManagerPolicy === undefined && !hasFlag(flags, '--cpu-manager-policy') ? 'its default policy none' : 'the none policy'} (expected cpuManagerPolicy "static" beside them)`,
        ),
      );
    else judge('cpuManagerPolicyOptions', Object.fromEntries(CPU_MANAGER_OPTIONS.map((o) => [o, 'bool' as const])));
  }
  if (!hasFlag(flags, '--topology-manager-policy-options')) judge('topologyManagerPolicyOptions', TOPOLOGY_MANAGER_OPTIONS);
  return problems;
}

/** Whether a path is as Go's filepath.Clean leaves it: no "//", no "." or ".." part, no trailing "/". */
const isCleanPath = (path: string): boolean =>
  path === '/' ||
  (!path.endsWith('/') &&
    path
      .split('/')
      .slice(1)
      .every((part) => part !== '' && part !== '.' && part !== '..'));

/**
 * podLogsDir an absolute, clean, ASCII path (the kubelet names its metrics by it),
 * crashLoopBackOff.maxContainerRestartPeriod from 1s to 300s, showHiddenMetricsForVersion a
 * minor ("1.32"; which one, render judges), and containerLogMonitorInterval at least 3s.
 */
function pathAndIntervalProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const dir = config.podLogsDir;
  if (typeof dir === 'string' && dir !== '') {
    const why = !dir.startsWith('/')
      ? 'is not an absolute path'
      : !isCleanPath(dir)
        ? 'is not a clean path (no "//", "." or ".." part and no trailing "/")'
        : /[^\u0000-\u007f]/.test(dir)
          ? 'holds a character outside ASCII'
          : undefined;
    if (why) problems.push(error(`${base}.podLogsDir`, `${show(dir)} ${why}, and the kubelet stops at start (expected e.g. "/var/log/pods", its default)`));
  }
  const backOff = isMap(config.crashLoopBackOff) ? config.crashLoopBackOff.maxContainerRestartPeriod : undefined;
  const backOffMs = typeof backOff === 'string' ? durationMs(backOff) : undefined;
  if (backOffMs !== undefined && (backOffMs < 1000 || backOffMs > 300_000))
    problems.push(
      error(`${base}.crashLoopBackOff.maxContainerRestartPeriod`, `"${backOff}" is not from 1s to 300s, and the kubelet stops at start (expected e.g. "1m")`),
    );
  const hidden = config.showHiddenMetricsForVersion;
  if (typeof hidden === 'string' && hidden !== '' && !/^1\.\d+$/.test(hidden) && !hasFlag(flags, '--show-hidden-metrics-for-version'))
    problems.push(
      error(
        `${base}.showHiddenMetricsForVersion`,
        `${show(hidden)} is not a Kubernetes minor such as "1.32", and the kubelet stops at start (expected the minor before the kubelet's own)`,
      ),
    );
  const interval = config.containerLogMonitorInterval;
  const ms = typeof interval === 'string' ? durationMs(interval) : undefined;
  if (ms !== undefined && ms < 3000)
    problems.push(
      error(`${base}.containerLogMonitorInterval`, `"${interval}" is shorter than 3s, and the kubelet stops at start (expected e.g. "10s", its default)`),
    );
  return problems;
}

/**
 * Fields the kubelet takes only with a feature gate whose default changed across the kubelets the
 * image runs (the gate table says from which release it is on). With the gate turned off the
 * kubelet stops at start on every version (`config check` says so); left alone, only a kubelet
 * that has the gate off by default stops, so render and init, which know the kubelet version,
 * warn (gateDefaultWarnings).
 */
export const VERSIONED_GATES: ReadonlyArray<{ gate: string; fields: (config: Config, flags: readonly string[] | undefined) => string[] }> = [
  { gate: 'NodeLogQuery', fields: (c) => (c.enableSystemLogQuery === true ? ['enableSystemLogQuery'] : []) },
  { gate: 'CustomCPUCFSQuotaPeriod', fields: (c, flags) => (customQuotaPeriodMs(c, flags) !== undefined ? ['cpuCFSQuotaPeriod'] : []) },
  {
    gate: 'NodeSwap',
    fields: (c) =>
      isMap(c.memorySwap) && typeof c.memorySwap.swapBehavior === 'string' && c.memorySwap.swapBehavior !== '' ? ['memorySwap.swapBehavior'] : [],
  },
  {
    gate: 'ImageMaximumGCAge',
    fields: (c) => (typeof c.imageMaximumGCAge === 'string' && (durationMs(c.imageMaximumGCAge) ?? 0) > 0 ? ['imageMaximumGCAge'] : []),
  },
  {
    gate: 'KubeletCrashLoopBackOffMax',
    fields: (c) => (isMap(c.crashLoopBackOff) && c.crashLoopBackOff.maxContainerRestartPeriod != null ? ['crashLoopBackOff.maxContainerRestartPeriod'] : []),
  },
  {
    gate: 'KubeletEnsureSecretPulledImages',
    fields: (c) =>
      [
        typeof c.imagePullCredentialsVerificationPolicy === 'string' && c.imagePullCredentialsVerificationPolicy !== ''
          ? 'imagePullCredentialsVerificationPolicy'
          : '',
        Array.isArray(c.preloadedImagesVerificationAllowlist) && c.preloadedImagesVerificationAllowlist.length > 0
          ? 'preloadedImagesVerificationAllowlist'
          : '',
      ].filter((f) => f !== ''),
  },
];

/** A field set beside its gate turned off, which stops every kubelet. */
function gateOffProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  return VERSIONED_GATES.filter(({ gate }) => featureGate(config, flags, gate) === false).flatMap(({ gate, fields }) =>
    fields(config, flags).map((field) =>
      error(
        `${base}.${field}`,
        `needs the ${gate} feature gate, which ${gateSource(flags, gate)} turns off: the kubelet stops at start (expected one of the two)`,
      ),
    ),
  );
}

/**
 * For one kubelet minor (1.x): the user's fields whose gate this kubelet has off by default, left
 * alone by the user, so this kubelet stops at start. A warning from render and init (a newer
 * kubelet takes the same user data).
 */
export function gateDefaultWarnings(
  config: Config | undefined,
  flags: readonly string[] | undefined,
  kubeletMinor: number,
  base = 'spec.kubelet.config',
): string[] {
  if (!config) return [];
  return [...hiddenMetricsWarnings(config, flags, kubeletMinor, base), ...gateWarnings(config, flags, kubeletMinor, base)];
}

/**
 * showHiddenMetricsForVersion must be exactly the minor before the kubelet's own ("1.32" for a
 * 1.33 kubelet), or the kubelet stops at start: the same user data suits one kubelet version, so
 * render and init judge it for theirs (`config check` judges only its form).
 */
function hiddenMetricsWarnings(config: Config, flags: readonly string[] | undefined, kubeletMinor: number, base: string): string[] {
  const value = config.showHiddenMetricsForVersion;
  const expected = `1.${kubeletMinor - 1}`;
  if (typeof value !== 'string' || value === '' || value === expected || hasFlag(flags, '--show-hidden-metrics-for-version')) return [];
  return [
    `${base}.showHiddenMetricsForVersion: "${value}" is not the minor before this kubelet's 1.${kubeletMinor}, and the kubelet stops at start (expected "${expected}", or none: only the previous minor's hidden metrics can be shown)`,
  ];
}

function gateWarnings(config: Config, flags: readonly string[] | undefined, kubeletMinor: number, base: string): string[] {
  return VERSIONED_GATES.flatMap(({ gate, fields }) => {
    const off = featureGate(config, flags, gate) === undefined ? offByDefault(gate, kubeletMinor) : undefined;
    if (!off) return [];
    const later = off.onFrom === undefined ? 'in every release the agent knows' : `on from 1.${off.onFrom}`;
    return fields(config, flags).map(
      (field) =>
        `${base}.${field}: needs the ${gate} feature gate, which kubelet 1.${kubeletMinor} has off by default (${later}), so this kubelet stops at start (expected featureGates: {${gate}: true} beside it)`,
    );
  });
}
