import { X509Certificate } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { KNOWN_FEATURE_GATES, type ClusterSpec, type NodeConfig } from './schema.js';
import { parseContainerdToml } from './merge.js';
import { show, suggest } from './problems.js';
import { InputError } from '../errors.js';

/** EKS cluster names: 1-100 characters, alphanumerics, hyphens and underscores, starting alphanumeric. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const FLAG = /^--[A-Za-z0-9][A-Za-z0-9-]*(=.*)?$/;
const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9:_.@\\-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export const CLUSTER_FIELDS_FROM_API = ['apiServerEndpoint', 'certificateAuthority', 'cidr'] as const;
export type FetchedClusterField = (typeof CLUSTER_FIELDS_FROM_API)[number];

/** Cluster fields the user data leaves out, which init fetches with eks:DescribeCluster. */
export function missingClusterFields(cluster: ClusterSpec | undefined): FetchedClusterField[] {
  return CLUSTER_FIELDS_FROM_API.filter((field) => !cluster?.[field]);
}

/** Decodes the base64 CA bundle into PEM certificates, or says why it cannot. */
export function decodeCertificateAuthority(value: string): { pem: string; certificates: X509Certificate[] } | string {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) return 'is not base64';
  const pem = Buffer.from(compact, 'base64').toString('utf8');
  const blocks = pem.match(PEM_CERT);
  if (!blocks) return 'is base64 but holds no PEM certificate (expected base64 of "-----BEGIN CERTIFICATE-----...")';
  const certificates: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      return `holds a PEM block that is not a valid X.509 certificate (certificate ${i + 1})`;
    }
  }
  return { pem, certificates };
}

export function checkCidr(value: string): string | undefined {
  const address = value.split('/')[0] ?? '';
  // ipaddr.js also takes the old short IPv4 forms ("10.100.0/16"); a service CIDR has four parts.
  const fourParts = address.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!ipaddr.isValidCIDR(value) || !fourParts) return 'is not a valid CIDR (expected e.g. "10.100.0.0/16" or "fd00::/108")';
  return undefined;
}

function checkEndpoint(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL (expected e.g. "https://ABCD.gr7.us-west-2.eks.amazonaws.com")';
  }
  if (url.protocol !== 'https:') return `uses ${url.protocol.replace(':', '')}:// (expected an https:// URL)`;
  if (!url.hostname) return 'has no host';
  return undefined;
}

/**
 * Semantic checks of a merged NodeConfig; every problem found, each naming its field path.
 * Checks owned elsewhere (the CEL compiler of maxPodsExpression) are added by loadConfig.
 */
export function validateNodeConfig(config: NodeConfig): string[] {
  const problems: string[] = [];
  const add = (path: string, value: unknown, reason: string) => problems.push(`${path}: ${show(value)} ${reason}`);
  const spec = config.spec ?? {};
  const cluster = spec.cluster ?? {};

  if (!cluster.name) problems.push('spec.cluster.name: required field is missing (expected the EKS cluster name)');
  else if (!CLUSTER_NAME.test(cluster.name)) {
    add('spec.cluster.name', cluster.name, 'is not a valid EKS cluster name (expected 1-100 letters, digits, "-" or "_", starting with a letter or digit)');
  }
  if (cluster.apiServerEndpoint !== undefined) {
    const reason = checkEndpoint(cluster.apiServerEndpoint);
    if (reason) add('spec.cluster.apiServerEndpoint', cluster.apiServerEndpoint, reason);
  }
  if (cluster.certificateAuthority !== undefined) {
    const decoded = decodeCertificateAuthority(cluster.certificateAuthority);
    if (typeof decoded === 'string') add('spec.cluster.certificateAuthority', cluster.certificateAuthority, decoded);
  }
  if (cluster.cidr !== undefined) {
    const reason = checkCidr(cluster.cidr);
    if (reason) add('spec.cluster.cidr', cluster.cidr, reason);
  }
  if (cluster.enableOutpost && !cluster.id) {
    problems.push('spec.cluster.id: required when spec.cluster.enableOutpost is true (expected the Outpost cluster id)');
  }

  (spec.kubelet?.flags ?? []).forEach((flag, i) => {
    if (/[\r\n\0]/.test(flag)) add(`spec.kubelet.flags[${i}]`, flag, 'contains a line break (expected one "--name=value" per entry)');
    else if (!FLAG.test(flag)) add(`spec.kubelet.flags[${i}]`, flag, 'is not a kubelet flag (expected "--name=value" or "--name")');
  });
  const maxPods = spec.kubelet?.config?.maxPods;
  if (maxPods !== undefined && !(Number.isInteger(maxPods) && (maxPods as number) > 0)) {
    add('spec.kubelet.config.maxPods', maxPods, 'is not a positive integer');
  }

  if (spec.containerd?.config !== undefined) {
    try {
      parseContainerdToml(spec.containerd.config);
    } catch (err) {
      problems.push(err instanceof InputError ? err.message : String(err));
    }
  }

  for (const [unit, vars] of Object.entries(spec.instance?.environment ?? {})) {
    if (!UNIT_NAME.test(unit)) add(`spec.instance.environment`, unit, 'is not a systemd unit name (expected e.g. "kubelet")');
    for (const [name, value] of Object.entries(vars)) {
      const path = `spec.instance.environment.${unit}.${name}`;
      if (!ENV_NAME.test(name)) add(path, name, 'is not an environment variable name (expected letters, digits and "_")');
      if (/[\r\n\0]/.test(value)) add(path, value, 'contains a line break (not allowed in a systemd environment value)');
    }
  }
  (spec.instance?.network?.nameservers ?? []).forEach((ns, i) => {
    if (!ipaddr.isValid(ns)) add(`spec.instance.network.nameservers[${i}]`, ns, 'is not an IP address');
  });
  const mountPath = spec.instance?.localStorage?.mountPath;
  if (mountPath !== undefined && !mountPath.startsWith('/')) {
    add('spec.instance.localStorage.mountPath', mountPath, 'is not an absolute path');
  }

  for (const gate of Object.keys(spec.featureGates ?? {})) {
    if (!(KNOWN_FEATURE_GATES as readonly string[]).includes(gate)) {
      const hint = suggest(gate, KNOWN_FEATURE_GATES);
      add(`spec.featureGates`, gate, `is not a known feature gate (expected ${hint ? `"${hint}"` : `one of ${KNOWN_FEATURE_GATES.join(', ')}`})`);
    }
  }
  return problems;
}

/**
 * Fields the API accepts (user data written for other nodes must keep working) but this agent
 * does not act on yet, named so a user is never left believing they took effect.
 */
export function unappliedFields(config: NodeConfig): string[] {
  const spec = config.spec ?? {};
  const notes: string[] = [];
  if (spec.instance?.localStorage) notes.push('spec.instance.localStorage is accepted but not applied yet: instance-store disks are left as they are');
  if (spec.instance?.network) notes.push('spec.instance.network is accepted but not applied yet: the resolver configuration is left as it is');
  if (spec.featureGates?.FastImagePull !== undefined) notes.push('spec.featureGates.FastImagePull is accepted but has no effect yet');
  return notes;
}
