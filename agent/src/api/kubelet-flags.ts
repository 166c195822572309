import { flagPath } from './kubelet-flag-items.js';
import { isWrittenOutIp } from './cluster-values.js';
import { KUBELET_INT32_MAX, MAP_ENTRY_RULES, mapEntryKeyProblem } from './kubelet-config-fields.js';
import { PATHS } from '../render/paths.js';
import { KUBELET_FLAG_NAMES, KUBELET_FLAG_NAMES_VERSION } from './kubelet-flag-names.data.js';
import { show, suggest } from './problems.js';

/*
 * The kubelet's own checks of the flags that carry labels and taints, made before it starts (it
 * exits on any of them, so the node never registers).
 * `--node-labels`: each comma-separated item is `key=value`; keys are qualified names and values
 * label values; and a key in the kubernetes.io or k8s.io namespaces must be one the kubelet may
 * set on its own Node. The last catches a common mistake: a `node-role.kubernetes.io/worker`
 * label meant for `kubectl get nodes`.
 * `--register-with-taints`: each item is `key[=value]:Effect`, with a label's key and value and
 * one of the three effects.
 */

/** Labels in the kubernetes.io namespaces a kubelet may set on its own Node (k8s.io/kubelet's well-known labels). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
]);
/** Namespaces (and their subdomains) whose labels a kubelet may set. */
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const inNamespace = (namespace: string, parent: string) => namespace === parent || namespace.endsWith(`.${parent}`);

/** Why a label (or taint) key is not a qualified name, or undefined when it is one. */
export function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts.at(-1)!;
  if (parts.length > 2) return 'has more than one "/"';
  if (parts.length === 2 && !(parts[0]!.length <= 253 && DNS_SUBDOMAIN.test(parts[0]!))) return 'has a prefix that is not a lower-case DNS name';
  if (!(name.length <= 63 && NAME.test(name)))
    return 'has a name that is not 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  return undefined;
}

/** Whether the kubelet refuses to set this label on its own Node. */
function isForbiddenToKubelet(key: string): boolean {
  const slash = key.indexOf('/');
  const namespace = slash < 0 ? '' : key.slice(0, slash);
  if (!inNamespace(namespace, 'kubernetes.io') && !inNamespace(namespace, 'k8s.io')) return false;
  return !KUBELET_LABELS.has(key) && !KUBELET_LABEL_NAMESPACES.some((allowed) => inNamespace(namespace, allowed));
}

/** One occurrence of a flag among kubelet flags: its index, the whole item, and what follows `=` ("" when bare). */
export interface FlagOccurrence {
  index: number;
  flag: string;
  value: string;
}

/** Every occurrence of a flag among kubelet flags, in order: `--name=value`, or a bare `--name` (value ""). */
export function flagOccurrences(flags: readonly string[] | undefined, name: string): FlagOccurrence[] {
  const found: FlagOccurrence[] = [];
  (flags ?? []).forEach((flag, index) => {
    if (flag === name) found.push({ index, flag, value: '' });
    else if (flag.startsWith(`${name}=`)) found.push({ index, flag, value: flag.slice(name.length + 1) });
  });
  return found;
}

/** A kubelet flag's name: what comes before its first "=" ("--node-labels" of "--node-labels=a=b"). */
export function flagName(flag: string): string {
  const eq = flag.indexOf('=');
  return eq < 0 ? flag : flag.slice(0, eq);
}

/** The last occurrence of a flag among kubelet flags: the one the kubelet keeps. */
export function lastFlag(flags: readonly string[] | undefined, name: string): FlagOccurrence | undefined {
  return flagOccurrences(flags, name).at(-1);
}

/** Whether any of these flags is among kubelet flags (bare or with a value). */
export function hasFlag(flags: readonly string[] | undefined, ...names: string[]): boolean {
  return names.some((name) => flagOccurrences(flags, name).length > 0);
}

/** One item of a map flag's value (`cpu=250m`, `memory.available<1Gi`): its key, and its value when it has the separator. */
export interface MapFlagItem {
  item: string;
  key: string;
  value: string | undefined;
}

/** The items of a map flag's value, as the kubelet splits them: on ",", empty items skipped, key and value trimmed. */
function mapFlagItems(value: string, separator: string): MapFlagItem[] {
  return value
    .split(',')
    .filter((item) => item !== '')
    .map((item) => {
      const at = item.indexOf(separator);
      return at < 0 ? { item, key: item.trim(), value: undefined } : { item, key: item.slice(0, at).trim(), value: item.slice(at + 1).trim() };
    });
}

export interface MaxPodsFlag {
  /** e.g. "spec.kubelet.flags[1]" */
  path: string;
  flag: string;
  /** the whole number it sets, or undefined when it sets none the kubelet reads */
  value: number | undefined;
}

/** Every `--max-pods` among kubelet flags, in order, each with the number it sets. */
export function maxPodsFlags(flags: readonly string[] | undefined): MaxPodsFlag[] {
  return flagOccurrences(flags, '--max-pods').map(({ index, flag, value }) => {
    // decimal only: the kubelet reads a leading 0 as octal (Go's base 0), so "0110" would be 72
    const n = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : Number.NaN;
    return { path: flagPath(flags, index), flag, value: n >= 1 && n <= KUBELET_INT32_MAX ? n : undefined };
  });
}

/**
 * The `--max-pods` the kubelet runs with: the last one among kubelet flags, since the kubelet
 * takes the last and lets a flag win over its config files. The agent reads it so the memory it
 * reserves for the kubelet (11 MiB a pod) is reserved for the pods the kubelet will run.
 */
export function maxPodsFlag(flags: readonly string[] | undefined): MaxPodsFlag | undefined {
  return maxPodsFlags(flags).at(-1);
}

/**
 * User kubelet flags that replace a value the agent sets for the node or EKS depends on, and
 * flags holding shell syntax, one warning each; the same lines for `config check` (from the
 * spec) and render. The user's flags come last, so the kubelet takes theirs: a
 * `--hostname-override` registers the Node under another name, which EKS's mapping of the node
 * role (system:node:{{EC2PrivateDNSName}}, or the instance id) does not allow.
 */
export function kubeletFlagWarnings(flags: readonly string[] | undefined, kubeletConfig?: Readonly<Record<string, unknown>>): string[] {
  const warnings = flagOccurrences(flags, '--hostname-override').map(
    ({ index, flag }) =>
      `${flagPath(flags, index)}: "${flag}" replaces the node name the agent gives the kubelet (the EC2 private DNS name, or the instance id with InstanceIdNodeName): EKS lets the node role register only that name, so the API server may refuse the Node (forbidden)`,
  );
  for (const warning of [kubeReservedFlagWarning(flags), evictionHardFlagWarning(flags)]) if (warning) warnings.push(warning);
  warnings.push(...registerTaintsWarnings(flags, kubeletConfig?.registerWithTaints));
  const hasUserConfig = kubeletConfig !== undefined && Object.keys(kubeletConfig).length > 0;
  warnings.push(...agentFileFlagWarnings(flags, hasUserConfig), ...shellSyntaxWarnings(flags), ...removedFlagWarnings(flags));
  return warnings;
}

/**
 * Flags that point the kubelet at a file the agent writes, with what the kubelet then goes
 * without. The user's flag comes last and wins, so the agent's file is written and never read.
 */
const AGENT_FILE_FLAGS: Readonly<Record<string, { path: string; loses: string; instead: string; onlyWithUserConfig?: boolean }>> = {
  '--config': {
    path: PATHS.kubeletConfig,
    loses: "everything the agent computed for this node (clusterDNS, maxPods and the reservations that follow it, the cluster's CA, the providerID)",
    instead: 'kubelet.config, which is layered over the agent file field by field',
  },
  '--config-dir': {
    path: PATHS.kubeletConfigDir,
    loses: 'spec.kubelet.config, which the agent writes there as a drop-in',
    instead: 'no such flag',
    // the directory holds only the user's kubelet.config: without one, nothing is lost
    onlyWithUserConfig: true,
  },
  '--kubeconfig': {
    path: PATHS.kubeconfig,
    loses: "the node role's credentials the agent sets up (the EKS token for the cluster's endpoint and CA)",
    instead: 'no such flag',
  },
  '--image-credential-provider-config': {
    path: PATHS.credentialProviderConfig,
    loses: 'the ECR credential provider the agent configures, so pulls from private ECR repositories fail',
    instead: 'no such flag',
  },
};

function agentFileFlagWarnings(flags: readonly string[] | undefined, hasUserConfig: boolean): string[] {
  return Object.entries(AGENT_FILE_FLAGS).flatMap(([name, { path, loses, instead, onlyWithUserConfig }]) => {
    const last = lastFlag(flags, name);
    if (!last || last.value === path || (onlyWithUserConfig && !hasUserConfig)) return [];
    return [
      `${flagPath(flags, last.index)}: ${show(last.flag)} replaces the agent's ${path}, and the kubelet then goes without ${loses} (expected ${instead})`,
    ];
  });
}

/** `$NAME`, `${NAME}`, `$(command)` or a backquoted command, as a shell would expand them. */
const SHELL_SYNTAX = /\$\{[^}]*\}?|\$\([^)]*\)?|\$[A-Za-z_][A-Za-z0-9_]*|`[^`]*`?/;

/**
 * A flag written as in a shell script (`--node-ip=$NODE_IP`, `--node-labels=team=${TEAM}`), from
 * user data that used to pass `--kubelet-extra-args` through a shell: NodeConfig is read as YAML
 * and no shell expands it, so the kubelet gets the text as written. Some flags then stop the
 * kubelet; others lose their value without a word (the kubelet skips a --node-ip it cannot read).
 */
function shellSyntaxWarnings(flags: readonly string[] | undefined): string[] {
  return (flags ?? []).flatMap((flag, index) => {
    const found = SHELL_SYNTAX.exec(flag);
    if (!found) return [];
    return [
      `${flagPath(flags, index)}: ${show(flag)} holds shell syntax (${show(found[0])}) that nothing expands: NodeConfig is read as YAML, not run by a shell, so the kubelet gets it as written (expected the value itself, or a user-data script that writes the NodeConfig)`,
    ];
  });
}

/** The keys a map flag's occurrences set, together (later occurrences add to the map the first one started). */
function mapFlagKeys(found: readonly FlagOccurrence[], separator: string): Set<string> {
  return new Set(found.flatMap(({ value }) => mapFlagItems(value, separator).map(({ key }) => key)));
}

/** The kubeReserved keys the agent computes for each instance (render/reserved.ts). */
const COMPUTED_KUBE_RESERVED = ['cpu', 'ephemeral-storage', 'memory'];

/**
 * A `--kube-reserved` flag does not merge with the kubeReserved the agent writes into the
 * kubelet's config: the kubelet clears the map for the flag's first occurrence (later ones add
 * to it). Without `memory` in it, the kubelet and containerd have no memory set aside (255 MiB +
 * 11 MiB a pod by the agent's formula) and pods may take it. kubelet.config.kubeReserved merges
 * key by key instead, which the warning points to.
 */
function kubeReservedFlagWarning(flags: readonly string[] | undefined): string | undefined {
  const found = flagOccurrences(flags, '--kube-reserved');
  if (found.length === 0) return undefined;
  const keys = mapFlagKeys(found, '=');
  if (keys.has('memory')) return undefined;
  const first = found[0]!;
  const dropped = COMPUTED_KUBE_RESERVED.filter((k) => !keys.has(k));
  return `${flagPath(flags, first.index)}: "${first.flag}" replaces the kubeReserved the agent computes for the instance instead of adding to it: the kubelet then reserves no ${dropped.join(', ')} for itself and containerd (expected memory in the flag, or the flag moved to kubelet.config.kubeReserved, which merges key by key)`;
}

/**
 * The hard eviction thresholds the agent writes into the kubelet's config (the kubelet's own
 * defaults for these three signals, written out so a drop-in's evictionHard merges with them).
 */
export const AGENT_EVICTION_HARD: Readonly<Record<string, string>> = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
};

/**
 * An `--eviction-hard` flag replaces the agent's evictionHard the way `--kube-reserved` replaces
 * kubeReserved (the first occurrence clears the map), and the kubelet has no threshold for a
 * signal left out: `--eviction-hard=memory.available<500Mi`, common in older user data, leaves a
 * node that evicts no pod when its disk or inodes run out. The config's
 * mergeDefaultEvictionSettings does not help: the kubelet merges its defaults into the config
 * file's map before the flags replace it.
 */
function evictionHardFlagWarning(flags: readonly string[] | undefined): string | undefined {
  const found = flagOccurrences(flags, '--eviction-hard');
  if (found.length === 0) return undefined;
  const keys = mapFlagKeys(found, '<');
  const dropped = Object.keys(AGENT_EVICTION_HARD).filter((signal) => !keys.has(signal));
  if (dropped.length === 0) return undefined;
  const first = found[0]!;
  return `${flagPath(flags, first.index)}: "${first.flag}" replaces the evictionHard thresholds the agent writes instead of adding to them: the kubelet then has no hard threshold for ${dropped.join(', ')} and evicts no pod for them (expected every one of ${Object.keys(AGENT_EVICTION_HARD).join(', ')} in the flag, or the flag moved to kubelet.config.evictionHard, which merges key by key)`;
}

/**
 * The oldest kubelet minor (1.x) this image runs: EKS supports none older. A flag removed by then
 * stops every kubelet the agent starts.
 */
export const OLDEST_KUBELET_MINOR = 27;

/**
 * Kubelet flags that kubelets from `removedIn` (1.x) on no longer have: the kubelet parses its
 * command line first and exits on a flag it does not know ("unknown flag"), so the node never
 * joins. Each is found in older user data (AL2's bootstrap.sh passed --pod-infra-container-image
 * itself; dockershim-era user data passed --network-plugin=cni), and none has an effect left on
 * a kubelet that still reads it here: what it did is the runtime's or the journal's now, or gone.
 * Versions from the Kubernetes changelogs (CHANGELOG-1.24 to 1.35, each naming the removal).
 */
const REMOVED_FLAGS: Readonly<Record<string, { removedIn: number; instead: string }>> = (() => {
  const removed = (removedIn: number, instead: string, ...names: string[]) => names.map((name) => [name, { removedIn, instead }] as const);
  return Object.fromEntries([
    ...removed(
      24,
      'nothing: containerd is the runtime and runs the CNI plugins (its own settings go in spec.containerd.config)',
      '--network-plugin',
      '--network-plugin-mtu',
      '--cni-bin-dir',
      '--cni-conf-dir',
      '--cni-cache-dir',
      '--docker-endpoint',
      '--image-pull-progress-deadline',
      '--experimental-dockershim-root-directory',
    ),
    ...removed(24, 'nothing: the CNI plugin decides what it masquerades', '--non-masquerade-cidr'),
    ...removed(24, 'nothing', '--experimental-check-node-capabilities-before-mount'),
    ...removed(24, 'spec.kubelet.config (dynamic kubelet configuration is gone)', '--dynamic-config-dir'),
    ...removed(
      26,
      'nothing: the kubelet logs to the journal (journalctl -u kubelet), and --v sets the level',
      '--add-dir-header',
      '--alsologtostderr',
      '--log-backtrace-at',
      '--log-dir',
      '--log-file',
      '--log-file-max-size',
      '--logtostderr',
      '--one-output',
      '--skip-headers',
      '--skip-log-headers',
      '--stderrthreshold',
    ),
    ...removed(27, 'nothing: every kubelet talks to containerd through the CRI, which the agent configures', '--container-runtime'),
    ...removed(27, 'nothing', '--master-service-namespace'),
    ...removed(30, 'nothing on EKS: ECR pulls use the credential provider the agent configures', '--azure-container-registry-config'),
    ...removed(31, 'nothing', '--keep-terminated-pod-volumes'),
    ...removed(31, 'nothing: kube-proxy and the CNI plugin own their iptables marks', '--iptables-masquerade-bit', '--iptables-drop-bit'),
    ...removed(34, 'a taint that keeps pods off, e.g. "--register-with-taints=node.kubernetes.io/unschedulable=:NoSchedule"', '--register-schedulable'),
    ...removed(34, 'nothing: with the external cloud provider the kubelet reads no cloud config', '--cloud-config'),
    ...removed(35, "nothing: the pause image is containerd's sandbox image, which the agent sets and pins", '--pod-infra-container-image'),
  ]);
})();

/** One user kubelet flag that some kubelet versions no longer have. */
export interface RemovedFlag {
  index: number;
  flag: string;
  name: string;
  /** the first kubelet minor (1.x) without it */
  removedIn: number;
  instead: string;
}

/** The user's kubelet flags that kubelets from some version on no longer have, in order. */
export function removedKubeletFlags(flags: readonly string[] | undefined): RemovedFlag[] {
  return (flags ?? []).flatMap((flag, index) => {
    const name = flagName(flag);
    const removed = Object.hasOwn(REMOVED_FLAGS, name) ? REMOVED_FLAGS[name]! : undefined;
    return removed ? [{ index, flag, name, ...removed }] : [];
  });
}

/** Whether a boot leaves this flag out for a kubelet of this minor (1.x): it no longer has it. */
export function isLeftOut(removed: RemovedFlag, kubeletMinor: number): boolean {
  return removed.removedIn <= OLDEST_KUBELET_MINOR || kubeletMinor >= removed.removedIn;
}

/**
 * Flags removed before the oldest kubelet the image runs: every kubelet stops at start for them.
 * Advisory (an error in `config check`; on boot a warning, and the flag is left out: it has no
 * effect left, and the node joins without it).
 */
export function removedFlagAdvisories(flags: readonly string[] | undefined): string[] {
  return removedKubeletFlags(flags)
    .filter((r) => r.removedIn <= OLDEST_KUBELET_MINOR)
    .map(
      (r) =>
        `${flagPath(flags, r.index)}: ${show(r.flag)} is a flag the kubelet no longer has (removed in 1.${r.removedIn}, before every kubelet this image runs), and the kubelet stops at start for it; a boot leaves it out (expected no such flag; instead ${r.instead})`,
    );
}

const FLAG_NAMES = new Set(KUBELET_FLAG_NAMES);
/** A flag name as a kubelet flag is written (a malformed one has its own error). */
const NAME_SHAPE = /^--[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * Flags no kubelet in the agent's list has (a misspelt "--node-lables=...", a flag of another
 * program): the kubelet parses its command line first and stops at start for an unknown flag.
 * Advisory, like an unknown kubelet.config field (an error in `config check`; on boot a warning,
 * and the flag is passed as given: a newer kubelet may know it). Removed flags are judged apart.
 */
export function unknownFlagAdvisories(flags: readonly string[] | undefined): string[] {
  return (flags ?? []).flatMap((flag, index) => {
    const full = flagName(flag);
    const name = full.slice(2);
    if (!NAME_SHAPE.test(full) || FLAG_NAMES.has(name) || Object.hasOwn(REMOVED_FLAGS, full)) return [];
    const hint = suggest(name, KUBELET_FLAG_NAMES);
    return [
      `${flagPath(flags, index)}: ${show(flag)} is not a flag the kubelet knows${hint ? ` (did you mean "--${hint}"?)` : ''}, and the kubelet stops at start for one it does not (the list is of Kubernetes ${KUBELET_FLAG_NAMES_VERSION}; a newer kubelet may know more)`,
    ];
  });
}

/**
 * Flags removed in a kubelet newer than the oldest the image runs: whether the kubelet stops for
 * one depends on its version, which only a boot knows. A warning everywhere; a boot leaves the
 * flag out for a kubelet that no longer has it and passes it to an older one.
 */
function removedFlagWarnings(flags: readonly string[] | undefined): string[] {
  return removedKubeletFlags(flags)
    .filter((r) => r.removedIn > OLDEST_KUBELET_MINOR)
    .map(
      (r) =>
        `${flagPath(flags, r.index)}: ${show(r.flag)} is a flag kubelets from 1.${r.removedIn} on no longer have, and they stop at start for it: a boot leaves it out for them and passes it to older ones (expected no such flag; instead ${r.instead})`,
    );
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/**
 * Flags the agent reads or judges that take a value, with an example. Written bare, the kubelet's
 * flag parser takes the next word as the value (here the next flag, since every item must be one)
 * or stops for want of one at the end. `--max-pods` has its own check (maxPodsFlags).
 */
/**
 * Map flags, judged item by item as the kubelet parses them: without the separator the kubelet
 * stops at start (malformed pair), and each value is read like the kubelet.config field the flag
 * sets (kubelet-config-fields.ts), so a flag and its field get the same verdict: the values, and
 * the keys of the reservation flags (the four resources a kubelet reserves). Eviction signals,
 * which grow with the kubelet's version, only advise (evictionFlagItems).
 */
const MAP_FLAGS: Readonly<Record<string, { field: string; separator: string; shape: string; noun: string; example: string }>> = {
  '--eviction-hard': {
    field: 'evictionHard',
    separator: '<',
    shape: 'signal<threshold',
    noun: 'threshold',
    example: '--eviction-hard=memory.available<500Mi,nodefs.available<10%,nodefs.inodesFree<5%',
  },
  '--eviction-soft': { field: 'evictionSoft', separator: '<', shape: 'signal<threshold', noun: 'threshold', example: '--eviction-soft=memory.available<1Gi' },
  '--eviction-soft-grace-period': {
    field: 'evictionSoftGracePeriod',
    separator: '=',
    shape: 'signal=duration',
    noun: 'grace period',
    example: '--eviction-soft-grace-period=memory.available=1m30s',
  },
  '--eviction-minimum-reclaim': {
    field: 'evictionMinimumReclaim',
    separator: '=',
    shape: 'signal=amount',
    noun: 'amount',
    example: '--eviction-minimum-reclaim=memory.available=500Mi',
  },
  '--kube-reserved': {
    field: 'kubeReserved',
    separator: '=',
    shape: 'resource=quantity',
    noun: 'quantity',
    example: '--kube-reserved=cpu=250m,memory=1Gi,ephemeral-storage=1Gi',
  },
  '--system-reserved': {
    field: 'systemReserved',
    separator: '=',
    shape: 'resource=quantity',
    noun: 'quantity',
    example: '--system-reserved=cpu=250m,memory=512Mi',
  },
};

const VALUE_FLAG_EXAMPLES: Record<string, string> = {
  '--node-labels': '--node-labels=team=a,tier=b',
  '--register-with-taints': '--register-with-taints=dedicated=gpu:NoSchedule',
  '--hostname-override': '--hostname-override=ip-10-0-1-5.ec2.internal',
  '--cloud-provider': '--cloud-provider=external',
  ...Object.fromEntries(Object.entries(MAP_FLAGS).map(([name, { example }]) => [name, example])),
};

/** The problems the kubelet would refuse to start for in one flag, each naming `path`. */
export function kubeletFlagProblems(flag: string, path: string): string[] {
  const example = Object.hasOwn(VALUE_FLAG_EXAMPLES, flag) ? VALUE_FLAG_EXAMPLES[flag] : undefined;
  if (example !== undefined) {
    return [
      `${path}: ${show(flag)} needs a value: the kubelet would take the next flag as its value, or stop at start without one (expected e.g. "${example}")`,
    ];
  }
  if (flag.startsWith('--node-labels=')) return nodeLabelProblems(flag, path);
  if (flag.startsWith('--register-with-taints=')) return taintProblems(flag, path);
  if (flag.startsWith('--cloud-provider=')) return cloudProviderProblems(flag, path);
  if (flag.startsWith('--node-ip=')) return nodeIpProblems(flag, path);
  const name = flagName(flag);
  if (name === '--runonce' && !/^--runonce=(false|f|0|FALSE|False|F)$/.test(flag))
    return [
      `${path}: ${show(flag)} asks for the removed run-once mode: kubelets from 1.31 stop at start for it, older ones exit after starting the static pods, and the node never joins (expected no such flag)`,
    ];
  if (name !== flag && Object.hasOwn(MAP_FLAGS, name)) return mapFlagProblems(name, flag.slice(name.length + 1), path);
  return [];
}

/**
 * `--cloud-provider`: the agent gives `external` (EKS runs the cloud controller). The kubelets
 * EKS supports (1.27 and later) have no provider built in and stop at start for any other name:
 * `--cloud-provider=aws` from AL2-era user data. Empty means none, which the kubelet accepts.
 */
function cloudProviderProblems(flag: string, path: string): string[] {
  const name = flag.slice('--cloud-provider='.length);
  if (name === '' || name === 'external') return [];
  return [
    `${path}: ${show(flag)} names a cloud provider built into the kubelet: kubelets from 1.27 on have none and stop at start (expected "--cloud-provider=external", which the agent already gives, or no such flag)`,
  ];
}

/** The items of a --node-ip value as the kubelet splits them: on ",", trimmed, empty ones skipped. */
const nodeIpItems = (flag: string): string[] =>
  flag
    .slice('--node-ip='.length)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/**
 * `--node-ip` (the agent gives the instance's primary address; the user's, later, wins): one
 * address, or an IPv4 and IPv6 pair without 0.0.0.0 or "::" (the external cloud provider allows
 * dual stack). The kubelet stops at start for more, or for two of one family.
 */
function nodeIpProblems(flag: string, path: string): string[] {
  const ips = nodeIpItems(flag).filter(isWrittenOutIp);
  const v6 = (ip: string) => ip.includes(':');
  if (ips.length > 2 || (ips.length === 2 && v6(ips[0]!) === v6(ips[1]!)))
    return [
      `${path}: ${show(flag)} is neither one address nor an IPv4 and IPv6 pair, and the kubelet stops at start (expected e.g. "--node-ip=10.0.1.23" or "--node-ip=10.0.1.23,2600:1f14::1")`,
    ];
  if (ips.length === 2 && ips.some((ip) => /^(0+\.){3}0+$|^[0:]+$/.test(ip)))
    return [`${path}: ${show(flag)} names 0.0.0.0 or :: in a dual-stack pair, and the kubelet stops at start (expected the node's two addresses)`];
  return [];
}

/**
 * A --node-ip item that is not an IP address: the kubelet skips it and starts, choosing the
 * node's address itself, so the node may register with another address than the one meant.
 * Advisory, like a clusterDNS entry that is not an IP address.
 */
export function nodeIpAdvisories(flags: readonly string[] | undefined): string[] {
  return flagOccurrences(flags, '--node-ip').flatMap(({ index, flag }) =>
    nodeIpItems(flag)
      // shell syntax has its own warning (shellSyntaxWarnings), which says why
      .filter((item) => !isWrittenOutIp(item) && !SHELL_SYNTAX.test(item))
      .map(
        (item) =>
          `${flagPath(flags, index)}: ${show(item)} in --node-ip is not an IP address, and the kubelet ignores it and picks the node's address itself (expected e.g. "--node-ip=10.0.1.23")`,
      ),
  );
}

/** Every item of the eviction map flags among kubelet flags, with the flag's name and index. */
export function evictionFlagItems(flags: readonly string[] | undefined): Array<MapFlagItem & { name: string; index: number }> {
  return Object.entries(MAP_FLAGS)
    .filter(([, { field }]) => field.startsWith('eviction'))
    .flatMap(([name, { separator }]) =>
      flagOccurrences(flags, name).flatMap(({ index, value }) => mapFlagItems(value, separator).map((item) => ({ ...item, name, index }))),
    );
}

/** The items of one map flag the kubelet would stop at start for, each naming `path`. */
function mapFlagProblems(name: string, value: string, path: string): string[] {
  const { field, separator, shape, noun, example } = MAP_FLAGS[name]!;
  const rule = MAP_ENTRY_RULES[field]!;
  return mapFlagItems(value, separator).flatMap(({ item, key, value: text }) => {
    if (text === undefined) return [`${path}: ${show(item)} in ${name} is not ${shape} (expected e.g. "${example}")`];
    const problems: string[] = [];
    const keyProblem = mapEntryKeyProblem(rule, key);
    if (keyProblem) problems.push(`${path}: ${show(key)} in ${name} ${keyProblem}`);
    if (!rule.test(text)) problems.push(`${path}: ${noun} ${show(text)} of ${show(key)} in ${name} is not ${rule.what} (expected ${rule.example})`);
    return problems;
  });
}

/** Whether a label (or taint) value is not one. */
export const valueProblem = (value: string) => !(value.length <= 63 && (value === '' || NAME.test(value)));
export const VALUE_RULE = 'is not 0-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';

/** One `--register-with-taints` item as the kubelet splits it: the effect after the last ":", the value after the first "=" before it. */
interface FlagTaint {
  item: string;
  key: string;
  value: string | undefined;
  effect: string;
}

/** The items of a `--register-with-taints` value; an empty value clears the list, and an item without ":" has no effect (""). */
function flagTaintItems(value: string): FlagTaint[] {
  return (value === '' ? [] : value.split(',')).map((item) => {
    const colon = item.lastIndexOf(':');
    const spec = colon < 0 ? item : item.slice(0, colon);
    const eq = spec.indexOf('=');
    return { item, key: eq < 0 ? spec : spec.slice(0, eq), value: eq < 0 ? undefined : spec.slice(eq + 1), effect: colon < 0 ? '' : item.slice(colon + 1) };
  });
}

function taintProblems(flag: string, path: string): string[] {
  const problems: string[] = [];
  // an empty item in a list is a taint without a key
  for (const { item, key, value, effect } of flagTaintItems(flag.slice('--register-with-taints='.length))) {
    if (!TAINT_EFFECTS.includes(effect)) {
      problems.push(
        `${path}: ${show(item)} in --register-with-taints is not key[=value]:Effect with Effect one of ${TAINT_EFFECTS.join(', ')} (expected e.g. "--register-with-taints=dedicated=gpu:NoSchedule")`,
      );
      continue;
    }
    const why = keyProblem(key);
    if (why) problems.push(`${path}: taint key ${show(key)} in --register-with-taints ${why}`);
    if (value !== undefined && valueProblem(value))
      problems.push(`${path}: taint value ${show(value)} of ${show(key)} in --register-with-taints ${VALUE_RULE}`);
  }
  return problems;
}

function nodeLabelProblems(flag: string, path: string): string[] {
  const problems: string[] = [];
  for (const { item, key, value } of mapFlagItems(flag.slice('--node-labels='.length), '=')) {
    if (value === undefined) {
      problems.push(`${path}: ${show(item)} in --node-labels is not key=value (expected e.g. "--node-labels=team=a,tier=b")`);
      continue;
    }
    const why = keyProblem(key);
    if (why) problems.push(`${path}: label key ${show(key)} in --node-labels ${why}`);
    else if (isForbiddenToKubelet(key)) {
      problems.push(
        `${path}: label ${show(key)} in --node-labels is one a kubelet may not set on its Node, and it refuses to start (expected a key outside kubernetes.io and k8s.io, under node.kubernetes.io/ or kubelet.kubernetes.io/, or one of ${[...KUBELET_LABELS].join(', ')}; set others with kubectl label)`,
      );
    }
    if (valueProblem(value)) problems.push(`${path}: label value ${show(value)} of ${show(key)} in --node-labels ${VALUE_RULE}`);
  }
  return problems;
}

/** A taint as the kubelet's flag spells it (`key=value:Effect`, `key:Effect`), and what tells taints apart: key and effect. */
interface NamedTaint {
  text: string;
  identity: string;
}

function flagTaints(value: string): NamedTaint[] {
  return flagTaintItems(value).flatMap(({ item, key, effect }) => (effect === '' ? [] : [{ text: item, identity: `${key}:${effect}` }]));
}

function configTaints(taints: unknown): NamedTaint[] {
  if (!Array.isArray(taints)) return [];
  return taints.flatMap((t) => {
    if (typeof t !== 'object' || t === null) return [];
    const { key, value, effect } = t as { key?: unknown; value?: unknown; effect?: unknown };
    if (typeof key !== 'string' || typeof effect !== 'string') return [];
    return [{ text: `${key}${typeof value === 'string' && value !== '' ? `=${value}` : ''}:${effect}`, identity: `${key}:${effect}` }];
  });
}

/** Karpenter registers its nodes with this taint and takes it off once the Node has its NodePool's labels and taints. */
const KARPENTER_UNREGISTERED = 'karpenter.sh/unregistered';

/** What a node registers without, naming the taints left out, and why Karpenter's matters. */
function registersWithout(lost: NamedTaint[]): string {
  const karpenter = lost.some((t) => t.identity.startsWith(`${KARPENTER_UNREGISTERED}:`))
    ? ` (Karpenter registers its nodes with ${KARPENTER_UNREGISTERED} and takes it off once the Node has its NodePool's labels and taints)`
    : '';
  return `the node registers without ${lost.map((t) => t.text).join(', ')}${karpenter}`;
}

/**
 * The kubelet registers with one list of taints: a `--register-with-taints` flag replaces
 * `kubelet.config.registerWithTaints` (a flag wins over the config file), and a later flag
 * replaces an earlier one (each sets the list, none adds to it). Tools write their taints into one
 * place and users add theirs in another (Karpenter puts the NodePool's, and its
 * `karpenter.sh/unregistered`, into the config list; a user-data part adds a flag), and the node
 * then registers without the first: a warning naming the taints left out.
 */
function registerTaintsWarnings(flags: readonly string[] | undefined, configured: unknown): string[] {
  const occurrences = flagOccurrences(flags, '--register-with-taints');
  const last = occurrences.at(-1);
  if (!last) return [];
  const kept = new Set(flagTaints(last.value).map((t) => t.identity));
  const expected = '(expected every taint in one list: the last --register-with-taints, or kubelet.config.registerWithTaints without the flag)';
  const warnings: string[] = [];
  for (const earlier of occurrences.slice(0, -1)) {
    const lost = flagTaints(earlier.value).filter((t) => !kept.has(t.identity));
    if (lost.length > 0) {
      warnings.push(
        `${flagPath(flags, earlier.index)}: ${show(earlier.flag)} is replaced by the later ${flagPath(flags, last.index)} (the kubelet keeps the last --register-with-taints), so ${registersWithout(lost)} ${expected}`,
      );
    }
  }
  const lost = configTaints(configured).filter((t) => !kept.has(t.identity));
  if (lost.length > 0) {
    warnings.push(
      `${flagPath(flags, last.index)}: ${show(last.flag)} replaces kubelet.config.registerWithTaints (the kubelet takes the flag over its config file), so ${registersWithout(lost)} ${expected}`,
    );
  }
  return warnings;
}

/**
 * A later NodeConfig document's `kubelet.config.registerWithTaints` replaces an earlier one's
 * (lists replace when documents merge, as in nodeadm): taints a tool wrote in its part (Karpenter's
 * NodePool taints and `karpenter.sh/unregistered`, in the part it puts first) are gone when a
 * user-data part lists its own. A warning per replacement that leaves taints out, naming them.
 */
export function registerTaintsMergeWarnings(documents: ReadonlyArray<{ where: string; kubeletConfig: unknown }>): string[] {
  const warnings: string[] = [];
  let current: { where: string; taints: NamedTaint[] } | undefined;
  for (const { where, kubeletConfig } of documents) {
    const list = (kubeletConfig as { registerWithTaints?: unknown } | undefined)?.registerWithTaints;
    if (!Array.isArray(list)) continue;
    const taints = configTaints(list);
    const kept = new Set(taints.map((t) => t.identity));
    const lost = current?.taints.filter((t) => !kept.has(t.identity)) ?? [];
    if (current && lost.length > 0) {
      warnings.push(
        `spec.kubelet.config.registerWithTaints of ${where} replaces the list of ${current.where} (a later document's list replaces an earlier one's), so ${registersWithout(lost)} (expected every taint in the later list)`,
      );
    }
    current = { where, taints };
  }
  return warnings;
}

/**
 * kubelet.config.registerWithTaints, as the API server judges the Node the kubelet registers
 * with them (it refuses the Node, so the node never joins): a key, a qualified name; a value,
 * a label value. The effect is an enum the field check already judges.
 */
export function configTaintProblems(taints: unknown): string[] {
  if (!Array.isArray(taints)) return [];
  const problems: string[] = [];
  taints.forEach((taint, i) => {
    if (typeof taint !== 'object' || taint === null) return;
    const { key, value } = taint as { key?: unknown; value?: unknown };
    const path = `spec.kubelet.config.registerWithTaints[${i}]`;
    if (key === undefined || key === '') problems.push(`${path}.key: required field is missing (expected e.g. "dedicated")`);
    else if (typeof key === 'string') {
      const why = keyProblem(key);
      if (why) problems.push(`${path}.key: ${show(key)} ${why}`);
    }
    if (typeof value === 'string' && valueProblem(value)) problems.push(`${path}.value: ${show(value)} ${VALUE_RULE}`);
    // the control plane stamps timeAdded on NoExecute taints; the kubelet refuses one in its config
    const { timeAdded } = taint as { timeAdded?: unknown };
    if (timeAdded !== undefined && timeAdded !== null)
      problems.push(`${path}.timeAdded: is set, and the kubelet stops at start for a registration taint with a time (expected no timeAdded)`);
  });
  return problems;
}
