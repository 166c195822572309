import ipaddr from 'ipaddr.js';
import type { Imds } from '../aws/imds.js';

/**
 * The DNS names and addresses this instance has, as IMDS tells them: its host names (every name
 * of a DHCP options set with several domains), public names, and each network interface's
 * private IPv4, public IPv4 and IPv6 addresses. doctor holds a kubelet-serving CSR's names against
 * them: EKS signs a node's serving certificate only for the instance's own names and addresses.
 */
export interface InstanceNames {
  /** lower case, without a trailing dot */
  dns: Set<string>;
  /** as ipaddr.js writes them (IPv6 in RFC 5952 form, as the CSR reader does) */
  ips: Set<string>;
}

const words = (text: string | undefined): string[] => (text ?? '').split(/\s+/).filter((w) => w !== '');

const dnsKey = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function ipKey(address: string): string | undefined {
  try {
    return ipaddr.parse(address).toString();
  } catch {
    return undefined;
  }
}

const TOP = ['local-hostname', 'public-hostname', 'local-ipv4', 'public-ipv4'];
const PER_INTERFACE = ['local-hostname', 'public-hostname', 'local-ipv4s', 'public-ipv4s', 'ipv6s'];

/**
 * What IMDS knows of the instance's names, with `also` (the node name ec2:DescribeInstances
 * gave) among the DNS names; undefined when IMDS did not answer every question, as a partial
 * list would call the instance's own names foreign.
 */
export async function instanceNames(imds: Imds, also: string[] = []): Promise<InstanceNames | undefined> {
  try {
    const ask = (path: string) => imds.getOptional(`meta-data/${path}`);
    const macs = words(await ask('network/interfaces/macs/')).map((m) => m.replace(/\/$/, ''));
    const paths = [...TOP, ...macs.flatMap((mac) => PER_INTERFACE.map((leaf) => `network/interfaces/macs/${mac}/${leaf}`))];
    const answers = await Promise.all(paths.map(ask));
    const names: InstanceNames = { dns: new Set(also.map(dnsKey)), ips: new Set() };
    paths.forEach((path, i) => {
      for (const word of words(answers[i])) {
        if (/hostname$/.test(path)) names.dns.add(dnsKey(word));
        else {
          const ip = ipKey(word);
          if (ip) names.ips.add(ip);
        }
      }
    });
    return names;
  } catch {
    return undefined;
  }
}

/** The names of `requested` (`DNS:x`, `IP Address:y`, a certificate's spelling) the instance does not have. */
export function foreignNames(requested: string[], known: InstanceNames): string[] {
  return requested.filter((name) => {
    if (name.startsWith('DNS:')) return !known.dns.has(dnsKey(name.slice('DNS:'.length)));
    if (name.startsWith('IP Address:')) {
      const ip = ipKey(name.slice('IP Address:'.length));
      return ip === undefined || !known.ips.has(ip);
    }
    return false;
  });
}
