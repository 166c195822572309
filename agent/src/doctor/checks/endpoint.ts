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
  /** the address dialled (the first one resolved) */
  address: string;
  caPem: string;
}

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
      const reach = (address: string): Reach => ({ endpoint, address, caPem: caPemOf(cfg) });
      if (net.isIP(endpoint.host)) return { status: 'ok', detail: `${endpoint.host} is an IP address`, value: reach(endpoint.host) };
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
            value: reach(addresses[0]!),
          };
        }
        return { status: 'ok', detail: `${resolves} (pinned in ${HOSTS_PATH} for the local cluster)`, value: reach(addresses[0]!) };
      }
      return { status: 'ok', detail: resolves, value: reach(addresses[0]!) };
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

export function tcpCheck(): Check {
  return {
    name: 'tcp',
    needs: ['dns'],
    timeoutMs: 5_000,
    async run(ctx) {
      const { endpoint, address } = ctx.value<Reach>('dns');
      const target = `${address}:${endpoint.port}`;
      const timeoutMs = Math.max(1, ctx.remainingMs() - 100);
      try {
        await tcpConnect(address, endpoint.port, timeoutMs, ctx.signal);
        return { status: 'ok', detail: `connected to ${target}`, value: ctx.value<Reach>('dns') };
      } catch (err) {
        if (err instanceof StepTimeout) {
          return { status: 'fail', detail: `no TCP connection to ${target} within ${(timeoutMs / 1000).toFixed(1)}s`, hint: droppedHint(address) };
        }
        return {
          status: 'fail',
          detail: `TCP connect to ${target} failed: ${describeCause(err)}`,
          hint: 'a refused connection means nothing listens there: check spec.cluster.apiServerEndpoint (host and port)',
        };
      }
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
