import ipaddr from 'ipaddr.js';
import { CertificateFormatError, type ParsedCertificate, parseCertificate } from './certificate.js';

/**
 * The rules for the three cluster values that may come from the user data, a `--cluster` file,
 * the cached answer or eks:DescribeCluster. Each check gives the parsed value or the reason it
 * is refused; callers add the field path and say where the value came from.
 */

export type IpFamily = 'ipv4' | 'ipv6';

export interface ServiceCidr {
  family: IpFamily;
  /** the cluster DNS service address: network + 10 (10.100.0.0/16 -> 10.100.0.10, fd00::/108 -> fd00::a) */
  dnsAddress: string;
}

export type Checked<T> = { value: T } | { reason: string };

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ENDPOINT = /^https:\/\/([^/:?#@\s[\]]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?\/?$/;
const EXPECTED_ENDPOINT = 'expected https://host or https://host:port, e.g. "https://ABCD.gr7.us-west-2.eks.amazonaws.com"';

/**
 * Exactly `https://host[:port]`, what EKS returns (a trailing "/" is dropped): no user info, no
 * path, query or fragment, nothing that could break out of the kubeconfig's `server` line.
 */
export function checkEndpoint(value: string): Checked<string> {
  const m = ENDPOINT.exec(value);
  if (!m) {
    if (!value.startsWith('https://')) return { reason: `is not an https URL (${EXPECTED_ENDPOINT})` };
    return { reason: `is not just a scheme, host and port (${EXPECTED_ENDPOINT}; no user info, path, query or whitespace)` };
  }
  const host = m[1] ?? '';
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return { reason: `has port ${port}, outside 1-65535` };
  const bracketed = host.startsWith('[');
  const hostOk = bracketed ? ipaddr.IPv6.isValid(host.slice(1, -1)) : host.length <= 253 && host.split('.').every((l) => HOST_LABEL.test(l));
  if (!hostOk) return { reason: `has a host that is not a DNS name or IP address (${EXPECTED_ENDPOINT})` };
  return { value: value.replace(/\/$/, '') };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** padded base64 with no whitespace: what a PEM body and certificateAuthority are, once their whitespace is gone */
const isBase64 = (text: string) => BASE64.test(text) && text.length % 4 === 0;
const PEM_MARKER = /-----(BEGIN|END) CERTIFICATE-----/g;

export interface Certificate extends ParsedCertificate {
  /** the PEM block, LF line ends */
  pem: string;
}

/**
 * Every certificate of a PEM bundle, each parsed: the one reading of a CA bundle, so `config
 * check`, `init` and `doctor` judge it alike. Text between blocks is ignored (as openssl does); a
 * BEGIN line without its END line (a bundle cut short by a template) is refused rather than
 * dropped, since the kubelet would then trust fewer certificates than the user gave.
 */
export function certificatesOf(pem: string): Checked<Certificate[]> {
  const blocks: string[] = [];
  let begin = -1;
  for (const m of pem.matchAll(PEM_MARKER)) {
    if (m[1] === 'BEGIN') {
      if (begin >= 0) break;
      begin = m.index;
    } else if (begin < 0) {
      return { reason: `holds an END CERTIFICATE line without its BEGIN line (after certificate ${blocks.length})` };
    } else {
      blocks.push(pem.slice(begin, m.index + m[0].length).replace(/\r\n/g, '\n'));
      begin = -1;
    }
  }
  if (begin >= 0) return { reason: `holds a truncated PEM certificate (certificate ${blocks.length + 1} has a BEGIN line but no END line)` };
  if (blocks.length === 0) return { reason: 'holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----...")' };
  const certificates: Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    const body = block.replace(PEM_MARKER, '').replace(/\s+/g, '');
    try {
      if (!isBase64(body)) throw new CertificateFormatError('its body is not base64');
      certificates.push({ pem: block, ...parseCertificate(Buffer.from(body, 'base64')) });
    } catch (err) {
      if (!(err instanceof CertificateFormatError)) throw err;
      return { reason: `holds a PEM block that is not a valid X.509 certificate (certificate ${i + 1} of ${blocks.length}: ${err.message})` };
    }
  }
  return { value: certificates };
}

/** The certificates of a base64 CA bundle, as spec.cluster.certificateAuthority and eks:DescribeCluster carry it. */
export function caCertificates(value: string): Checked<Certificate[]> {
  const compact = value.replace(/\s+/g, '');
  if (!isBase64(compact)) return { reason: 'is not base64 (expected the base64 of a PEM bundle, as eks:DescribeCluster returns it)' };
  const certificates = certificatesOf(Buffer.from(compact, 'base64').toString('utf8'));
  if ('reason' in certificates) return { reason: `is base64 but ${certificates.reason}` };
  return certificates;
}

/** The base64 CA bundle as the PEM file the kubelet reads: every certificate parsed. */
export function checkCertificateAuthority(value: string): Checked<string> {
  const certificates = caCertificates(value);
  if ('reason' in certificates) return certificates;
  return { value: `${certificates.value.map((c) => c.pem).join('\n')}\n` };
}

const EXPECTED_CIDR = 'expected e.g. "10.100.0.0/16" or "fd00::/108"';

/**
 * An IP address written out: four decimal parts for IPv4, or an IPv6 address. ipaddr.js also
 * takes the old short and classful IPv4 forms ("10.2", "10.100.0"), which no resolver, service
 * CIDR or clusterDNS entry is written as.
 */
export function isWrittenOutIp(text: string): boolean {
  return text.includes(':') ? ipaddr.IPv6.isValid(text) : ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** A service CIDR's family when it passes the rules (one that fails them decides nothing). */
export function serviceCidrFamily(cidr: string | undefined): IpFamily | undefined {
  const checked = cidr ? checkServiceCidr(cidr) : undefined;
  return checked && 'value' in checked ? checked.value.family : undefined;
}

/** A service CIDR written out in full, large enough to hold the DNS address (network + 10). */
export function checkServiceCidr(value: string): Checked<ServiceCidr> {
  const [address = '', prefixText = ''] = value.split('/');
  // ipaddr.js also takes the old short IPv4 forms ("10.100.0/16"); a service CIDR has four parts.
  const written = /^\d{1,3}$/.test(prefixText) && isWrittenOutIp(address);
  if (!written || !ipaddr.isValidCIDR(value)) return { reason: `is not a valid CIDR (${EXPECTED_CIDR})` };
  const [addr, prefix] = ipaddr.parseCIDR(value);
  const family: IpFamily = addr.kind() === 'ipv4' ? 'ipv4' : 'ipv6';
  const bits = family === 'ipv4' ? 32 : 128;
  if (bits - prefix < 4) return { reason: `is too small to hold the cluster DNS address (network + 10; expected a prefix of at most /${bits - 4})` };
  const network = family === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(value) : ipaddr.IPv6.networkAddressFromCIDR(value);
  const bytes = network.toByteArray();
  let carry = 10;
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const sum = (bytes[i] ?? 0) + carry;
    bytes[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return { value: { family, dnsAddress: ipaddr.fromByteArray(bytes).toString() } };
}
