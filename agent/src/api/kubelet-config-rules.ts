import { durationMs, type FieldProblem, isMap } from './kubelet-config-fields.js';
import { isQuantity, quantitySign } from './quantity.js';
import { hasFlag, lastFlag } from './kubelet-flags.js';

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
  ];
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
export function byPodPriority(config: Config | undefined): boolean {
  const gates = isMap(config?.featureGates) ? config.featureGates : {};
  return (
    Array.isArray(config?.shutdownGracePeriodByPodPriority) &&
    config.shutdownGracePeriodByPodPriority.length > 0 &&
    gates.GracefulNodeShutdownBasedOnPodPriority !== false
  );
}

function shutdownProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  if (hasFlag(flags, '--shutdown-grace-period', '--shutdown-grace-period-critical-pods')) return [];
  const problems: FieldProblem[] = [];
  if (byPodPriority(config)) {
    for (const field of ['shutdownGracePeriod', 'shutdownGracePeriodCriticalPods']) {
      const v = config[field];
      const d = typeof v === 'string' ? durationMs(v) : undefined;
      if (d !== undefined && d > 0)
        problems.push(
          error(
            `${base}.${field}`,
            `"${v}" cannot be set beside shutdownGracePeriodByPodPriority: the kubelet stops at start (expected one of the two; the agent leaves its own grace periods out beside the list)`,
          ),
        );
    }
  }
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
 * With memoryManagerPolicy "Static" the kubelet requires reservedMemory to hold, per memory type,
 * what node allocatable reserves, and node allocatable never reserves hugepages (kubeReserved and
 * systemReserved take cpu, memory, ephemeral-storage and pid only): a hugepages reservation above
 * zero stops the kubelet on every instance. The memory total depends on the instance (the agent's
 * kubeReserved follows max pods), so render judges it (render/reserved-memory.ts).
 */
/**
 * Whether the user's kubelet.config asks for the Static memory manager and leaves its reservedMemory
 * to the config (a flag for either makes them the kubelet's business).
 */
export function staticMemoryManager(config: Config | undefined, flags: readonly string[] | undefined): boolean {
  return config?.memoryManagerPolicy === 'Static' && !hasFlag(flags, '--memory-manager-policy', '--reserved-memory');
}

function reservedMemoryProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  const entries = config.reservedMemory;
  if (!staticMemoryManager(config, flags) || !Array.isArray(entries)) return [];
  return entries.flatMap((entry, i) => {
    const limits = isMap(entry) && isMap(entry.limits) ? entry.limits : {};
    return Object.entries(limits)
      .filter(([type, value]) => type.startsWith('hugepages-') && !(value === 0 || (typeof value === 'string' && quantitySign(value) === 0)))
      .map(([type, value]) =>
        error(
          `${base}.reservedMemory[${i}].limits.${type}`,
          `${JSON.stringify(value)} reserves hugepages, which node allocatable never reserves (kubeReserved and systemReserved hold none), so with memoryManagerPolicy "Static" the kubelet stops at start (expected no ${type} in reservedMemory)`,
        ),
      );
  });
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

/**
 * serverTLSBootstrap needs the RotateKubeletServerCertificate gate: the kubelet stops at start for
 * the user's serverTLSBootstrap true beside the user's gate off. (With the gate off alone, the
 * agent leaves its own serverTLSBootstrap out: render/kubelet-config.ts.)
 */
/** Whether the user's kubelet.config turns off the gate serverTLSBootstrap needs. */
export function serverCertificateGateOff(config: Config | undefined): boolean {
  return isMap(config?.featureGates) && config.featureGates.RotateKubeletServerCertificate === false;
}

function serverCertificateProblems(config: Config, flags: readonly string[] | undefined, base: string): FieldProblem[] {
  if (config.serverTLSBootstrap !== true || !serverCertificateGateOff(config) || hasFlag(flags, '--feature-gates')) return [];
  return [
    error(
      `${base}.serverTLSBootstrap`,
      'true needs the RotateKubeletServerCertificate feature gate, which featureGates turns off: the kubelet stops at start (expected one of the two)',
    ),
  ];
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
  if (config.cgroupsPerQOS === false && given.some((i) => i !== 'none') && !hasFlag(flags, '--cgroups-per-qos'))
    problems.push(
      error(
        `${base}.cgroupsPerQOS`,
        `false while enforceNodeAllocatable enforces ${[...new Set(given.filter((i) => i !== 'none'))].join(', ')}${config.enforceNodeAllocatable === undefined ? ' (its default)' : ''}: the kubelet stops at start (expected cgroupsPerQOS true, its default, or enforceNodeAllocatable ["none"])`,
      ),
    );
  return problems;
}
