import ipaddr from 'ipaddr.js';
import type { IpFamily } from '../api/cluster-values.js';
import { InputError } from '../errors.js';
import type { InstanceFacts } from '../facts/types.js';
import { show } from '../api/problems.js';

export type { IpFamily } from '../api/cluster-values.js';

/** The address the kubelet registers, of the same family as the service CIDR. */
export function nodeIp(family: IpFamily, instance: InstanceFacts): string {
  if (family === 'ipv6') {
    if (!instance.ipv6) {
      throw new InputError('facts.ipv6: missing, but spec.cluster.cidr is an IPv6 CIDR (expected the primary interface\'s IPv6 address, e.g. "2600:1f14::1")');
    }
    return checkAddress('facts.ipv6', instance.ipv6, 'ipv6');
  }
  if (!instance.privateIpv4) {
    throw new InputError(
      'facts.privateIpv4: missing (IMDS has no local-ipv4: an instance without IPv4), but spec.cluster.cidr is an IPv4 CIDR (a node in an IPv6-only subnet joins an IPv6 cluster)',
    );
  }
  return checkAddress('facts.privateIpv4', instance.privateIpv4, 'ipv4');
}

function checkAddress(field: string, value: string, family: IpFamily): string {
  if (!ipaddr.isValid(value) || ipaddr.parse(value).kind() !== family) {
    throw new InputError(`${field}: ${show(value)} is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  }
  return ipaddr.parse(value).toString();
}
