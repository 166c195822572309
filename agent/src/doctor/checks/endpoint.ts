import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { describeCause } from '../../errors.js';
import { type Certificate, caCertificates, checkCertificateAuthority } from '../../api/cluster-values.js';
import { StepTimeout, parseEndpoint, tcpConnect, tlsHandshake, type Endpoint } from '../net.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';
import { HOSTS_PATH, pinnedIn } from '../../apply/hosts-pin.js';

export interface Reach {
  endpoint: Endpoint;
  /** the address the next steps dial: the first one resolved, and after the tcp line the first that answered */
  address: string;
  /** every address the name resolved to, in the resolver's order (an endpoint given by IP: that one) */
  addresses: string[];
  caPem: string;
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
      const reach = (addresses: string[]): Reach => ({ endpoint, address: addresses[0]!, addresses, caPem: caPemOf(cfg) });
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
      const { port } = reach.endpoint;
      const timeoutMs = Math.max(1, ctx.remainingMs() - 100);
      const within = `within ${(timeoutMs / 1000).toFixed(1)}s`;
      const target = (address: string) => `${address}:${port}`;
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
      const hintFor = (d: { address: string; err: unknown }) => (d.err instanceof StepTimeout ? droppedHint(d.address) : REFUSED_HINT);
      if (failed.length === 0) return { status: 'ok', detail: `connected to ${answered.map(target).join(', ')}`, value: reach };
      const first = failed[0]!;
      if (answered.length > 0) {
        const why = failed.map(
          (d) => `${target(d.address)} ${d.err instanceof StepTimeout ? `gave no connection ${within}` : `failed: ${describeCause(d.err)}`}`,
        );
        return {
          status: 'warn',
          detail: `connected to ${answered.map(target).join(', ')}, but ${why.join('; ')}`,
          hint: `the kubelet dials the name's addresses in turn, so it connects, but each connection that tries ${failed.map((d) => d.address).join(' or ')} first waits or fails before the next; ${hintFor(first)}`,
          value: { ...reach, address: answered[0]! },
        };
      }
      if (failed.every((d) => d.err instanceof StepTimeout)) {
        return { status: 'fail', detail: `no TCP connection to ${failed.map((d) => target(d.address)).join(', ')} ${within}`, hint: hintFor(first) };
      }
      return {
        status: 'fail',
        detail: failed
          .map((d) => `TCP connect to ${target(d.address)} failed: ${d.err instanceof StepTimeout ? `no connection ${within}` : describeCause(d.err)}`)
          .join('; '),
        hint: hintFor(first),
      };
    },
  };
}

const WRONG_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

export function tlsCheck(): Check {
  return {
    name: 'tls',
    needs: ['tcp'],
    timeoutMs: 5_000,
    async run(ctx) {
      const reach = ctx.value<Reach>('tcp');
      if (!reach.caPem) return { status: 'fail', detail: 'the cluster CA is not a PEM certificate', hint: 'see the config line' };
      try {
        const peer = await tlsHandshake(reach.endpoint, reach.address, reach.caPem, Math.max(1, ctx.remainingMs() - 100), ctx.signal);
        return { status: 'ok', detail: `certificate (${peer.subject}, issuer ${peer.issuer}) verified against the cluster CA`, value: reach };
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (WRONG_CA.has(code)) {
          return {
            status: 'fail',
            detail: `the API server's certificate is not signed by the cluster CA in the config (${code})`,
            hint:
              'spec.cluster.certificateAuthority belongs to another (or a re-created) cluster: use certificateAuthority.data of ' +
              '`aws eks describe-cluster`, or leave the field out so the agent fetches it',
          };
        }
        if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
          return {
            status: 'fail',
            detail: `the API server's certificate does not name ${reach.endpoint.host}: ${describeCause(err)}`,
            hint: 'spec.cluster.apiServerEndpoint must be the cluster endpoint URL exactly as DescribeCluster gives it (not an IP address or a proxy)',
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
          detail: `TLS handshake with ${reach.endpoint.host} failed: ${describeCause(err)}`,
          hint: 'something between the node and the API server (a proxy or firewall doing TLS inspection) interferes; the endpoint needs direct TLS',
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
