import ipaddr from 'ipaddr.js';
import { DEFAULT_ENVIRONMENT_KEY, instanceEnvironments } from '../api/validate.js';
import type { NodeConfig } from '../api/schema.js';
import { DEFAULT_IMDS_ENDPOINT, IMDS_ENDPOINT_VARIABLE, IMDS_MODE_VARIABLE, IPV6_IMDS_ENDPOINT } from '../aws/imds.js';
import { noProxyCovers, proxySettings } from '../aws/proxy.js';
import { CONTAINERD_UNIT, KUBELET_UNIT } from './paths.js';

/*
 * Which proxy the kubelet and the programs it runs use, by Go's rules: HTTPS_PROXY for https
 * URLs, HTTP_PROXY for http ones (the upper-case spelling before the lower-case one), unless
 * NO_PROXY covers the host, and never for localhost or a loopback address. client-go adds CIDRs
 * in NO_PROXY, matched against an address in the URL only, never against what a name resolves to.
 */

/** The environment the user data gives a unit (the kubelet's by default): every service's variables, its own over them; and which key set each. */
export function userDataEnvironment(config: NodeConfig, unit: string = KUBELET_UNIT): { env: Record<string, string>; keyOf: Record<string, string> } {
  const { defaultEnvironment, unitEnvironments } = instanceEnvironments(config.spec?.instance?.environment ?? {});
  const own = unitEnvironments.find((e) => e.unit === unit);
  const env: Record<string, string> = {};
  const keyOf: Record<string, string> = {};
  for (const { key, variables } of [{ key: DEFAULT_ENVIRONMENT_KEY, variables: defaultEnvironment }, ...(own ? [own] : [])]) {
    for (const { name, value } of variables) {
      env[name] = value;
      keyOf[name] = key;
    }
  }
  return { env, keyOf };
}

/** Whether Go sends a request to this URL's host direct whatever the proxy variables say: localhost and loopback addresses. */
export function neverProxied(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || (ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback');
}

/**
 * The proxy a Go program sends a request to `url` through in this environment: HTTPS_PROXY for
 * an https URL, HTTP_PROXY for an http one, the upper-case spelling first, unless NO_PROXY covers
 * the host; with the variable that named it and the NO_PROXY entries read. Undefined when it
 * goes direct. (No IMDS exception: that is the agent's own rule, not Go's.)
 */
function goProxy(env: Record<string, string | undefined>, url: URL): { url: string; variable: string; noProxy: string[] } | undefined {
  const https = url.protocol === 'https:';
  const variable = (https ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy']).find((name) => env[name]);
  if (variable === undefined) return undefined;
  // Go splits NO_PROXY at commas alone: an entry with a space inside is one name, which matches nothing
  const noProxy = (env.NO_PROXY || env.no_proxy || '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !/\s/.test(entry))
    .join(',');
  const settings = proxySettings({ [https ? 'HTTPS_PROXY' : 'HTTP_PROXY']: env[variable], ...(noProxy ? { NO_PROXY: noProxy } : {}) });
  const proxy = https ? settings.httpsProxy : settings.httpProxy;
  if (proxy === undefined || noProxyCovers(url.href, settings)) return undefined;
  return { url: proxy, variable, noProxy: settings.noProxy };
}

/** The proxy a Go program (the kubelet to its API server, containerd to a registry) reaches `endpoint` through in this environment; undefined when it dials it itself. */
export function goClientProxy(
  env: Record<string, string | undefined>,
  endpoint: string,
): { url: string; variable: string; noProxyCidrs: string[] } | undefined {
  if (neverProxied(endpoint)) return undefined;
  const proxy = goProxy(env, new URL(endpoint));
  if (proxy === undefined) return undefined;
  return { url: proxy.url, variable: proxy.variable, noProxyCidrs: proxy.noProxy.filter((entry) => entry.includes('/') && ipaddr.isValidCIDR(entry)) };
}

/*
 * The kubelet's credential helpers (aws-iam-authenticator for its API token, ecr-credential-
 * provider for ECR images) are Go programs whose AWS SDK asks IMDS for the instance role's
 * credentials with Go's HTTP client, which takes HTTP_PROXY from the environment like any other
 * request: unless NO_PROXY names the IMDS address, they ask the proxy, which cannot reach this
 * instance's IMDS (a link-local address is the proxy host's own). The kubelet then has no token
 * and the node never joins. The agent's own IMDS requests never use a proxy, so `init` gets that
 * far; a warning says what the kubelet will not.
 */

/** Where a Go AWS SDK asks IMDS in this environment, and the proxy variable it asks through; undefined when it asks direct. */
export function imdsThroughProxy(env: Record<string, string | undefined>): { variable: string; endpoint: string; host: string } | undefined {
  const named = env[IMDS_ENDPOINT_VARIABLE];
  const endpoint = named || (env[IMDS_MODE_VARIABLE]?.toLowerCase() === 'ipv6' ? IPV6_IMDS_ENDPOINT : DEFAULT_IMDS_ENDPOINT);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  // an endpoint served over https is no EC2 IMDS: left to whoever named it
  if (url.protocol !== 'http:') return undefined;
  const proxy = goProxy(env, url);
  // the host as NO_PROXY would name it: an IPv6 address without its brackets
  return proxy && { variable: proxy.variable, endpoint: url.origin, host: url.hostname.replace(/^\[|\]$/g, '') };
}

/**
 * The warning for user data whose environment sends the kubelet's credential helpers to IMDS
 * through a proxy. `imdsOverIpv6` (render's facts: IMDS answered the agent over IPv6 alone) adds
 * the IPv6 mode the agent gives the kubelet when the user data names no IMDS endpoint or mode
 * (render/unit-environment.ts), so the rule judges the address the helpers will ask.
 */
export function imdsProxyWarnings(config: NodeConfig, facts: { imdsOverIpv6?: boolean } = {}): string[] {
  const { env, keyOf } = userDataEnvironment(config);
  const added = facts.imdsOverIpv6 === true && env[IMDS_ENDPOINT_VARIABLE] === undefined && env[IMDS_MODE_VARIABLE] === undefined;
  const through = imdsThroughProxy(added ? { ...env, [IMDS_MODE_VARIABLE]: 'IPv6' } : env);
  if (!through) return [];
  const { host } = through;
  const where = added ? `${through.endpoint} (the IPv6 mode the agent gives the kubelet, as IMDS answered there alone)` : through.endpoint;
  return [
    `spec.instance.environment.${keyOf[through.variable]}.${through.variable}: the kubelet's credential helpers (aws-iam-authenticator, ecr-credential-provider) ask IMDS at ${where} for the instance role's credentials through this proxy, as NO_PROXY does not name ${host}; a proxy cannot reach this instance's IMDS, so the kubelet gets no API token and the node does not join (add ${host} to NO_PROXY)`,
  ];
}

/**
 * containerd, not the kubelet, pulls the node's images, with its own environment. A proxy the
 * user data gives the kubelet alone (its own key, not `default`) gets the node its API token
 * while containerd dials the registries directly: from a subnet without a NAT gateway or ECR
 * endpoints, the VPC CNI's image never arrives and the node stays NotReady. Warned, not refused:
 * a VPC with ECR endpoints pulls fine so.
 */
export function pullProxyWarnings(config: NodeConfig): string[] {
  const kubelet = userDataEnvironment(config, KUBELET_UNIT);
  const variable = ['HTTPS_PROXY', 'https_proxy'].find((name) => kubelet.env[name]);
  if (variable === undefined || kubelet.keyOf[variable] === DEFAULT_ENVIRONMENT_KEY) return [];
  const containerd = userDataEnvironment(config, CONTAINERD_UNIT).env;
  if (containerd.HTTPS_PROXY || containerd.https_proxy) return [];
  return [
    `spec.instance.environment.${kubelet.keyOf[variable]}.${variable}: the kubelet's alone; containerd, which pulls the node's images, gets no HTTPS_PROXY and dials registries (ECR, for the VPC CNI's image) directly, which from a subnet without a NAT gateway or ECR endpoints leaves the node NotReady (set the proxy in spec.instance.environment.default for every service, or for containerd too)`,
  ];
}
