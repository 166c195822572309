import { OLDEST_KUBELET_MINOR, removedKubeletFlags } from '../api/kubelet-flags.js';
import { splitWords } from '../api/words.js';

/**
 * `--kubelet-extra-args` to NodeConfig: a flag whose KubeletConfiguration field is known becomes
 * that field of `spec.kubelet.config` (so `config check` validates it and later sources can
 * override it field by field); every other flag stays a flag, in the order given.
 */

type Parse = (value: string) => unknown;

const int: Parse = (v) => (/^\d+$/.test(v) ? Number(v) : undefined);
const str: Parse = (v) => (v === '' ? undefined : v);
const bool: Parse = (v) => (v === 'true' || v === '' ? true : v === 'false' ? false : undefined);
const list: Parse = (v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** `cpu=100m,memory=1Gi` (or `memory.available<100Mi` with `<` for eviction thresholds) */
const pairs =
  (sep: string): Parse =>
  (v) => {
    const out: Record<string, string> = {};
    for (const item of v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const at = item.indexOf(sep);
      if (at <= 0) return undefined;
      out[item.slice(0, at)] = item.slice(at + 1);
    }
    return Object.keys(out).length ? out : undefined;
  };
const gates: Parse = (v) => {
  const map = pairs('=')(v) as Record<string, string> | undefined;
  if (!map) return undefined;
  const out: Record<string, boolean> = {};
  for (const [k, b] of Object.entries(map)) {
    if (b !== 'true' && b !== 'false') return undefined;
    out[k] = b === 'true';
  }
  return out;
};
/** `key=value:Effect` or `key:Effect`, comma separated, as kubelet's --register-with-taints */
const taints: Parse = (v) => {
  const out: Array<{ key: string; value?: string; effect: string }> = [];
  for (const item of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(item);
    if (!m) return undefined;
    out.push({ key: m[1] as string, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as string });
  }
  return out.length ? out : undefined;
};

/** kubelet flag -> [KubeletConfiguration field, parser, what a valid value looks like] */
const FIELDS: Readonly<Record<string, readonly [string, Parse, string]>> = {
  'max-pods': ['maxPods', int, 'a whole number, e.g. 110'],
  'register-with-taints': ['registerWithTaints', taints, 'key=value:Effect pairs, e.g. dedicated=batch:NoSchedule'],
  'cluster-dns': ['clusterDNS', list, 'comma-separated IP addresses'],
  'kube-reserved': ['kubeReserved', pairs('='), 'name=quantity pairs, e.g. cpu=100m,memory=1Gi'],
  'system-reserved': ['systemReserved', pairs('='), 'name=quantity pairs, e.g. cpu=100m,memory=1Gi'],
  'eviction-hard': ['evictionHard', pairs('<'), 'signal<quantity pairs, e.g. memory.available<100Mi'],
  'eviction-soft': ['evictionSoft', pairs('<'), 'signal<quantity pairs, e.g. memory.available<300Mi'],
  'eviction-soft-grace-period': ['evictionSoftGracePeriod', pairs('='), 'signal=duration pairs, e.g. memory.available=1m30s'],
  'eviction-max-pod-grace-period': ['evictionMaxPodGracePeriod', int, 'a whole number of seconds'],
  'image-gc-high-threshold': ['imageGCHighThresholdPercent', int, 'a whole percentage'],
  'image-gc-low-threshold': ['imageGCLowThresholdPercent', int, 'a whole percentage'],
  'pod-max-pids': ['podPidsLimit', int, 'a whole number'],
  'cpu-manager-policy': ['cpuManagerPolicy', str, 'none or static'],
  'topology-manager-policy': ['topologyManagerPolicy', str, 'a policy name'],
  'reserved-cpus': ['reservedSystemCPUs', str, 'a CPU list, e.g. 0-1'],
  'container-log-max-size': ['containerLogMaxSize', str, 'a quantity, e.g. 10Mi'],
  'container-log-max-files': ['containerLogMaxFiles', int, 'a whole number'],
  'serialize-image-pulls': ['serializeImagePulls', bool, 'true or false'],
  'max-parallel-image-pulls': ['maxParallelImagePulls', int, 'a whole number'],
  'registry-qps': ['registryPullQPS', int, 'a whole number'],
  'registry-burst': ['registryBurst', int, 'a whole number'],
  'kube-api-qps': ['kubeAPIQPS', int, 'a whole number'],
  'kube-api-burst': ['kubeAPIBurst', int, 'a whole number'],
  'feature-gates': ['featureGates', gates, 'Name=true|false pairs'],
  'allowed-unsafe-sysctls': ['allowedUnsafeSysctls', list, 'comma-separated sysctl names'],
  'shutdown-grace-period': ['shutdownGracePeriod', str, 'a duration, e.g. 30s'],
  'shutdown-grace-period-critical-pods': ['shutdownGracePeriodCriticalPods', str, 'a duration, e.g. 10s'],
};

export interface KubeletArgs {
  config: Record<string, unknown>;
  flags: string[];
  problems: string[];
  /** flags left out, each naming why */
  warnings: string[];
}

export function translateKubeletArgs(text: string, where = '--kubelet-extra-args'): KubeletArgs {
  const result: KubeletArgs = { config: {}, flags: [], problems: [], warnings: [] };
  const words = splitWords(text);
  if (!words) {
    result.problems.push(`${where}: ${JSON.stringify(text)} has an unterminated quote`);
    return result;
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const m = /^--?([A-Za-z0-9][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(word);
    if (!m) {
      result.problems.push(`${where}: ${JSON.stringify(word)} is not a kubelet flag (expected --name=value or --name value)`);
      continue;
    }
    const name = m[1] as string;
    let value = m[2];
    // kubelet takes no positional arguments, so a word after a flag is that flag's value
    if (value === undefined && i + 1 < words.length && !(words[i + 1] as string).startsWith('-')) value = words[++i];
    const field = FIELDS[name];
    if (!field) {
      const flag = value === undefined ? `--${name}` : `--${name}=${value}`;
      const removed = removedKubeletFlags([flag])[0];
      // gone from every kubelet this image runs, which would stop at start for it
      if (removed && removed.removedIn <= OLDEST_KUBELET_MINOR) {
        result.warnings.push(`${where} --${name}: the kubelet no longer has this flag (removed in 1.${removed.removedIn}), left out`);
        continue;
      }
      result.flags.push(flag);
      continue;
    }
    const [key, parse, expected] = field;
    // an empty value (eksctl writes `--register-with-taints=` for no taints) leaves kubelet's default
    if (value === '' && parse !== bool) continue;
    const parsed = parse(value ?? '');
    if (parsed === undefined) result.problems.push(`${where} --${name}: ${JSON.stringify(value ?? '')} is not valid (expected ${expected})`);
    else result.config[key] = parsed;
  }
  return result;
}
