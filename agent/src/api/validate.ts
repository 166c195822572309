import { flagPath } from './kubelet-flag-items.js';
import type { TomlTable } from 'smol-toml';
import { InputError } from '../errors.js';
import { loadCel } from './cel.js';
import { type Checked, checkCertificateAuthority, checkEndpoint, checkServiceCidr, isWrittenOutIp, type ServiceCidr } from './cluster-values.js';
import { compileMaxPodsExpression, type MaxPodsEvaluator } from './max-pods-expression.js';
import { show, suggest } from './problems.js';
import { checkKubeletConfigFields, evictionSignalProblem, KUBELET_INT32_MAX } from './kubelet-config-fields.js';
import {
  ignoredCipherSuiteAdvisories,
  kubeletConfigPairProblems,
  qosReservedAdvisories,
  relativePathAdvisories,
  takenAwayAdvisories,
} from './kubelet-config-rules.js';
import { unknownGateAdvisories } from './kubelet-feature-gates.js';
import {
  configTaintProblems,
  evictionFlagItems,
  kubeletFlagProblems,
  maxPodsFlags,
  type MaxPodsFlag,
  nodeIpAdvisories,
  removedFlagAdvisories,
  unknownFlagAdvisories,
} from './kubelet-flags.js';
import { type ClusterSpec, DISABLED_MOUNTS, KNOWN_FEATURE_GATES, type NodeConfig, type ResolvedNodeConfig } from './schema.js';
import { parseContainerdToml } from './toml.js';
import { removedInContainerd2 } from '../render/containerd-migrate.js';
import { isResolvedServer } from './nameserver.js';
import { PROXY_PROTOCOLS, proxyUrlText } from '../aws/proxy.js';
import { ENDPOINT_SWITCH_VARIABLES, isEndpointOverrideVariable, isEndpointUrl, variantSwitch } from '../aws/endpoint-variant.js';

/*
 * The one rule set for NodeConfig values. Every rule lives here once and reports every problem
 * at once, each naming its field path; what a rule parses (CIDR, CA, TOML, CEL, unit names) is
 * handed to render, which therefore judges nothing itself. `config check`, `render`, `init` and
 * `doctor` all call it, so they cannot disagree. Rules that only advise (unknown fields, a
 * maxPodsExpression that fails on this instance) are reported elsewhere: see README "Which
 * problems stop a boot".
 */

/** A search domain for systemd-resolved: DNS labels, optionally "~" (routing only), or "~." */
const SEARCH_DOMAIN = /^(~\.|~?(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)$/;
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;
/** The key of spec.instance.environment that means every service, not a unit named "default". */
export const DEFAULT_ENVIRONMENT_KEY = 'default';

/** Where a proxy variable is not a URL any reader takes. */
const NOT_A_PROXY_URL = 'is not a proxy URL (expected e.g. "http://proxy.corp.example:3128", or "socks5://proxy.corp.example:1080")';

function isProxyUrl(value: string): boolean {
  try {
    const url = new URL(proxyUrlText(value));
    return PROXY_PROTOCOLS.has(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

export const CLUSTER_FIELDS_FROM_API = ['apiServerEndpoint', 'certificateAuthority', 'cidr'] as const;
export type FetchedClusterField = (typeof CLUSTER_FIELDS_FROM_API)[number];

/** Cluster fields the user data leaves out (absent, null or ""), which come from EKS. */
export function missingClusterFields(cluster: ClusterSpec | undefined): FetchedClusterField[] {
  return CLUSTER_FIELDS_FROM_API.filter((field) => !cluster?.[field]);
}

/** EKS cluster names: 1-100 characters, alphanumerics, hyphens and underscores, starting alphanumeric. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
/**
 * One kubelet argument: kubelet.service expands the unbraced $KUBELET_ARGS, which systemd splits
 * at whitespace, so a value holding any space (NBSP included), tab or control character would
 * become several arguments.
 */
const FLAG = /^--[A-Za-z0-9][A-Za-z0-9-]*(=[^\s\u0000-\u001f\u007f-\u009f]*)?$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;
const UNIT_STEM = /^[A-Za-z0-9_@:-][A-Za-z0-9_@:.\\-]*$/;
const OTHER_UNIT_TYPES = /\.(socket|timer|mount|path|target|slice|scope|device|swap|automount)$/;
/** systemd's unit name limit is 255 bytes; the drop-in directory `<unit>.d` must fit a file name too. */
const MAX_UNIT_NAME = 253;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_PODS_FIELD = 'spec.kubelet.config.maxPods';

/** The per-unit environment with each key resolved to its service unit. */
export interface UnitEnvironment {
  /** e.g. kubelet.service */
  unit: string;
  /** the NodeConfig key, e.g. "kubelet" */
  key: string;
  variables: Array<{ name: string; value: string }>;
}

/** What the rules parsed, for render: each value judged once, here. */
export interface ParsedConfig {
  apiServerEndpoint: string;
  /** the CA bundle as PEM */
  caPem: string;
  serviceCidr: ServiceCidr;
  /** the user's containerd TOML as a table (integers as BigInt) */
  containerdToml?: TomlTable;
  maxPodsExpression?: MaxPodsEvaluator;
  /** the kubelet's max pods from a `--max-pods=N` in spec.kubelet.flags (the last one, as the kubelet takes it) */
  maxPodsFlag?: MaxPodsFlag;
  unitEnvironments: UnitEnvironment[];
  /** spec.instance.environment.default: every service's environment (DefaultEnvironment=) */
  defaultEnvironment: UnitEnvironment['variables'];
}

/**
 * spec.instance.environment as the rules read it: every service's variables (`default`) and each
 * unit's, keys resolved to unit names and variables sorted by name, without the variables (or
 * keys) that break a rule, which `problems` names (never a value: it may be a secret).
 */
export function instanceEnvironments(environment: Record<string, Record<string, string> | undefined>): {
  defaultEnvironment: UnitEnvironment['variables'];
  unitEnvironments: UnitEnvironment[];
  problems: string[];
} {
  const problems: string[] = [];
  const add = (path: string, value: unknown, reason: string) => problems.push(`${path}: ${show(value)} ${reason}`);
  let defaultEnvironment: UnitEnvironment['variables'] = [];
  const unitEnvironments: UnitEnvironment[] = [];
  const units = new Map<string, string>();
  for (const key of Object.keys(environment).sort()) {
    const path = `spec.instance.environment.${key}`;
    const isDefault = key === DEFAULT_ENVIRONMENT_KEY;
    const unit: Checked<string> = isDefault ? { value: '' } : serviceUnitName(key);
    if ('reason' in unit) {
      add('spec.instance.environment', key, unit.reason);
      continue;
    }
    const other = units.get(unit.value);
    if (other !== undefined) {
      problems.push(`${path}: names ${unit.value} as "${other}" does (expected one key per unit)`);
      continue;
    }
    if (!isDefault) units.set(unit.value, key);
    const variables: UnitEnvironment['variables'] = [];
    const vars = environment[key] ?? {};
    for (const name of Object.keys(vars).sort()) {
      const value = vars[name] ?? '';
      // Values may be secrets (proxy passwords): messages name the variable, never the value.
      if (!ENV_NAME.test(name))
        add(`${path}.${name}`, name, 'is not an environment variable name (expected letters, digits and "_", not starting with a digit)');
      else if (CONTROL.test(value))
        problems.push(`${path}.${name}: the value contains a line break or control character (expected a single-line value; not shown, it may be secret)`);
      else variables.push({ name, value });
    }
    if (isDefault) defaultEnvironment = variables;
    else if (variables.length > 0) unitEnvironments.push({ unit: unit.value, key, variables });
  }
  return { defaultEnvironment, unitEnvironments, problems };
}

/** The service unit a `spec.instance.environment` key names, or why it names none. */
export function serviceUnitName(key: string): Checked<string> {
  const name = key.endsWith('.service') ? key : `${key}.service`;
  const stem = name.slice(0, -'.service'.length);
  if (!UNIT_STEM.test(stem) || stem.includes('..') || OTHER_UNIT_TYPES.test(stem)) {
    return { reason: 'is not a service unit name (expected e.g. "kubelet" or "containerd.service")' };
  }
  if (name.length > MAX_UNIT_NAME) return { reason: `is longer than a unit name may be (${name.length} characters, at most ${MAX_UNIT_NAME})` };
  return { value: name };
}

interface Collected {
  problems: string[];
  parsed: Partial<ParsedConfig>;
}

/** Rules for the cluster values, wherever they came from; `label` names a field in messages. */
export function checkClusterValues(
  cluster: Partial<Record<FetchedClusterField, string>>,
  label: (field: FetchedClusterField) => string = (f) => `spec.cluster.${f}`,
): Collected {
  const problems: string[] = [];
  const parsed: Partial<ParsedConfig> = {};
  const take = <T>(field: FetchedClusterField, value: string | undefined, check: (v: string) => Checked<T>, set: (v: T) => void) => {
    if (!value) return;
    const r = check(value);
    if ('reason' in r) problems.push(`${label(field)}: ${show(value)} ${r.reason}`);
    else set(r.value);
  };
  take('apiServerEndpoint', cluster.apiServerEndpoint, checkEndpoint, (v) => (parsed.apiServerEndpoint = v));
  take('certificateAuthority', cluster.certificateAuthority, checkCertificateAuthority, (v) => (parsed.caPem = v));
  take('cidr', cluster.cidr, checkServiceCidr, (v) => (parsed.serviceCidr = v));
  return { problems, parsed };
}

function collect(config: NodeConfig): Collected {
  const spec = config.spec ?? {};
  const cluster = spec.cluster ?? {};
  const problems: string[] = [];
  const add = (path: string, value: unknown, reason: string) => problems.push(`${path}: ${show(value)} ${reason}`);

  if (!cluster.name) problems.push('spec.cluster.name: required field is missing (expected the EKS cluster name)');
  else if (!CLUSTER_NAME.test(cluster.name)) {
    add('spec.cluster.name', cluster.name, 'is not a valid EKS cluster name (expected 1-100 letters, digits, "-" or "_", starting with a letter or digit)');
  }
  const values = checkClusterValues(cluster);
  problems.push(...values.problems);
  const parsed = values.parsed;
  if (cluster.enableOutpost && !cluster.id) {
    problems.push('spec.cluster.id: required when spec.cluster.enableOutpost is true (expected the Outpost cluster id)');
  }

  (spec.kubelet?.flags ?? []).forEach((flag, i, flags) => {
    const path = flagPath(flags, i);
    if (FLAG.test(flag)) {
      problems.push(...kubeletFlagProblems(flag, path));
      return;
    }
    if (/^--[A-Za-z0-9][A-Za-z0-9-]*=/.test(flag) && SPACE_OR_CONTROL.test(flag)) {
      add(path, flag, 'contains whitespace or a control character (expected one flag per item without spaces, e.g. "--node-labels=team=a,tier=b")');
    } else add(path, flag, 'is not a kubelet flag (expected "--name=value" or "--name")');
  });
  // The kubelet parses every occurrence (one it cannot read stops it), then keeps the last.
  const podsFlags = maxPodsFlags(spec.kubelet?.flags);
  for (const f of podsFlags) {
    if (FLAG.test(f.flag) && f.value === undefined) {
      add(f.path, f.flag, `does not set a usable max pods (expected a whole number from 1 to ${KUBELET_INT32_MAX}, e.g. "--max-pods=110")`);
    }
  }
  const podsFlag = podsFlags.at(-1);
  if (podsFlag?.value !== undefined) parsed.maxPodsFlag = podsFlag;
  const maxPods = spec.kubelet?.config?.maxPods;
  if (maxPods !== undefined && !(typeof maxPods === 'number' && Number.isSafeInteger(maxPods) && maxPods > 0)) {
    add(MAX_PODS_FIELD, maxPods, 'is not a positive integer (expected e.g. 58)');
  } else if (typeof maxPods === 'number' && maxPods > KUBELET_INT32_MAX) {
    add(MAX_PODS_FIELD, maxPods, `is more than the kubelet's maxPods holds (expected at most ${KUBELET_INT32_MAX}, e.g. 58)`);
  }
  const kubeletConfig = spec.kubelet?.config;
  if (kubeletConfig) {
    for (const p of checkKubeletConfigFields(kubeletConfig)) if (p.severity === 'error') problems.push(p.message);
    for (const p of kubeletConfigPairProblems(kubeletConfig, spec.kubelet?.flags)) problems.push(p.message);
    problems.push(...configTaintProblems(kubeletConfig.registerWithTaints));
  }
  const expression = spec.kubelet?.maxPodsExpression;
  if (expression !== undefined) {
    try {
      parsed.maxPodsExpression = compileMaxPodsExpression(expression);
    } catch (err) {
      problems.push(...(err instanceof InputError ? err.problems : [String(err)]));
    }
  }

  if (spec.containerd?.config !== undefined && spec.containerd.config.trim() !== '') {
    try {
      parsed.containerdToml = parseContainerdToml(spec.containerd.config);
    } catch (err) {
      problems.push(...(err instanceof InputError ? err.problems : [String(err)]));
    }
  }

  const environments = instanceEnvironments(spec.instance?.environment ?? {});
  problems.push(...environments.problems);
  parsed.unitEnvironments = environments.unitEnvironments;
  parsed.defaultEnvironment = environments.defaultEnvironment;

  (spec.instance?.network?.nameservers ?? []).forEach((ns, i) => {
    if (!isResolvedServer(ns)) {
      add(
        `spec.instance.network.nameservers[${i}]`,
        ns,
        'is not a DNS server address (expected an IP address, e.g. "10.0.0.2" or "fd00:ec2::253", with an optional ":port" ("[IPv6]:port"), "%interface" and "#server-name")',
      );
    }
  });
  (spec.instance?.network?.domains ?? []).forEach((domain, i) => {
    if (!SEARCH_DOMAIN.test(domain) || domain.length > 254) {
      add(`spec.instance.network.domains[${i}]`, domain, 'is not a DNS domain (expected e.g. "corp.example", or "~corp.example" to route only its queries)');
    }
  });
  for (const name of PROXY_VARIABLES) {
    const value = spec.instance?.environment?.default?.[name];
    // The value is not shown: proxy URLs often carry a password.
    if (value !== undefined && value !== '' && !isProxyUrl(value)) {
      problems.push(`spec.instance.environment.default.${name}: ${NOT_A_PROXY_URL}`);
    }
  }
  const mountPath = spec.instance?.localStorage?.mountPath;
  if (mountPath !== undefined && !mountPath.startsWith('/')) add('spec.instance.localStorage.mountPath', mountPath, 'is not an absolute path');
  return { problems, parsed };
}

/** Every problem of a merged NodeConfig (cluster fields may still be missing: they are fetched). */
export async function validateNodeConfig(config: NodeConfig): Promise<string[]> {
  if (config.spec?.kubelet?.maxPodsExpression !== undefined) await loadCel();
  return collect(config).problems;
}

/**
 * The parsed values render needs, from a NodeConfig whose cluster section is complete; throws
 * InputError listing every problem. Synchronous: a config with a maxPodsExpression needs
 * `loadCel()` first, which validateNodeConfig does.
 */
export function parseResolvedConfig(config: ResolvedNodeConfig): ParsedConfig {
  const { problems, parsed } = collect(config as NodeConfig);
  if (problems.length > 0) throw new InputError(problems);
  return parsed as ParsedConfig;
}

/** Signals in eviction flags that the kubelet does not know: advisory, as in kubelet.config. */
function evictionFlagSignalProblems(flags: readonly string[] | undefined): string[] {
  return evictionFlagItems(flags).flatMap(({ name, index, key, value }) => {
    // an item without its separator is an error of its own (kubelet-flags.ts)
    const why = value === undefined ? undefined : evictionSignalProblem(key);
    return why ? [`${flagPath(flags, index)}: ${show(key)} in ${name} ${why}`] : [];
  });
}

/**
 * Keys of a containerd 1.x (version 2) TOML that containerd 2.0 removed: a containerd 1.7 node
 * takes them, a containerd 2 node cannot (render refuses them there), and which one boots the
 * user data is not known here. A TOML that does not parse is the field check's error.
 */
function containerd2Advisories(toml: string | undefined): string[] {
  if (toml === undefined || toml.trim() === '') return [];
  let tree: TomlTable;
  try {
    tree = parseContainerdToml(toml);
  } catch {
    return [];
  }
  return removedInContainerd2(tree).map(
    ({ key, instead }) =>
      `spec.containerd.config: ${key} was removed in containerd 2.0: a containerd 1.7 node takes it, a containerd 2 node refuses the config (write ${instead})`,
  );
}

/**
 * Names the agent does not know where nodeadm ignores them: a feature gate or a disabled mount
 * that a newer tool writes for a newer nodeadm has nothing to turn on or off here, and must not
 * keep a fleet's nodes from joining; a misspelt one is the more likely mistake, so `config check`
 * refuses it, with a suggestion.
 */
function unknownNameAdvisories(config: NodeConfig): string[] {
  const problems: string[] = [];
  const expected = (name: string, known: readonly string[]) => {
    const hint = suggest(name, known);
    return hint ? `did you mean "${hint}"?` : `expected one of ${known.join(', ')}`;
  };
  for (const gate of Object.keys(config.spec?.featureGates ?? {})) {
    if ((KNOWN_FEATURE_GATES as readonly string[]).includes(gate)) continue;
    problems.push(`spec.featureGates: ${show(gate)} is not a feature gate the agent knows, and has no effect (${expected(gate, KNOWN_FEATURE_GATES)})`);
  }
  (config.spec?.instance?.localStorage?.disabledMounts ?? []).forEach((mount, i) => {
    if ((DISABLED_MOUNTS as readonly string[]).includes(mount)) return;
    problems.push(
      `spec.instance.localStorage.disabledMounts[${i}]: ${show(mount)} is not a directory local storage moves onto the disks, and has no effect (${expected(mount, DISABLED_MOUNTS)})`,
    );
  });
  return problems;
}

/** Variables of the default environment that name a CA bundle file (the agent reads both, as do OpenSSL and the AWS CLI). */
const CA_BUNDLE_VARIABLES = ['AWS_CA_BUNDLE', 'SSL_CERT_FILE'] as const;

/**
 * Problems that only advise, from the merged config: KubeletConfiguration field names,
 * eviction signals (in kubelet.config or eviction flags) and feature gates (in featureGates or
 * --feature-gates) and kubelet flag names the agent's lists lack (a newer kubelet may know them,
 * so the fragment and flags are written as given); a
 * clusterDNS entry or --node-ip item that is not an IP address (the kubelet starts without it); a kubelet flag
 * removed before every kubelet the image runs (a boot leaves it out); a relative path in one of
 * the kubelet's path fields (which file it names depends on the kubelet); a CA
 * bundle named by a relative path (each program reads it from its own working directory, `/` for
 * the node's services, so a boot goes on and finds it there or warns again when it reads it).
 */
export function advisoryProblems(config: NodeConfig): string[] {
  const problems: string[] = [];
  const kubeletConfig = config.spec?.kubelet?.config;
  if (kubeletConfig) {
    for (const p of checkKubeletConfigFields(kubeletConfig)) if (p.severity === 'advisory') problems.push(p.message);
  }
  problems.push(...evictionFlagSignalProblems(config.spec?.kubelet?.flags));
  problems.push(...unknownGateAdvisories(kubeletConfig, config.spec?.kubelet?.flags));
  problems.push(...removedFlagAdvisories(config.spec?.kubelet?.flags));
  problems.push(...unknownFlagAdvisories(config.spec?.kubelet?.flags));
  problems.push(...nodeIpAdvisories(config.spec?.kubelet?.flags));
  problems.push(...takenAwayAdvisories(kubeletConfig, config.spec?.kubelet?.flags));
  problems.push(...ignoredCipherSuiteAdvisories(kubeletConfig, config.spec?.kubelet?.flags));
  problems.push(...relativePathAdvisories(kubeletConfig, config.spec?.kubelet?.flags));
  problems.push(...qosReservedAdvisories(kubeletConfig, config.spec?.kubelet?.flags));
  // The kubelet skips a clusterDNS entry that is not an IP address (it logs it and starts), so
  // pods may get no cluster DNS: a mistake, but not one that keeps a node from joining.
  const clusterDns = kubeletConfig?.clusterDNS;
  if (Array.isArray(clusterDns)) {
    clusterDns.forEach((entry, i) => {
      if (typeof entry !== 'string') return; // the field check refuses it
      if (!isWrittenOutIp(entry))
        problems.push(
          `spec.kubelet.config.clusterDNS[${i}]: ${show(entry)} is not an IP address, and the kubelet ignores it (expected e.g. "10.100.0.10" or "169.254.20.10")`,
        );
    });
  }
  problems.push(...containerd2Advisories(config.spec?.containerd?.config));
  problems.push(...unknownNameAdvisories(config));
  problems.push(...awsEndpointAdvisories(config));
  const defaults = config.spec?.instance?.environment?.[DEFAULT_ENVIRONMENT_KEY];
  for (const name of CA_BUNDLE_VARIABLES) {
    const value = defaults?.[name]?.trim();
    if (value && !value.startsWith('/')) {
      problems.push(
        `spec.instance.environment.default.${name}: ${show(value)} is not an absolute path (each program would read it from its own working directory; expected e.g. "/etc/pki/tls/certs/ca-bundle.crt")`,
      );
    }
  }
  problems.push(...proxyUrlAdvisories(config));
  return problems;
}

/**
 * AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS with a value other than true or false (in
 * any case): the AWS SDK for Go refuses to load its configuration at all with one, so a Go program
 * given it (the kubelet's ecr-credential-provider) makes no AWS call; and an endpoint override
 * (AWS_ENDPOINT_URL[_<SERVICE>]) that is no http or https URL, which fails each call it overrides.
 * The agent's own calls pass either over. Advisory: the boot goes on and writes the value as given.
 */
function awsEndpointAdvisories(config: NodeConfig): string[] {
  const problems: string[] = [];
  for (const [key, variables] of Object.entries(config.spec?.instance?.environment ?? {})) {
    const agentPasses = key === DEFAULT_ENVIRONMENT_KEY ? ", and the agent's own calls pass it over" : '';
    for (const name of ENDPOINT_SWITCH_VARIABLES) {
      const value = variables?.[name];
      if (variantSwitch(value) !== 'invalid') continue;
      problems.push(
        `spec.instance.environment.${key}.${name}: ${show(value)} is neither true nor false: programs built with the AWS SDK for Go that get it (the kubelet's ecr-credential-provider among them) refuse to load their AWS configuration${agentPasses} (expected "true" or "false")`,
      );
    }
    // an endpoint override (AWS_ENDPOINT_URL, or a service's own, AWS_ENDPOINT_URL_EKS) that is no URL
    for (const [name, value] of Object.entries(variables ?? {})) {
      if (!isEndpointOverrideVariable(name) || value.trim() === '' || isEndpointUrl(value.trim())) continue;
      problems.push(
        `spec.instance.environment.${key}.${name}: ${show(value)} is not an http or https URL: an AWS SDK given it fails each call it overrides${agentPasses} (expected e.g. "https://vpce-0123456789abcdef0-abcdefgh.eks.us-west-2.vpce.amazonaws.com")`,
      );
    }
  }
  return problems;
}

/** The characters Go's URL parser takes in a URL's user:password (RFC 3986's, with `@`); `%` starts an escape. */
const GO_USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

/**
 * Proxy URLs the agent's own calls read one way and the kubelet and containerd (Go) another, or
 * not at all: a character in the user:password that Go refuses (a space, a quote, a backslash:
 * Go then sends no request through the proxy, so the node never joins, while the agent's calls
 * get through), and a path, which every reader ignores (`http//proxy:3128`, a scheme without its
 * colon, sends requests to a host named "http"). Advisory, as a boot goes on and writes the value
 * as given. Every key's variables are judged (default's malformed URLs are errors above; a unit's,
 * advised here). Values are never shown: they may hold passwords.
 */
function proxyUrlAdvisories(config: NodeConfig): string[] {
  const problems: string[] = [];
  for (const [key, variables] of Object.entries(config.spec?.instance?.environment ?? {})) {
    for (const name of ['NO_PROXY', 'no_proxy']) {
      // Go splits NO_PROXY at commas alone and trims each entry; the agent's own calls split at spaces too
      const joined = (variables?.[name] ?? '').split(',').find((entry) => /\S\s+\S/.test(entry.trim()));
      if (joined !== undefined) {
        problems.push(
          `spec.instance.environment.${key}.${name}: ${show(joined.trim())} is one entry to the kubelet and containerd, which split NO_PROXY at commas alone, so they match none of its names (separate them with commas)`,
        );
      }
    }
    for (const name of PROXY_VARIABLES) {
      const value = variables?.[name]?.trim();
      if (!value) continue;
      const at = `spec.instance.environment.${key}.${name}`;
      if (!isProxyUrl(value)) {
        // default's is an error (collect); a unit's, advised
        if (key !== DEFAULT_ENVIRONMENT_KEY) problems.push(`${at}: ${NOT_A_PROXY_URL}`);
        continue;
      }
      const text = proxyUrlText(value);
      if (/^socks5h:/i.test(text)) {
        problems.push(
          `${at}: socks5h:// is read by Go releases from before its support (a kubelet or containerd built with one) as an HTTP proxy whose host is "socks5h"; socks5:// means the same to every Go release, which sends the target's name for the proxy to resolve either way (write socks5://)`,
        );
      }
      const authority = text.slice(text.indexOf('://') + 3).split(/[/?#]/, 1)[0]!;
      const userinfo = authority.includes('@') ? authority.slice(0, authority.lastIndexOf('@')) : '';
      if (!GO_USERINFO.test(userinfo)) {
        problems.push(
          `${at}: its user:password holds a character Go's URL parser refuses (a space, a quote, a backslash or another outside RFC 3986), so the kubelet and containerd send nothing through this proxy while the agent's own calls do (percent-encode it: %20 for a space, %22 for a quote)`,
        );
      }
      const url = new URL(text);
      if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '') {
        problems.push(
          `${at}: has a path or query after the host, which every program ignores: requests go to the host ${show(url.hostname)}${/^https?$/i.test(url.hostname) ? ' (a scheme missing its colon, "http//"?)' : ''} (expected "http://host:port")`,
        );
      }
    }
  }
  return problems;
}
