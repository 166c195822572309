import ipaddr from 'ipaddr.js';
import { InputError } from '../errors.js';
import type { InstanceFacts } from '../facts/types.js';

export type IpFamily = 'ipv4' | 'ipv6';

interface ServiceCidr {
  family: IpFamily;
  network: ipaddr.IPv4 | ipaddr.IPv6;
  prefix: number;
}

function parseServiceCidr(cidr: string): ServiceCidr {
  const invalid = (cause?: unknown) =>
    new InputError(`spec.cluster.cidr: ${JSON.stringify(cidr)} is not a CIDR (expected e.g. "10.100.0.0/16" or "fd00::/108")`, { cause });
  // ipaddr.js also accepts classful shorthands such as "10.0.0"; a service CIDR must be written out.
  const [address = '', prefixText = ''] = cidr.trim().split('/');
  if (!/^\d{1,3}$/.test(prefixText) || !(ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address))) {
    throw invalid();
  }
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(cidr.trim());
  } catch (err) {
    throw invalid(err);
  }
  const [addr, prefix] = parsed;
  if (addr.kind() === 'ipv4') {
    return { family: 'ipv4', network: ipaddr.IPv4.networkAddressFromCIDR(cidr.trim()), prefix };
  }
  return { family: 'ipv6', network: ipaddr.IPv6.networkAddressFromCIDR(cidr.trim()), prefix };
}

export function serviceCidrFamily(cidr: string): IpFamily {
  return parseServiceCidr(cidr).family;
}

/**
 * The cluster DNS service address: the network address + 10, the convention of EKS
 * (10.100.0.0/16 -> 10.100.0.10, fd00::/108 -> fd00::a).
 */
export function clusterDnsAddress(cidr: string): string {
  const { network, prefix, family } = parseServiceCidr(cidr);
  const hostBits = (family === 'ipv4' ? 32 : 128) - prefix;
  if (hostBits < 4) {
    throw new InputError(`spec.cluster.cidr: ${JSON.stringify(cidr)} is too small to hold the DNS address .10 (expected a prefix of at most /${family === 'ipv4' ? 28 : 124})`);
  }
  const bytes = network.toByteArray();
  let carry = 10;
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const sum = (bytes[i] ?? 0) + carry;
    bytes[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** The address the kubelet registers, of the same family as the service CIDR. */
export function nodeIp(family: IpFamily, instance: InstanceFacts): string {
  if (family === 'ipv6') {
    if (!instance.ipv6) {
      throw new InputError('facts.ipv6: missing, but spec.cluster.cidr is an IPv6 CIDR (expected the primary interface\'s IPv6 address, e.g. "2600:1f14::1")');
    }
    return checkAddress('facts.ipv6', instance.ipv6, 'ipv6');
  }
  return checkAddress('facts.privateIpv4', instance.privateIpv4, 'ipv4');
}

function checkAddress(field: string, value: string, family: IpFamily): string {
  if (!ipaddr.isValid(value) || ipaddr.parse(value).kind() !== family) {
    throw new InputError(`${field}: ${JSON.stringify(value)} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  }
  return ipaddr.parse(value).toString();
}
