import { staticMemoryManager } from '../api/kubelet-config-rules.js';
import type { NodeConfig } from '../api/schema.js';
import { proxySettings, showProxy } from '../aws/proxy.js';
import { goClientProxy, userDataEnvironment, neverProxied } from '../render/kubelet-proxy.js';
import { trustOptions } from '../aws/trust.js';
import {
  AWS_ENDPOINT_VARIABLES,
  type AwsService,
  IGNORE_ENDPOINT_URLS_VARIABLE,
  describeVariant,
  endpointOverride,
  endpointUrlsIgnored,
  endpointVariant,
  isEndpointOverrideVariable,
} from '../aws/endpoint-variant.js';
import { CONTAINERD_UNIT, PATHS } from '../render/paths.js';
import { eksRegistry } from '../render/pause-image.js';
import { DEFAULT_ENVIRONMENT_KEY } from '../api/validate.js';
import { fastImagePullNote } from '../render/fast-image-pull.js';
import { configWarnings, kubeletVersionWarnings } from '../render/config-warnings.js';
import { parseVersion } from '../render/versions.js';
import { defaultExec, findKubeletVersion, findOnPath, type FoundVersion, kubeletVersionRecorded } from '../facts/versions.js';
import type { LoadedConfig } from '../sources/index.js';
import type { Env } from './deps.js';
import { HOSTS_PATH, pinnedHost } from '../apply/hosts-pin.js';

/** Whether the kubelet reaches the API server through the proxy its environment names (the doctor's endpoint lines follow the same rules). */
function describeKubeletProxy(config: NodeConfig): string | undefined {
  const { env } = userDataEnvironment(config);
  const endpoint = config.spec?.cluster?.apiServerEndpoint;
  if (!(env.HTTPS_PROXY || env.https_proxy)) return undefined;
  if (!endpoint)
    return "kubelet: reaches the API server through the proxy its environment names unless NO_PROXY names the endpoint's host (the endpoint is fetched at boot)";
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return undefined;
  }
  const proxy = goClientProxy(env, endpoint);
  return proxy
    ? `kubelet: reaches the API server (${host}) through ${showProxy(proxy.url)} (${proxy.variable}), as NO_PROXY does not name its host`
    : `kubelet: reaches the API server (${host}) directly, ${neverProxied(endpoint) ? 'as Go never proxies loopback' : 'as NO_PROXY names its host'}`;
}

/** The region an EKS endpoint's host names (`<id>.<zone>.<region>.eks.amazonaws.com[.cn]`), or undefined. */
function endpointRegion(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  try {
    return /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.eks\.amazonaws\.com(?:\.cn)?$/.exec(new URL(endpoint).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Which way containerd, which pulls the images with its own environment, reaches the registry of
 * the cluster's add-on images (the region's, when the endpoint names it), said when the user data
 * gives the kubelet or containerd a proxy. Undefined otherwise.
 */
function describeContainerdProxy(config: NodeConfig): string | undefined {
  const kubelet = userDataEnvironment(config).env;
  const { env } = userDataEnvironment(config, CONTAINERD_UNIT);
  if (!(env.HTTPS_PROXY || env.https_proxy || kubelet.HTTPS_PROXY || kubelet.https_proxy)) return undefined;
  const region = endpointRegion(config.spec?.cluster?.apiServerEndpoint);
  if (region === undefined) {
    const variable = env.HTTPS_PROXY ? 'HTTPS_PROXY' : env.https_proxy ? 'https_proxy' : undefined;
    return variable
      ? `containerd: pulls images through ${showProxy(proxySettings({ HTTPS_PROXY: env[variable] }).httpsProxy ?? '')} (${variable}) unless NO_PROXY names the registry`
      : 'containerd: pulls images directly: its environment names no HTTPS_PROXY';
  }
  const host = eksRegistry(region);
  const proxy = goClientProxy(env, `https://${host}`);
  if (proxy)
    return `containerd: pulls the cluster's add-on images (${host}) through ${showProxy(proxy.url)} (${proxy.variable}), as NO_PROXY does not name its host`;
  return `containerd: pulls the cluster's add-on images (${host}) directly, ${env.HTTPS_PROXY || env.https_proxy ? 'as NO_PROXY names its host' : 'as its environment names no HTTPS_PROXY'}`;
}

/**
 * What the settings that shape the node's environment will do, for `config check`: the proxy
 * every service and the agent's own AWS calls use, the certificates those calls trust when the
 * user data names them, the resolvers, and where the node name comes from. Values of environment
 * variables other than the proxies (without their credentials) and the bundles' paths are never shown.
 */
export function describeNodeEnvironment(config: NodeConfig): string[] {
  const spec = config.spec ?? {};
  const lines: string[] = [];
  const defaults = spec.instance?.environment?.[DEFAULT_ENVIRONMENT_KEY];
  if (defaults && Object.keys(defaults).length > 0) {
    lines.push(`environment: every service gets ${Object.keys(defaults).sort().join(', ')} (DefaultEnvironment= in ${PATHS.systemEnvironment}, mode 0600)`);
  }
  const proxy = proxySettings(defaults);
  if (proxy.httpsProxy || proxy.httpProxy) {
    const via = [
      proxy.httpsProxy ? `https:// through ${showProxy(proxy.httpsProxy)}` : '',
      proxy.httpProxy ? `http:// through ${showProxy(proxy.httpProxy)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `proxy: the agent's EKS, EC2 and STS calls go ${via}${proxy.noProxy.length ? `, except to ${proxy.noProxy.join(', ')}` : ''}; IMDS is always reached directly`,
    );
  }
  const kubeletLine = describeKubeletProxy(config);
  if (kubeletLine) lines.push(kubeletLine);
  const containerdLine = describeContainerdProxy(config);
  if (containerdLine) lines.push(containerdLine);
  const services = Object.keys(AWS_ENDPOINT_VARIABLES) as AwsService[];
  const overrides = services.flatMap((service) => {
    const url = endpointOverride(service, defaults);
    return url ? [`${service.toUpperCase()} calls go to ${url}`] : [];
  });
  if (overrides.length > 0) lines.push(`endpoints: the agent's ${overrides.join(', ')} (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL)`);
  const ignored = Object.keys(defaults ?? {}).filter((name) => isEndpointOverrideVariable(name) && defaults?.[name]?.trim());
  if (ignored.length > 0 && endpointUrlsIgnored(defaults))
    lines.push(`endpoints: ${IGNORE_ENDPOINT_URLS_VARIABLE} is true, so the agent's calls and the node's AWS SDK programs take none of ${ignored.join(', ')}`);
  const variant = describeVariant(endpointVariant(defaults));
  // a variant chooses only for the services no override names
  if (variant && overrides.length < services.length)
    lines.push(
      `endpoints: the agent's EKS, EC2 and STS calls go to their ${variant.words} endpoints (${variant.variables})${overrides.length > 0 ? ', where no override names one' : ''}`,
    );
  const trust = trustOptions(defaults);
  if (trust.caBundle) {
    lines.push(`trust: the agent's EKS, EC2 and STS calls trust the certificates in ${trust.caBundle} alone (AWS_CA_BUNDLE)`);
  } else if (trust.systemBundle) {
    lines.push(
      `trust: the agent's EKS, EC2 and STS calls trust the roots Node bundles, then those in ${trust.systemBundle} (SSL_CERT_FILE) as well when an endpoint's certificate needs them`,
    );
  }
  const network = spec.instance?.network;
  if (network?.nameservers?.length || network?.domains?.length) {
    const parts = [
      network.nameservers?.length ? `DNS=${network.nameservers.join(' ')}` : '',
      network.domains?.length ? `Domains=${network.domains.join(' ')}` : '',
    ];
    lines.push(`resolvers: systemd-resolved gets ${parts.filter(Boolean).join(', ')} (${PATHS.resolvedDropIn}), restarted before the first AWS call`);
  }
  const cluster = spec.cluster;
  if (cluster?.enableOutpost === true) {
    const host = pinnedHost(cluster);
    lines.push(
      `local cluster (Outpost, id ${cluster.id ?? '?'}): the kubelet trades its token for a client certificate (${PATHS.bootstrapKubeconfig}); ` +
        (cluster.apiServerEndpoint && !host
          ? 'the endpoint is an address, so nothing is pinned'
          : `init pins ${host ?? "the endpoint's host"} in ${HOSTS_PATH} to the addresses DNS gives at boot`),
    );
  }
  const memoryLine = describeMemoryManager(spec.kubelet?.config, spec.kubelet?.flags);
  if (memoryLine) lines.push(memoryLine);
  lines.push(
    spec.featureGates?.InstanceIdNodeName
      ? 'node name: the instance id (featureGates.InstanceIdNodeName); neither local-hostname nor ec2:DescribeInstances is asked'
      : 'node name: IMDS local-hostname when EC2 assigned its domain (ec2.internal, <region>.compute.internal); with a custom DHCP domain, PrivateDnsName from ec2:DescribeInstances (the node role then needs that permission)',
  );
  return lines;
}

/**
 * What `config check` refuses and `config dump` warns about: the advisory problems (init's
 * warnings whatever the node) and, where a kubelet version is found as a boot finds it (the
 * image's version file, else `kubelet --version` of the kubelet on PATH), what a boot warns about
 * for that kubelet (a gate it lacks or has off by default, ...); with no kubelet (off a node)
 * those depend on a version not known, and render and init judge them.
 */
export async function checkedProblems(loaded: LoadedConfig, env: Env, root = '/'): Promise<{ problems: string[]; kubelet?: FoundVersion }> {
  // no kubelet to ask is a workstation: no process is started to learn that
  const binary = kubeletVersionRecorded(root) ? 'kubelet' : findOnPath('kubelet', env.PATH);
  // a file that names no version, or a kubelet that does not answer, leaves the version unknown here; init says why
  const kubelet = binary === undefined ? undefined : await findKubeletVersion(root, defaultExec, KUBELET_VERSION_TIMEOUT_MS, binary).catch(() => undefined);
  if (!kubelet) return { problems: loaded.advisories };
  return {
    problems: [...loaded.advisories, ...kubeletVersionWarnings(loaded.config, parseVersion('kubelet version', kubelet.version))],
    kubelet,
  };
}

/** How long `config check` waits for `kubelet --version` on an image without the version file. */
const KUBELET_VERSION_TIMEOUT_MS = 10_000;

/**
 * What a reader should be told about a merged config besides its verdict, each line led by its
 * kind (`note:`, `warning:`): `config check` prints these after "configuration is valid",
 * `config dump` on stderr (its stdout is the dump). Advisory problems are not here: `config check`
 * refuses them, `config dump` shows them as warnings before these lines. Ignored sources and
 * parts (a Karpenter script part) are no news to a dump's reader and stay `config check`'s.
 */
export function configRemarks(loaded: LoadedConfig): string[] {
  return [
    ...loaded.notes.map((note) => `note: ${note}`),
    // a gate whose effect depends on the instance and the image, which a config alone does not name
    ...(loaded.config.spec?.featureGates?.FastImagePull === true ? [`note: ${fastImagePullNote}`] : []),
    // what render and init will warn about, so a reader sees it before a node does
    ...[...loaded.warnings, ...configWarnings(loaded.config)].map((warning) => `warning: ${warning}`),
  ];
}

/**
 * The Static memory manager's reservedMemory depends on the instance (render/reserved-memory.ts),
 * so `config check` cannot judge its total: it says who provides it and what it must equal.
 */
function describeMemoryManager(kubeletConfig: Record<string, unknown> | undefined, flags: readonly string[] | undefined): string | undefined {
  if (!kubeletConfig || !staticMemoryManager(kubeletConfig, flags)) return undefined;
  const must = `kubeReserved memory (the agent's is 255Mi + 11Mi a pod) + systemReserved memory + the hard eviction threshold of memory.available (100Mi unless set)`;
  return kubeletConfig.reservedMemory === undefined
    ? `memory manager: Static; the agent writes reservedMemory for each instance, on NUMA node 0: ${must}`
    : `memory manager: Static with your reservedMemory, which must total on each instance ${must}; init and render warn on an instance where it does not`;
}
