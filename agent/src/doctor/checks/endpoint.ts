import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { describeCause } from '../../errors.js';
import { type Certificate, caCertificates, checkCertificateAuthority } from '../../api/cluster-values.js';
import { goClientProxy, userDataEnvironment } from '../../render/kubelet-proxy.js';
import { PROXY_PROTOCOLS, isSocksProxy, noProxyCovers } from '../../aws/proxy.js';
import { SYSTEM_CA_BUNDLES, pemCertificates } from '../../aws/trust.js';
import { KUBELET_UNIT } from '../../render/paths.js';
import { SERVICE_ENVIRONMENT_TIMEOUT_MS } from '../../apply/unit-status.js';
import {
  ProxyRefusal,
  SocksRefusal,
  hostPort,
  StepTimeout,
  parseEndpoint,
  parseProxy,
  proxyKind,
  proxyTunnel,
  speaksTls,
  tcpConnect,
  tlsHandshake,
  type Endpoint,
  type HttpProxy,
} from '../net.js';
import type { Check, Outcome } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';
import { HOSTS_PATH, pinnedIn } from '../../apply/hosts-pin.js';

export interface Reach {
  endpoint: Endpoint;
  /** the address the next steps dial: the first one resolved, and after the tcp line the first that answered (the proxy's, with one) */
  address: string;
  /** every address the name resolved to, in the resolver's order (an endpoint given by IP: that one); with a proxy, the proxy's name */
  addresses: string[];
  caPem: string;
  /** the HTTP proxy the kubelet reaches the endpoint through, when its environment names one for it */
  proxy?: HttpProxy;
}

/**
 * The proxy a unit's Go program (the kubelet to the API server, containerd to a registry) reaches
 * the endpoint through, by Go's rules (render/kubelet-proxy.ts, as `config check` describes it),
 * in the environment systemd gives the unit (an image's own drop-in included: a proxy is often
 * set so); where systemd cannot say, the one the user data asks for it. Undefined when the
 * program dials the endpoint itself.
 */
export async function unitProxy(deps: DoctorDeps, cfg: ConfigValue, unit: string, endpoint: Endpoint, timeoutMs: number): Promise<HttpProxy | undefined> {
  return proxyIn(deps, await unitEnvironment(deps, cfg, unit, timeoutMs), endpoint);
}

/** A unit's environment as systemd gives it now, else as the user data asks; and where it was read, for messages. */
export async function unitEnvironment(
  deps: DoctorDeps,
  cfg: ConfigValue,
  unit: string,
  timeoutMs: number,
): Promise<{ env: Record<string, string>; where: string }> {
  const live = await deps.serviceEnvironment?.(unit, timeoutMs).catch(() => undefined);
  return live?.unit
    ? { env: { ...live.manager, ...live.unit }, where: `${unitOwner(unit)} environment` }
    : { env: userDataEnvironment(cfg.source, unit).env, where: 'spec.instance.environment' };
}

/** The proxy a Go program with this environment reaches the endpoint through (unitProxy). */
export async function proxyIn(
  deps: DoctorDeps,
  { env, where }: { env: Record<string, string>; where: string },
  endpoint: Endpoint,
): Promise<HttpProxy | undefined> {
  const proxy = goClientProxy(env, endpoint.url);
  // HTTP and HTTPS proxies, and SOCKS5 ones as Go takes them (socks5://, socks5h://)
  if (!proxy || !PROXY_PROTOCOLS.has(new URL(proxy.url).protocol)) return undefined;
  const parsed = parseProxy(proxy.url, `${proxy.variable} in ${where}`);
  const roots = parsed.protocol === 'https:' ? await systemRoots(deps, env) : undefined;
  return { ...parsed, ...(proxy.noProxyCidrs.length > 0 ? { noProxyCidrs: proxy.noProxyCidrs } : {}), ...(roots ? { roots } : {}) };
}

/** "the kubelet's", "containerd's": whose environment a unit's is, in a sentence. */
function unitOwner(unit: string): string {
  return unit === KUBELET_UNIT ? "the kubelet's" : `${unit.replace(/\.service$/, '')}'s`;
}

/** Where Go looks for more roots beside the bundle file on Linux, unless SSL_CERT_DIR names others. */
export const GO_CERT_DIRECTORIES = ['/etc/ssl/certs', '/etc/pki/tls/certs'] as const;

/**
 * The roots a Go program on the node trusts, read as Go reads them on Linux: the first bundle
 * file it can read (SSL_CERT_FILE's when its environment sets one, else the system's, this
 * image's first: aws/trust.ts), and every file in the certificate directories (SSL_CERT_DIR's,
 * colon-separated, else /etc/ssl/certs and /etc/pki/tls/certs): a CA dropped there without
 * update-ca-trust counts. `from` names what held them. Undefined when none can be read.
 */
export async function systemRoots(deps: DoctorDeps, env: Record<string, string | undefined>): Promise<HttpProxy['roots']> {
  const certificates = new Set<string>();
  const from: string[] = [];
  const read = async (path: string): Promise<string[] | undefined> => {
    const file = await deps.readFile(path).catch(() => undefined);
    return file && pemCertificates(file.content.toString('latin1'));
  };
  const given = env.SSL_CERT_FILE?.trim();
  for (const path of given ? [given] : SYSTEM_CA_BUNDLES) {
    const found = await read(path);
    if (found === undefined) continue;
    for (const c of found) certificates.add(c);
    if (found.length > 0) from.push(given ? `SSL_CERT_FILE ${path}` : path);
    // Go stops at the first file it can read
    break;
  }
  const named = env.SSL_CERT_DIR?.split(':').filter((d) => d.trim() !== '');
  for (const dir of named?.length ? named : GO_CERT_DIRECTORIES) {
    let entries: string[] | undefined;
    try {
      entries = await deps.listDir(dir);
    } catch {
      entries = undefined;
    }
    const before = certificates.size;
    for (const name of [...(entries ?? [])].sort()) for (const c of (await read(`${dir.replace(/\/+$/, '')}/${name}`)) ?? []) certificates.add(c);
    if (certificates.size > before) from.push(named?.length ? `SSL_CERT_DIR ${dir}` : dir);
  }
  return certificates.size > 0 ? { pem: [...certificates].join('\n'), from: from.join(' and ') } : undefined;
}

/**
 * A NO_PROXY CIDR that holds an address the endpoint's name resolves to on the node: meant, most
 * likely, to send the kubelet to a private endpoint directly, which it does not do, as the kubelet
 * matches NO_PROXY against the name in the URL. Undefined when there is none (or no such CIDR).
 */
async function bypassMissed(deps: DoctorDeps, endpoint: Endpoint, proxy: HttpProxy): Promise<{ cidr: string; address: string } | undefined> {
  if (!proxy.noProxyCidrs || net.isIP(endpoint.host)) return undefined;
  const addresses = await deps.lookup(endpoint.host).catch(() => [] as string[]);
  for (const address of addresses) {
    // what NO_PROXY's CIDR would do were the address the URL's host (the agent's own matcher)
    const url = `https://${net.isIPv6(address) ? `[${address}]` : address}/`;
    const cidr = proxy.noProxyCidrs.find((entry) => noProxyCovers(url, { noProxy: [entry] }));
    if (cidr) return { cidr, address };
  }
  return undefined;
}

/** At most this many of the name's addresses are dialled (an EKS private endpoint has one per subnet it was given). */
const MAX_DIALLED = 8;

function caPemOf(config: ConfigValue): string {
  const ca = checkCertificateAuthority(config.config.spec.cluster.certificateAuthority);
  return 'value' in ca ? ca.value : '';
}

export function dnsCheck(deps: DoctorDeps): Check {
  return {
    name: 'dns',
    needs: ['config'],
    timeoutMs: 5_000,
    async run(ctx) {
      const cfg = ctx.value<ConfigValue>('config');
      const endpoint = parseEndpoint(cfg.config.spec.cluster.apiServerEndpoint);
      let proxy = await unitProxy(deps, cfg, KUBELET_UNIT, endpoint, Math.max(1, Math.min(SERVICE_ENVIRONMENT_TIMEOUT_MS, ctx.remainingMs() - 100)));
      const reach = (addresses: string[]): Reach => ({ endpoint, address: addresses[0]!, addresses, caPem: caPemOf(cfg), ...(proxy ? { proxy } : {}) });
      if (proxy) {
        // the proxy resolves the endpoint's name; the node resolves the proxy's
        const missed = await bypassMissed(deps, endpoint, proxy);
        if (missed) {
          const bypassMissed = `NO_PROXY's ${missed.cidr} holds ${missed.address}, which ${endpoint.host} resolves to on the node, but the kubelet matches NO_PROXY against the name in the URL, never its addresses`;
          proxy = { ...proxy, bypassMissed };
        }
        const through = `${endpoint.host} is reached through the proxy ${proxy.shown} (${proxy.from}), which resolves it`;
        let addresses = [proxy.host];
        if (!net.isIP(proxy.host)) {
          try {
            addresses = await deps.lookup(proxy.host);
          } catch (err) {
            return {
              status: 'fail',
              detail: `the proxy's name ${proxy.host} (${proxy.from}) does not resolve: ${describeCause(err)}`,
              hint: `the kubelet reaches the API server only through that proxy: check its name in ${proxy.from}, or put the endpoint's host in NO_PROXY if the node reaches it directly`,
            };
          }
          if (addresses.length === 0)
            return { status: 'fail', detail: `the proxy's name ${proxy.host} (${proxy.from}) resolves to no address`, hint: `check ${proxy.from}` };
        }
        const detail = net.isIP(proxy.host) ? through : `${through}; ${proxy.host} resolves to ${addresses.join(', ')}`;
        // an EKS endpoint's domain (eks.amazonaws.com, eks.amazonaws.com.cn, ...) covers every cluster's
        const eksDomain = /\.(eks\.[a-z0-9.-]+)$/i.exec(endpoint.host)?.[1]?.toLowerCase();
        if (proxy.bypassMissed) {
          return {
            status: 'warn',
            detail: `${detail}; ${proxy.bypassMissed}`,
            hint: `if the node should reach the endpoint directly, as that CIDR suggests, put ${endpoint.host}${eksDomain ? ` (or .${eksDomain})` : ''} in NO_PROXY`,
            value: reach(addresses),
          };
        }
        return { status: 'ok', detail, value: reach(addresses) };
      }
      if (net.isIP(endpoint.host)) return { status: 'ok', detail: `${endpoint.host} is an IP address`, value: reach([endpoint.host]) };
      let addresses: string[];
      try {
        addresses = await deps.lookup(endpoint.host);
      } catch (err) {
        return {
          status: 'fail',
          detail: `${endpoint.host} does not resolve: ${describeCause(err)}`,
          hint:
            'a private endpoint resolves only inside the VPC through the Amazon-provided DNS: enable enableDnsSupport and enableDnsHostnames on the VPC, ' +
            'and make a custom resolver (DHCP options) forward to it; else check spec.cluster.apiServerEndpoint',
        };
      }
      if (addresses.length === 0)
        return { status: 'fail', detail: `${endpoint.host} resolves to no address`, hint: 'check spec.cluster.apiServerEndpoint and the VPC DNS settings' };
      const resolves = `${endpoint.host} resolves to ${addresses.join(', ')}`;
      if (cfg.config.spec.cluster.enableOutpost === true) {
        // a local cluster's name resolves through the Region: init pins its addresses (apply/hosts-pin.ts)
        const hosts = await deps.readFile(HOSTS_PATH);
        const pin = hosts ? pinnedIn(hosts.content.toString('utf8')) : undefined;
        if (!pin || pin.host !== endpoint.host.toLowerCase()) {
          return {
            status: 'warn',
            detail: `${resolves}; a local cluster, but not pinned in ${HOSTS_PATH}`,
            hint: 'the node loses the API server whenever the Outpost is cut off from its Region: see the `api server pin` line of `journalctl -u eks-node-agent-config`',
            value: reach(addresses),
          };
        }
        return { status: 'ok', detail: `${resolves} (pinned in ${HOSTS_PATH} for the local cluster)`, value: reach(addresses) };
      }
      return { status: 'ok', detail: resolves, value: reach(addresses) };
    },
  };
}

/**
 * Why a connection to the API server's address may go unanswered, by which endpoint the name led
 * to: an EKS endpoint name resolves to the private endpoint's addresses (in the VPC's own ranges)
 * inside a VPC that has the cluster's private access and Amazon DNS, and to the public endpoint's
 * (public IPv4) otherwise, which a node in a private subnet reaches only through NAT.
 */
export function droppedHint(address: string): string {
  const parsed = ipaddr.isValid(address) ? ipaddr.process(address) : undefined;
  const range = parsed?.range();
  // a VPC's own IPv6 ranges are global too, so only an IPv4 address tells the public endpoint apart
  if (range === 'unicast' && parsed?.kind() === 'ipv4') {
    return (
      `${address} is a public address, so the node dials the cluster's public endpoint: from a private subnet it needs a NAT gateway, ` +
      "and the endpoint's publicAccessCidrs must allow the NAT's address. With the cluster's private endpoint access on, " +
      'the name resolves to private addresses inside the VPC only when the VPC has enableDnsSupport and enableDnsHostnames ' +
      'and the node asks the Amazon-provided DNS (or a resolver that forwards to it)'
    );
  }
  if (range === 'private' || range === 'carrierGradeNat' || range === 'uniqueLocal') {
    return (
      `${address} is a private address (the cluster's private endpoint, in the VPC): the cluster security group must allow 443 from the node's ` +
      "security group or subnet, and the subnets' NACLs must pass it both ways"
    );
  }
  return (
    'packets are dropped on the way: the cluster security group must allow 443 from the node, and check NACLs, route tables / NAT, ' +
    "and the public endpoint's CIDR allowlist (publicAccessCidrs) when the node reaches it through NAT"
  );
}

const REFUSED_HINT = 'a refused connection means nothing listens there: check spec.cluster.apiServerEndpoint (host and port)';

/** The way around a proxy, for the hints of the lines that go through it. */
const DIRECTLY = "if the node reaches the endpoint directly (a private endpoint), put the endpoint's host in NO_PROXY";

/** Why the kubelet's proxy does not answer, by how it failed. */
function proxyHint(proxy: HttpProxy, timedOut: boolean): string {
  return timedOut
    ? `the kubelet reaches the API server only through the proxy ${proxy.from} names: packets to it are dropped on the way (security groups, NACLs, routes to the proxy's subnet); or, ${DIRECTLY}`
    : `the kubelet reaches the API server only through the proxy ${proxy.from} names, and nothing listens there: check its host and port; or, ${DIRECTLY}`;
}

/**
 * TCP to every address the endpoint's name gave, at once. The kubelet dials them in turn and
 * takes the first that answers, so one that answers is enough to join; but a name that also
 * gives an address nothing answers at (a private endpoint's interface in a subnet whose NACL or
 * route drops the node's packets) makes every connection that tries it first wait out its share
 * of the dial timeout: a `warn`, naming the address.
 */
export function tcpCheck(): Check {
  return {
    name: 'tcp',
    needs: ['dns'],
    timeoutMs: 5_000,
    async run(ctx) {
      const reach = ctx.value<Reach>('dns');
      const { proxy } = reach;
      const port = proxy?.port ?? reach.endpoint.port;
      const timeoutMs = Math.max(1, ctx.remainingMs() - 100);
      const within = `within ${(timeoutMs / 1000).toFixed(1)}s`;
      const target = (address: string) => hostPort({ host: address, port });
      const what = proxy ? 'the proxy at ' : '';
      const dialled = await Promise.all(
        reach.addresses.slice(0, MAX_DIALLED).map(async (address) => {
          try {
            await tcpConnect(address, port, timeoutMs, ctx.signal);
            return { address, err: undefined };
          } catch (err) {
            return { address, err };
          }
        }),
      );
      const answered = dialled.filter((d) => d.err === undefined).map((d) => d.address);
      const failed = dialled.filter((d) => d.err !== undefined);
      const hintFor = (d: { address: string; err: unknown }) =>
        proxy ? proxyHint(proxy, d.err instanceof StepTimeout) : d.err instanceof StepTimeout ? droppedHint(d.address) : REFUSED_HINT;
      if (failed.length === 0) return { status: 'ok', detail: `connected to ${what}${answered.map(target).join(', ')}`, value: reach };
      const first = failed[0]!;
      if (answered.length > 0) {
        const why = failed.map(
          (d) => `${target(d.address)} ${d.err instanceof StepTimeout ? `gave no connection ${within}` : `failed: ${describeCause(d.err)}`}`,
        );
        return {
          status: 'warn',
          detail: `connected to ${what}${answered.map(target).join(', ')}, but ${why.join('; ')}`,
          hint: `the kubelet dials the name's addresses in turn, so it connects, but each connection that tries ${failed.map((d) => d.address).join(' or ')} first waits or fails before the next; ${hintFor(first)}`,
          value: { ...reach, address: answered[0]! },
        };
      }
      if (failed.every((d) => d.err instanceof StepTimeout)) {
        return { status: 'fail', detail: `no TCP connection to ${what}${failed.map((d) => target(d.address)).join(', ')} ${within}`, hint: hintFor(first) };
      }
      return {
        status: 'fail',
        detail: failed
          .map((d) => `TCP connect to ${what}${target(d.address)} failed: ${d.err instanceof StepTimeout ? `no connection ${within}` : describeCause(d.err)}`)
          .join('; '),
        hint: hintFor(first),
      };
    },
  };
}

/** How Node names a certificate that does not chain to the roots given. */
export const WRONG_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/** The tls line's result when the kubelet's proxy does not open a tunnel to the endpoint. */
function tunnelFailure(proxy: HttpProxy, endpoint: Endpoint, err: unknown): Outcome {
  // the TLS connection to the proxy itself: the endpoint's NO_PROXY entry would not cure it
  const tlsFailure = proxyTlsFailure(proxy, err);
  if (tlsFailure) return tlsFailure;
  const failure = tunnelFailureOf(proxy, endpoint, err);
  return proxy.bypassMissed ? { ...failure, hint: `${failure.hint} (${proxy.bypassMissed})` } : failure;
}

/** How a TLS connection to an `https://` proxy fails when the proxy speaks plain HTTP (OpenSSL's reading of an HTTP answer as a TLS record). */
const PLAIN_ANSWER = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/**
 * The result when the TLS connection to an `https://` proxy itself fails, or undefined for
 * another failure; `who` dials through it (the kubelet), to `target` (the API server).
 */
export function proxyTlsFailure(proxy: HttpProxy, err: unknown, who = 'the kubelet', target = 'the API server'): Outcome | undefined {
  if (proxy.protocol !== 'https:') return undefined;
  const code = (err as { code?: string }).code ?? '';
  const named = `the proxy ${proxy.shown} (${proxy.from}, an https:// URL)`;
  if (PLAIN_ANSWER.has(code) || /wrong version number|packet length too long/i.test(describeCause(err))) {
    return {
      status: 'fail',
      detail: `${named} does not speak TLS: ${describeCause(err)}`,
      hint: `${who} opens TLS to a proxy its URL names with https://, and this one answers in plain HTTP (as most proxies on 3128 or 8080 do): write the URL with http:// in ${proxy.from}; the tunnel to ${target} is TLS either way`,
    };
  }
  const trusted = proxy.roots ? proxy.roots.from : 'the roots Node bundles (no system CA bundle could be read)';
  if (WRONG_CA.has(code)) {
    return {
      status: 'fail',
      detail: `${named} presented a certificate not signed by an authority in ${trusted} (${code})`,
      hint: `${who} verifies an https:// proxy's certificate against the system's CA bundle (SSL_CERT_FILE's, when its environment sets one) and the certificate directories: add the proxy's CA to the image's bundle (update-ca-trust), or write the URL with http:// if the proxy takes plain connections`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      status: 'fail',
      detail: `${named} presented a certificate that does not name ${proxy.host}: ${describeCause(err)}`,
      hint: `the proxy's host in ${proxy.from} must be a name (or address) its certificate holds`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      status: 'fail',
      detail: `${named} presented a certificate outside its validity period (${code})`,
      hint: "the proxy's certificate must be renewed, or the node's clock is wrong: see the clock line",
    };
  }
  return undefined;
}

/**
 * What to change when a proxy refuses `who` for its credentials (HTTP's 407, SOCKS5's user and
 * password step): those in the proxy URL, or, where it has none, some there, as Go sends a
 * proxy's credentials only from its URL.
 */
export function proxyCredentialsHint(proxy: HttpProxy, who: string): string {
  const socks = isSocksProxy(proxy.url);
  const example = `${socks ? 'socks5' : 'http'}://user:password@host:port`;
  return new URL(proxy.url).username !== ''
    ? `the proxy refuses the ${socks ? 'user name and password' : 'credentials'} in ${proxy.from}: correct them there (${example})`
    : `the proxy wants ${socks ? 'a user name and password' : 'credentials'}, which ${who} sends only from the proxy URL: give them in ${proxy.from} (${example})`;
}

/**
 * A SOCKS5 proxy's refusal of the connection `who` asks it for, to `target`: what it said and what
 * to change. `instead`: what else could cure it, added to the hint of a refusal by its rules.
 */
export function socksRefusal(proxy: HttpProxy, target: string, err: SocksRefusal, who: string, instead?: string): { detail: string; hint: string } {
  const detail = `the SOCKS proxy ${proxy.shown} (${proxy.from}) refused the connection to ${target}: ${err.message}`;
  const or = instead ? `, or, ${instead}` : '';
  switch (err.reason) {
    case 'credentials':
      return { detail, hint: proxyCredentialsHint(proxy, who) };
    case 'not allowed':
      return { detail, hint: `the proxy's rules do not let the node through to ${target}: allow that host there${or}` };
    case 'unreachable':
      return { detail, hint: `the proxy could not reach ${target} itself (its DNS, routes or security groups)${or}` };
    default:
      return { detail, hint: `the proxy failed the connection to ${target}: see its log${or}` };
  }
}

/**
 * What listens at address:port by the first probe to tell: its answer to a SOCKS5 greeting
 * (proxyKind), or, with `tls`, a TLS handshake at once beside it (a TLS server waits out the
 * greeting, which is not a whole record). The other probe is stopped.
 */
async function otherKind(address: string, port: number, tls: boolean, timeoutMs: number, signal?: AbortSignal): Promise<'socks5' | 'http' | 'tls' | undefined> {
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  try {
    return await new Promise((resolve) => {
      let pending = tls ? 2 : 1;
      const settle = (kind: 'socks5' | 'http' | 'tls' | undefined): void => {
        if (kind) resolve(kind);
        else if (--pending === 0) resolve(undefined);
      };
      void proxyKind(address, port, timeoutMs, both).then(settle);
      if (tls) void speaksTls(address, port, timeoutMs, both).then((yes) => settle(yes ? 'tls' : undefined));
    });
  } finally {
    stop.abort();
  }
}

/**
 * When a proxy took the TCP connection but not the way its URL's scheme says to ask it (the
 * connection closed, an answer that is no answer), what it does speak, with the scheme to write:
 * an http:// URL naming a SOCKS5 proxy (1080) or one that wants TLS first, a socks5:// URL naming
 * an HTTP proxy (3128, 8080). Undefined for a refusal or a timeout, which are the proxy's answers
 * in its own tongue, and when no other kind answers either (a TLS proxy behind a socks5:// URL
 * lets the SOCKS greeting time out, which this cannot tell from a slow proxy). `budget` bounds
 * each probe.
 */
export async function wrongProxyKind(
  proxy: HttpProxy,
  address: string,
  err: unknown,
  who: string,
  budget: () => number,
  signal?: AbortSignal,
): Promise<{ detail: string; hint: string } | undefined> {
  if (err instanceof ProxyRefusal || err instanceof SocksRefusal || err instanceof StepTimeout) return undefined;
  // an https:// URL's own slips are told by its TLS error (proxyTlsFailure)
  if (proxy.protocol === 'https:') return undefined;
  const socks = isSocksProxy(proxy.url);
  const kind = await otherKind(address, proxy.port, !socks, budget(), signal);
  const named = `the proxy ${proxy.shown} (${proxy.from})`;
  const cause = describeCause(err);
  if (kind === 'socks5' && !socks) {
    return {
      detail: `${named} does not take a plain CONNECT (${cause}), and it answers SOCKS5`,
      hint: `${who} speaks HTTP to a proxy its URL names with http://, and this one is a SOCKS5 proxy: write the URL with socks5:// in ${proxy.from}`,
    };
  }
  if (kind === 'http' && socks) {
    return {
      detail: `${named} does not answer SOCKS5 (${cause}), and it answers HTTP`,
      hint: `${who} speaks SOCKS5 to a proxy its URL names with ${proxy.protocol}//, and this one is an HTTP proxy: write the URL with http:// in ${proxy.from}`,
    };
  }
  if (kind === 'tls') {
    return {
      detail: `${named} does not take a plain CONNECT (${cause}), and it answers TLS`,
      hint: `${who} speaks plain HTTP to a proxy its URL names with http://, and this one wants TLS first: write the URL with https:// in ${proxy.from}`,
    };
  }
  return undefined;
}

function tunnelFailureOf(proxy: HttpProxy, endpoint: Endpoint, err: unknown): Outcome {
  const target = hostPort(endpoint);
  if (err instanceof SocksRefusal) return { status: 'fail', ...socksRefusal(proxy, target, err, 'the kubelet', DIRECTLY) };
  if (err instanceof ProxyRefusal) {
    const detail = `the proxy ${proxy.shown} (${proxy.from}) answered CONNECT ${target} with ${err.message}`;
    if (err.status === 407) return { status: 'fail', detail, hint: proxyCredentialsHint(proxy, 'the kubelet') };
    if (err.status >= 500) {
      return {
        status: 'fail',
        detail,
        hint: `the proxy could not reach ${target} itself (its DNS, routes or security groups; a private endpoint's name resolves to private addresses only inside the VPC): ${DIRECTLY}, or let the proxy reach it`,
      };
    }
    return { status: 'fail', detail, hint: `the proxy does not let the node through to ${target}: allow the endpoint's host on the proxy, or, ${DIRECTLY}` };
  }
  if (err instanceof StepTimeout) {
    return {
      status: 'fail',
      detail: `the proxy ${proxy.shown} (${proxy.from}) opened no tunnel to ${target}: ${err.message}`,
      hint: `the proxy took the connection but did not connect onward in time (it may not reach the endpoint): ${DIRECTLY}, or let the proxy reach it`,
    };
  }
  if (isSocksProxy(proxy.url)) {
    return {
      status: 'fail',
      detail: `the connection to ${target} through the SOCKS proxy ${proxy.shown} (${proxy.from}) failed: ${describeCause(err)}`,
      hint: `what listens at ${proxy.shown} does not act as a SOCKS5 proxy: check ${proxy.from}`,
    };
  }
  return {
    status: 'fail',
    detail: `CONNECT ${target} through the proxy ${proxy.shown} (${proxy.from}) failed: ${describeCause(err)}`,
    hint: `what listens at ${proxy.shown} does not act as an HTTP proxy for CONNECT: check ${proxy.from}`,
  };
}

export function tlsCheck(): Check {
  return {
    name: 'tls',
    needs: ['tcp'],
    timeoutMs: 5_000,
    async run(ctx) {
      const reach = ctx.value<Reach>('tcp');
      if (!reach.caPem) return { status: 'fail', detail: 'the cluster CA is not a PEM certificate', hint: 'see the config line' };
      const { proxy } = reach;
      let tunnel: net.Socket | undefined;
      if (proxy) {
        try {
          tunnel = await proxyTunnel(proxy, reach.address, reach.endpoint, Math.max(1, ctx.remainingMs() - 100), ctx.signal);
        } catch (err) {
          const slip = await wrongProxyKind(proxy, reach.address, err, 'the kubelet', () => Math.max(1, Math.min(3_000, ctx.remainingMs() - 100)), ctx.signal);
          return slip ? { status: 'fail', ...slip } : tunnelFailure(proxy, reach.endpoint, err);
        }
      }
      // a proxy that inspects TLS shows its own certificate, signed by a CA of its own
      const inspection = proxy
        ? `the proxy ${proxy.shown} may be inspecting TLS: exempt the endpoint's host from inspection there, or put it in NO_PROXY if the node reaches it directly`
        : undefined;
      const inspectingFirst = inspection ? `${inspection}; else ` : '';
      try {
        const peer = await tlsHandshake(reach.endpoint, reach.address, reach.caPem, Math.max(1, ctx.remainingMs() - 100), ctx.signal, tunnel);
        const through = proxy ? `, through the proxy ${proxy.shown}` : '';
        return { status: 'ok', detail: `certificate (${peer.subject}, issuer ${peer.issuer}) verified against the cluster CA${through}`, value: reach };
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (WRONG_CA.has(code)) {
          return {
            status: 'fail',
            detail: `the API server's certificate is not signed by the cluster CA in the config (${code})`,
            hint:
              `${inspectingFirst}spec.cluster.certificateAuthority belongs to another (or a re-created) cluster: use certificateAuthority.data of ` +
              '`aws eks describe-cluster`, or leave the field out so the agent fetches it',
          };
        }
        if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
          return {
            status: 'fail',
            detail: `the API server's certificate does not name ${reach.endpoint.host}: ${describeCause(err)}`,
            hint: `${inspectingFirst}spec.cluster.apiServerEndpoint must be the cluster endpoint URL exactly as DescribeCluster gives it (not an IP address or a proxy)`,
          };
        }
        if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
          return {
            status: 'fail',
            detail: `the API server's certificate is outside its validity period (${code})`,
            hint: 'the node clock is probably wrong: see the clock line; enable chronyd',
          };
        }
        return {
          status: 'fail',
          detail: `TLS handshake with ${reach.endpoint.host}${proxy ? ` through the proxy ${proxy.shown}` : ''} failed: ${describeCause(err)}`,
          hint: inspection
            ? `${inspection}; the endpoint needs TLS end to end`
            : 'something between the node and the API server (a proxy or firewall doing TLS inspection) interferes; the endpoint needs direct TLS',
        };
      }
    },
  };
}

const DAY_MS = 86_400_000;

export function caCheck(deps: DoctorDeps): Check {
  return {
    name: 'ca',
    needs: ['config'],
    timeoutMs: 1_000,
    async run(ctx) {
      const cfg = ctx.value<ConfigValue>('config');
      const checked = caCertificates(cfg.config.spec.cluster.certificateAuthority);
      if ('reason' in checked)
        return {
          status: 'fail',
          detail: `spec.cluster.certificateAuthority ${checked.reason}`,
          hint: 'use certificateAuthority.data of `aws eks describe-cluster` (base64 PEM)',
        };
      const certificates = checked.value;
      const now = deps.now().getTime();
      const describe = (c: Certificate): string => `${c.subject} valid ${iso(c.validFrom)} to ${iso(c.validTo)}`;
      for (const c of certificates) {
        if (now < c.validFrom.getTime()) {
          return {
            status: 'fail',
            detail: `CA not yet valid: ${describe(c)}`,
            hint: 'the node clock is behind: see the clock line; enable chronyd (Amazon Time Sync, 169.254.169.123 or fd00:ec2::123)',
          };
        }
        if (now > c.validTo.getTime()) {
          return {
            status: 'fail',
            detail: `CA expired: ${describe(c)}`,
            hint: 'the user data carries an old CA: use the current certificateAuthority.data of the cluster',
          };
        }
      }
      const soonest = Math.min(...certificates.map((c) => c.validTo.getTime()));
      const detail = certificates.map(describe).join('; ');
      if (soonest - now < 30 * DAY_MS) {
        return {
          status: 'warn',
          detail: `CA expires within 30 days: ${detail}`,
          hint: 'the cluster CA is about to be rotated; refresh certificateAuthority in the user data afterwards',
        };
      }
      return { status: 'ok', detail };
    },
  };
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
