import ipaddr from 'ipaddr.js';
import { isWrittenOutIp } from './cluster-values.js';

/** The name a DNS-over-TLS server's certificate is checked for: a DNS name. */
const SERVER_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;
/** A network interface's name (at most 15 characters, as the kernel keeps) or index. */
const INTERFACE = /^[A-Za-z0-9_.:-]{1,15}$/;

const isPort = (text: string | undefined): boolean => text !== undefined && /^[0-9]{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;

/**
 * A DNS server as systemd-resolved's `DNS=` takes it (resolved.conf(5)): an IP address written
 * out, with an optional `:port` (an IPv6 address in brackets then: `[fd00::1]:53`), `%interface`
 * (a name or index) and `#server-name` (the name DNS-over-TLS checks the server's certificate
 * for), in that order. nodeadm writes `spec.instance.network.nameservers` into its resolved
 * drop-in as given, so every form resolved takes is taken here; anything else (a host name, a
 * space or a newline, which would change the drop-in) is not.
 */
export function isResolvedServer(text: string): boolean {
  let rest = text;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    if (!SERVER_NAME.test(rest.slice(hash + 1))) return false;
    rest = rest.slice(0, hash);
  }
  const percent = rest.lastIndexOf('%');
  if (percent >= 0) {
    if (!INTERFACE.test(rest.slice(percent + 1))) return false;
    rest = rest.slice(0, percent);
  }
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(rest);
  if (bracketed) return ipaddr.IPv6.isValid(bracketed[1]!) && (bracketed[2] === undefined || isPort(bracketed[2]));
  const colon = rest.indexOf(':');
  if (colon >= 0 && colon === rest.lastIndexOf(':')) return ipaddr.IPv4.isValidFourPartDecimal(rest.slice(0, colon)) && isPort(rest.slice(colon + 1));
  return isWrittenOutIp(rest);
}
