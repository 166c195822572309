import type { Agent } from 'node:http';
import type { SecureContext } from 'node:tls';
import type { HttpsProxyAgent as ProxyAgent } from 'https-proxy-agent';
import ipaddr from 'ipaddr.js';
import { type EndpointVariant, STANDARD_ENDPOINT } from './endpoint-variant.js';
import { dnsSuffix, dualStackDnsSuffix } from './partition.js';

/**
 * Which proxy the agent's own AWS calls (EKS, EC2, STS) go through: HTTP, or SOCKS5 as Go takes
 * it. Enterprise VPCs often have no route to the public AWS endpoints except a proxy, which the
 * user data names in `spec.instance.environment.default` for every service on the node; the agent
 * must honour the same settings, or the first boot's eks:DescribeCluster never reaches AWS.
 *
 * IMDS is link-local and a proxy can never reach it (nor should it see the instance's
 * credentials), so its addresses always bypass, whatever NO_PROXY says. The IMDS client does not
 * use these agents at all; the bypass also covers any caller that asks `proxyFor` for it.
 */

export type Env = Record<string, string | undefined>;

export interface ProxySettings {
  httpsProxy?: string;
  httpProxy?: string;
  /** NO_PROXY entries, lower-cased: host names, ".domain" suffixes, IPs, CIDRs, optional ":port", or "*" */
  noProxy: string[];
}

const IMDS_HOSTS = ['169.254.169.254', 'fd00:ec2::254'];

/** A proxy setting as a URL: one without a scheme ("proxy:3128") is http://, as curl and Go read it. */
export function proxyUrlText(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

/**
 * Settings from several environments, first one that sets a variable wins (per variable; the
 * lower-case spelling before the upper-case one, as curl does). Empty values count as unset.
 */
export function proxySettings(...environments: Array<Env | undefined>): ProxySettings {
  const pickRaw = (name: string): string | undefined => {
    for (const env of environments) {
      const value = env?.[name.toLowerCase()] || env?.[name.toUpperCase()];
      if (value) return value;
    }
    return undefined;
  };
  const pick = (name: string): string | undefined => {
    for (const env of environments) {
      const value = env?.[name.toLowerCase()] || env?.[name.toUpperCase()];
      // curl takes "proxy:3128" as http://proxy:3128; the proxy agent needs the scheme.
      if (value) return proxyUrlText(value.trim());
    }
    return undefined;
  };
  const httpsProxy = pick('HTTPS_PROXY');
  const httpProxy = pick('HTTP_PROXY');
  const noProxy = (pickRaw('NO_PROXY') ?? '')
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  return { ...(httpsProxy ? { httpsProxy } : {}), ...(httpProxy ? { httpProxy } : {}), noProxy };
}

export function hasProxy(settings: ProxySettings | undefined): settings is ProxySettings {
  return settings?.httpsProxy !== undefined || settings?.httpProxy !== undefined;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Whether one NO_PROXY entry covers host:port (curl's rules, plus CIDRs as Go and Python take them). */
function entryMatches(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  let pattern = entry;
  let entryPort: string | undefined;
  const portMatch = /^(.*[^:]):(\d+)$/.exec(pattern);
  // "host:port" and "[v6]:port"; a bare IPv6 address also ends in ":digits", so it is only a port
  // when what is left is not itself an address.
  if (portMatch && (pattern.startsWith('[') || !ipaddr.isValid(pattern))) {
    pattern = portMatch[1] as string;
    entryPort = portMatch[2];
  }
  pattern = stripBrackets(pattern);
  if (entryPort !== undefined && entryPort !== port) return false;
  if (ipaddr.isValid(host)) {
    const address = ipaddr.process(host);
    if (pattern.includes('/')) {
      try {
        const [net, bits] = ipaddr.parseCIDR(pattern);
        return address.kind() === net.kind() && address.match(net, bits);
      } catch {
        return false;
      }
    }
    return ipaddr.isValid(pattern) && ipaddr.process(pattern).toString() === address.toString();
  }
  const suffix = pattern.replace(/^\*?\.?/, '');
  return suffix !== '' && (host === suffix || host.endsWith(`.${suffix}`));
}

/** Whether NO_PROXY sends a request to `url` direct. */
export function noProxyCovers(url: string, settings: ProxySettings): boolean {
  const target = new URL(url);
  const host = stripBrackets(target.hostname.toLowerCase()).replace(/\.$/, '');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return settings.noProxy.some((entry) => entryMatches(entry, host, port));
}

/** The proxy URL for a request to `url`, or undefined when it goes direct. */
export function proxyFor(url: string, settings: ProxySettings | undefined): string | undefined {
  if (!hasProxy(settings)) return undefined;
  const target = new URL(url);
  const host = stripBrackets(target.hostname.toLowerCase()).replace(/\.$/, '');
  if (IMDS_HOSTS.some((h) => ipaddr.isValid(host) && ipaddr.process(host).toString() === ipaddr.process(h).toString())) return undefined;
  if (noProxyCovers(url, settings)) return undefined;
  return target.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy;
}

/**
 * The public endpoint of an AWS service in a region, in a variant, as the SDK's endpoint rules
 * build it (a test holds the two to the same answers): FIPS in GovCloud is the standard host, and
 * EKS's FIPS host in the commercial partition leads with `fips.`.
 */
export function defaultServiceEndpoint(service: 'eks' | 'ec2' | 'sts', region: string, variant: EndpointVariant = STANDARD_ENDPOINT): string {
  if (variant.dualStack) return `https://${service}${variant.fips ? '-fips' : ''}.${region}.${dualStackDnsSuffix(region)}`;
  if (!variant.fips || region.startsWith('us-gov-')) return `https://${service}.${region}.${dnsSuffix(region)}`;
  const suffix = dnsSuffix(region);
  return service === 'eks' && suffix === 'amazonaws.com' ? `https://fips.eks.${region}.${suffix}` : `https://${service}-fips.${region}.${suffix}`;
}

/**
 * ECR's API endpoint as the AWS SDKs' rules build it for a region: the host the kubelet's
 * ecr-credential-provider asks for a pull's token. Its variants follow only the provider's
 * environment (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT), never the registry's host:
 * a pull from `dkr-ecr-fips` still asks `api.ecr` unless the variables say otherwise.
 */
export function ecrApiEndpoint(region: string, variant: EndpointVariant = STANDARD_ENDPOINT): string {
  const fips = variant.fips ? '-fips' : '';
  return variant.dualStack ? `https://ecr${fips}.${region}.${dualStackDnsSuffix(region)}` : `https://api.ecr${fips}.${region}.${dnsSuffix(region)}`;
}

type ConnectArgs = Parameters<ProxyAgent<string>['connect']>;

/**
 * The SOCKS schemes Go's proxy settings take beside http and https (HTTPS_PROXY=socks5://...),
 * which the kubelet and containerd then follow; the agent's own calls follow them too.
 */
const SOCKS_PROTOCOLS = new Set(['socks5:', 'socks5h:']);

/** Every proxy scheme Go's proxy settings take, as the kubelet and containerd read them; the agent's own calls take the same. */
export const PROXY_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', ...SOCKS_PROTOCOLS]);

/** Whether a proxy URL names a SOCKS proxy (socks5:// or socks5h://). */
export function isSocksProxy(url: string): boolean {
  try {
    return SOCKS_PROTOCOLS.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

/**
 * A SOCKS proxy URL as Go dials it: Go sends the endpoint's name for the proxy to resolve, for
 * socks5:// too (where curl would resolve it on the node), so the agent asks as socks5h://. A node
 * behind a SOCKS proxy often cannot resolve public names itself.
 */
export function remoteNameSocks(url: string): string {
  const u = new URL(url);
  return `socks5h://${u.href.slice(u.protocol.length + 2)}`;
}

/** A proxy URL without its user and password, which must not reach a terminal or a log. */
export function showProxy(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? '<credentials>@' : ''}${u.host}`;
  } catch {
    return '<invalid>';
  }
}

/** Why a SOCKS5 proxy opened no connection onward: its rules, the target out of its reach, the credentials step, or another reply. */
export type SocksReason = 'credentials' | 'not allowed' | 'unreachable' | 'other';

/** A SOCKS5 proxy's replies other than success (RFC 1928), by the name the SOCKS client gives them. */
const SOCKS_REPLIES: Record<string, { code: number; words: string; reason: SocksReason }> = {
  Failure: { code: 1, words: 'general failure', reason: 'other' },
  NotAllowed: { code: 2, words: 'not allowed by its rules', reason: 'not allowed' },
  NetworkUnreachable: { code: 3, words: 'network unreachable', reason: 'unreachable' },
  HostUnreachable: { code: 4, words: 'host unreachable', reason: 'unreachable' },
  ConnectionRefused: { code: 5, words: 'connection refused', reason: 'unreachable' },
  TTLExpired: { code: 6, words: 'TTL expired', reason: 'unreachable' },
  CommandNotSupported: { code: 7, words: 'command not supported', reason: 'other' },
  AddressNotSupported: { code: 8, words: 'address type not supported', reason: 'other' },
};

/**
 * A SOCKS5 proxy's refusal read from the SOCKS client's error (the `socks` library's words, which
 * reach the agent's calls and doctor's dials alike): its reply (RFC 1928) with the code, or the
 * credentials step (RFC 1929). Undefined for another error (a timeout, a reset).
 */
export function socksRefusalOf(err: unknown): { reason: SocksReason; words: string } | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const reply = SOCKS_REPLIES[/rejected connection - (\w+)/.exec(message)?.[1] ?? ''];
  if (reply) return { reason: reply.reason, words: `${reply.words} (reply ${reply.code})` };
  if (/Authentication failed/i.test(message)) return { reason: 'credentials', words: 'refused the user name and password' };
  if (/no accepted authentication type/i.test(message))
    return { reason: 'credentials', words: 'takes none of the ways to authenticate offered (it may want a user name and password)' };
  return undefined;
}

/**
 * A proxy's refusal to open the way to the endpoint, which the proxy agent hands the SDK as if the
 * endpoint had given it: an HTTP proxy's answer to CONNECT other than 200, or a SOCKS5 proxy's
 * refusal (socksRefusalOf).
 */
export type ProxyAnswer = {
  /** the proxy, without credentials */
  proxy: string;
  /** host:port the CONNECT asked for */
  target: string;
  /** the proxy URL holds a user and password, which the agent sent */
  withCredentials: boolean;
} & ({ kind: 'connect'; status: number; text: string } | { kind: 'socks'; reason: SocksReason; words: string });

/**
 * The SDK request handler's agent options for one client: a proxy agent for the endpoint when a
 * proxy applies, nothing otherwise. The proxy library is imported only in the first case, so a
 * boot without a proxy never loads it. The agent tunnels with CONNECT for http and https
 * targets alike, so one implementation serves both. `tls` carries the trust of trust.ts.
 */
export async function proxyAgentOptions(
  endpoint: string,
  settings: ProxySettings | undefined,
  tls: { secureContext?: SecureContext } = {},
  onRefusal?: (answer: ProxyAnswer) => void,
): Promise<{ httpsAgent?: Agent; httpAgent?: Agent }> {
  const proxy = proxyFor(endpoint, settings);
  if (proxy === undefined) return {};
  const { secureContext } = tls;
  const target = new URL(endpoint);
  const answer = {
    proxy: showProxy(proxy),
    target: `${target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`,
    withCredentials: new URL(proxy).username !== '',
  };
  if (isSocksProxy(proxy)) {
    const { SocksProxyAgent } = await import('socks-proxy-agent');
    type SocksConnect = Parameters<InstanceType<typeof SocksProxyAgent>['connect']>;
    // the TLS connection to the endpoint, over the SOCKS connection, is made from each request's
    // options; a refusal is read from the SOCKS client's error before the SDK takes it as the endpoint's
    const agent = new (class extends SocksProxyAgent {
      override async connect(req: SocksConnect[0], opts: SocksConnect[1]) {
        try {
          return await super.connect(req, (secureContext === undefined ? opts : { ...opts, secureContext }) as SocksConnect[1]);
        } catch (err) {
          const refusal = socksRefusalOf(err);
          if (refusal) onRefusal?.({ ...answer, kind: 'socks', ...refusal });
          throw err;
        }
      }
    })(remoteNameSocks(proxy), { keepAlive: true });
    return target.protocol === 'https:' ? { httpsAgent: agent } : { httpAgent: agent };
  }
  const { HttpsProxyAgent } = await import('https-proxy-agent');
  // The constructor's options reach the connection to an https proxy only; the TLS connection to
  // the endpoint, inside the tunnel, is made from each request's options.
  const agent =
    secureContext === undefined
      ? new HttpsProxyAgent(proxy, { keepAlive: true })
      : new (class extends HttpsProxyAgent<string> {
          override connect(req: ConnectArgs[0], opts: ConnectArgs[1]) {
            return super.connect(req, { ...opts, secureContext } as ConnectArgs[1]);
          }
        })(proxy, { keepAlive: true, secureContext });
  if (onRefusal) {
    agent.on('proxyConnect', ({ statusCode, statusText }: { statusCode: number; statusText: string }) => {
      if (statusCode !== 200) onRefusal({ ...answer, kind: 'connect', status: statusCode, text: statusText });
    });
  }
  return target.protocol === 'https:' ? { httpsAgent: agent } : { httpAgent: agent };
}
