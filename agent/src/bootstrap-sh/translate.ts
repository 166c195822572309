import { isIPv4, isIPv6 } from 'node:net';
import { API_VERSION, KIND, type NodeConfig } from '../api/schema.js';
import { InputError } from '../errors.js';
import { translateKubeletArgs } from './kubelet-args.js';

/**
 * The AL2 `/etc/eks/bootstrap.sh <cluster-name> [options]` interface, translated to a NodeConfig.
 * Pure: the caller reads `--containerd-config-file` (readFile) and decides which environment
 * applies. bootstrap.sh took each option as `--name value` and also read the same settings from
 * environment variables when the option was absent (the Terraform EKS module exports
 * SERVICE_IPV4_CIDR that way), so `env` is consulted the same way.
 */

export interface TranslateDeps {
  /** the environment bootstrap.sh would have seen; empty for an offline translation */
  env?: Readonly<Record<string, string | undefined>>;
  /** contents of --containerd-config-file; throws when unreadable */
  readFile?: (path: string) => string;
}

export interface Translation {
  config: NodeConfig;
  /** options accepted but without effect on this image, each naming the option */
  warnings: string[];
}

/** option -> environment variable bootstrap.sh defaulted it from */
const OPTIONS: Readonly<Record<string, string>> = {
  '--use-max-pods': 'USE_MAX_PODS',
  '--b64-cluster-ca': 'B64_CLUSTER_CA',
  '--apiserver-endpoint': 'APISERVER_ENDPOINT',
  '--kubelet-extra-args': 'KUBELET_EXTRA_ARGS',
  '--enable-docker-bridge': 'ENABLE_DOCKER_BRIDGE',
  '--aws-api-retry-attempts': 'API_RETRY_ATTEMPTS',
  '--docker-config-json': 'DOCKER_CONFIG_JSON',
  '--containerd-config-file': 'CONTAINERD_CONFIG_FILE',
  '--pause-container-account': 'PAUSE_CONTAINER_ACCOUNT',
  '--pause-container-version': 'PAUSE_CONTAINER_VERSION',
  '--dns-cluster-ip': 'DNS_CLUSTER_IP',
  '--container-runtime': 'CONTAINER_RUNTIME',
  '--ip-family': 'IP_FAMILY',
  '--service-ipv4-cidr': 'SERVICE_IPV4_CIDR',
  '--service-ipv6-cidr': 'SERVICE_IPV6_CIDR',
  '--enable-local-outpost': 'ENABLE_LOCAL_OUTPOST',
  '--cluster-id': 'CLUSTER_ID',
  '--mount-bpf-fs': 'MOUNT_BPF_FS',
  '--local-disks': 'LOCAL_DISKS',
};

export const BOOTSTRAP_OPTIONS = Object.keys(OPTIONS);

const LOCAL_DISKS: Readonly<Record<string, 'RAID0' | 'RAID10' | 'Mount'>> = { raid0: 'RAID0', raid10: 'RAID10', mount: 'Mount' };

/** bootstrap.sh wrote its pause image into the AMI's containerd template in place of this word. */
const SANDBOX_PLACEHOLDER = /^\s*sandbox_image\s*=\s*"SANDBOX_IMAGE"\s*$/gm;

export function translateBootstrapArgs(args: readonly string[], deps: TranslateDeps = {}): Translation {
  const problems: string[] = [];
  const warnings: string[] = [];
  const given = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') {
      problems.push(`${arg}: bootstrap.sh printed its help and exited 1; see 'eks-node-agent config from-bootstrap --help'`);
    } else if (arg in OPTIONS) {
      const value = args[i + 1];
      if (value === undefined) problems.push(`${arg}: needs a value`);
      else given.set(arg, value);
      i++;
    } else if (arg.startsWith('-')) {
      // bootstrap.sh kept unknown options as positional arguments and never read them
      warnings.push(`${arg}: not a bootstrap.sh option, ignored (as bootstrap.sh did)`);
    } else {
      positional.push(arg);
    }
  }
  // bootstrap.sh read every setting as ${VAR:-default}: an empty value is no value
  const opt = (name: string): string | undefined => given.get(name) || deps.env?.[OPTIONS[name] as string] || undefined;

  const name = positional[0];
  if (name === undefined) problems.push('cluster name: required as the first argument that is not an option (bootstrap.sh <cluster-name> [options])');
  for (const extra of positional.slice(1)) warnings.push(`${JSON.stringify(extra)}: extra argument after the cluster name, ignored (as bootstrap.sh did)`);

  const cluster: NonNullable<NonNullable<NodeConfig['spec']>['cluster']> = { ...(name !== undefined ? { name } : {}) };
  const kubeletConfig: Record<string, unknown> = {};
  const flags: string[] = [];
  const spec: NonNullable<NodeConfig['spec']> = {};

  const endpoint = opt('--apiserver-endpoint');
  if (endpoint) cluster.apiServerEndpoint = endpoint;
  const ca = opt('--b64-cluster-ca');
  if (ca) cluster.certificateAuthority = ca;

  const runtime = opt('--container-runtime');
  if (runtime !== undefined && runtime !== 'containerd') {
    problems.push(`--container-runtime: ${JSON.stringify(runtime)} is not supported (expected containerd, the only runtime for Kubernetes 1.24 and later)`);
  }

  // The IP family follows the service CIDR; --ip-family only checks that they agree.
  const familyRaw = opt('--ip-family');
  const family = familyRaw?.toLowerCase();
  if (family !== undefined && family !== 'ipv4' && family !== 'ipv6') {
    problems.push(`--ip-family: ${JSON.stringify(familyRaw)} is not allowed (expected ipv4 or ipv6)`);
  }
  const v4 = opt('--service-ipv4-cidr');
  const v6 = opt('--service-ipv6-cidr');
  if (v6 !== undefined) {
    if (family === 'ipv4') problems.push(`--service-ipv6-cidr: given with --ip-family ipv4 (expected --ip-family ipv6, or no --service-ipv6-cidr)`);
    cluster.cidr = v6;
  } else if (v4 !== undefined) {
    if (family === 'ipv6') problems.push(`--ip-family: ipv6 needs --service-ipv6-cidr (only --service-ipv4-cidr was given)`);
    cluster.cidr = v4;
  } else if (family === 'ipv6') {
    warnings.push('--ip-family ipv6: the family follows the cluster service CIDR from eks:DescribeCluster');
  }

  const dns = opt('--dns-cluster-ip');
  if (dns !== undefined) {
    const ips = dns
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = ips.filter((ip) => !isIPv4(ip) && !isIPv6(ip));
    if (ips.length === 0 || bad.length) problems.push(`--dns-cluster-ip: ${JSON.stringify(dns)} is not a comma-separated list of IP addresses`);
    else kubeletConfig.clusterDNS = ips;
  }

  const outpost = opt('--enable-local-outpost');
  if (outpost === 'true') cluster.enableOutpost = true;
  else if (outpost === 'false') cluster.enableOutpost = false;
  else if (outpost !== undefined) problems.push(`--enable-local-outpost: ${JSON.stringify(outpost)} is not allowed (expected true or false)`);
  const clusterId = opt('--cluster-id');
  if (clusterId) cluster.id = clusterId;

  const disks = opt('--local-disks');
  if (disks !== undefined) {
    const strategy = LOCAL_DISKS[disks];
    if (strategy) spec.instance = { localStorage: { strategy } };
    else problems.push(`--local-disks: ${JSON.stringify(disks)} is not allowed (expected mount, raid0 or raid10)`);
  }

  const extra = opt('--kubelet-extra-args');
  let extraMaxPods = false;
  if (extra !== undefined) {
    const k = translateKubeletArgs(extra);
    problems.push(...k.problems);
    warnings.push(...k.warnings);
    Object.assign(kubeletConfig, k.config);
    flags.push(...k.flags);
    extraMaxPods = k.config.maxPods !== undefined;
  }
  // bootstrap.sh set maxPods from its ENI table unless told not to; kubelet's own default is 110.
  const useMaxPods = opt('--use-max-pods');
  if (useMaxPods !== undefined && useMaxPods !== 'true') {
    if (useMaxPods !== 'false') warnings.push(`--use-max-pods: ${JSON.stringify(useMaxPods)} read as false (as bootstrap.sh did for anything but "true")`);
    if (!extraMaxPods) kubeletConfig.maxPods = 110;
  }

  const containerdFile = opt('--containerd-config-file');
  if (containerdFile !== undefined) {
    if (!deps.readFile) {
      problems.push(`--containerd-config-file: cannot read ${JSON.stringify(containerdFile)} here`);
    } else {
      try {
        spec.containerd = { config: deps.readFile(containerdFile).replace(SANDBOX_PLACEHOLDER, '') };
        warnings.push(`--containerd-config-file: ${containerdFile} is merged over this image's containerd configuration instead of replacing it`);
      } catch (err) {
        problems.push(`--containerd-config-file: cannot read ${JSON.stringify(containerdFile)} (${err instanceof Error ? err.message : String(err)})`);
      }
    }
  }

  for (const option of ['--enable-docker-bridge', '--docker-config-json']) {
    if (opt(option) !== undefined) warnings.push(`${option}: ignored, this image has no Docker`);
  }
  for (const option of ['--pause-container-account', '--pause-container-version']) {
    if (opt(option) !== undefined)
      warnings.push(`${option}: ignored, this image uses the pause image it pre-pulled for its region (override with spec.containerd.config)`);
  }
  if (opt('--aws-api-retry-attempts') !== undefined)
    warnings.push('--aws-api-retry-attempts: ignored, the agent retries its AWS calls within its own deadline');
  const bpf = opt('--mount-bpf-fs');
  if (bpf !== undefined && bpf !== 'true') warnings.push(`--mount-bpf-fs ${bpf}: ignored, systemd mounts /sys/fs/bpf on this image`);

  if (problems.length) throw new InputError(problems.map((p) => `bootstrap.sh ${p}`));

  if (Object.keys(kubeletConfig).length || flags.length) {
    spec.kubelet = { ...(Object.keys(kubeletConfig).length ? { config: kubeletConfig } : {}), ...(flags.length ? { flags } : {}) };
  }
  return { config: { apiVersion: API_VERSION, kind: KIND, spec: { cluster, ...spec } }, warnings };
}
