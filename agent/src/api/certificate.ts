/**
 * The X.509 reading the agent does itself: the DER structure of RFC 5280's Certificate, the
 * validity period and the subject, nothing more. Loading node:crypto (OpenSSL's initialisation
 * and some twenty built-in modules) cost 16-18 M of the 284 M instructions of `init` with
 * complete user data (6-20 ms of its 120-150 ms, with the machine), more than the config phase's
 * render and write steps together; an ASN.1 schema library cost more still (scripts/sea/README.md has the figures). Signatures are not checked
 * here: the kubelet checks the API server's chain against this bundle, and doctor's endpoint
 * check does the handshake.
 *
 * Strict where the kubelet (Go's crypto/x509) is strict about the outer form: DER lengths only
 * (definite, minimal), every field of the TBSCertificate in its order, the times as RFC 5280
 * writes them, no bytes after the certificate.
 */

import ipaddr from 'ipaddr.js';

export interface ParsedCertificate {
  /** the subject as `CN=kubernetes` or `C=US, O=Example, CN=ca`, in the certificate's order */
  subject: string;
  validFrom: Date;
  validTo: Date;
}

export class CertificateFormatError extends Error {}

interface Tlv {
  tag: number;
  /** offset of the first content byte */
  start: number;
  /** offset just past the last content byte */
  end: number;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const BOOLEAN = 0x01;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

function fail(why: string): never {
  throw new CertificateFormatError(why);
}

/** One tag-length-value at `at`, which must end by `limit`. */
function tlv(der: Uint8Array, at: number, limit: number, what: string): Tlv {
  if (at + 2 > limit) fail(`${what}: ends early`);
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) fail(`${what}: a multi-byte tag, which no certificate field uses`);
  const first = der[at + 1] as number;
  let length = first;
  let start = at + 2;
  if (first === 0x80) fail(`${what}: an indefinite length (BER, not DER)`);
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) fail(`${what}: a length of ${count} bytes`);
    if (start + count > limit) fail(`${what}: ends early`);
    if (der[start] === 0) fail(`${what}: a length with a leading zero byte (not DER)`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] as number);
    if (length < 0x80) fail(`${what}: a long-form length under 128 (not DER)`);
    start += count;
  }
  if (start + length > limit) fail(`${what}: its length runs past the end`);
  return { tag, start, end: start + length };
}

/** The elements inside a constructed value, in order. */
function children(der: Uint8Array, parent: Tlv, what: string): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = tlv(der, at, parent.end, what);
    out.push(child);
    at = child.end;
  }
  return out;
}

const TAG_NAMES: Record<number, string> = {
  1: 'a BOOLEAN',
  2: 'an INTEGER',
  3: 'a BIT STRING',
  4: 'an OCTET STRING',
  6: 'an OBJECT IDENTIFIER',
  48: 'a SEQUENCE',
  49: 'a SET',
};
const hex = (tag: number) => `0x${tag.toString(16).padStart(2, '0')}`;

function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t) fail(`${what}: missing`);
  if (t.tag !== tag) fail(`${what}: expected ${TAG_NAMES[tag] ?? `tag ${hex(tag)}`}, found tag ${hex(t.tag)}`);
  return t;
}

function algorithmIdentifier(der: Uint8Array, t: Tlv | undefined, what: string): void {
  const seq = expectTag(t, SEQUENCE, what);
  const parts = children(der, seq, what);
  if (parts.length < 1 || parts.length > 2) fail(`${what}: ${parts.length} elements where an algorithm and its parameters belong`);
  objectIdentifier(der, expectTag(parts[0], OID, `${what} algorithm`), `${what} algorithm`);
}

function bitString(der: Uint8Array, t: Tlv | undefined, what: string): void {
  const bits = expectTag(t, BIT_STRING, what);
  if (bits.end === bits.start || (der[bits.start] as number) > 7) fail(`${what}: not a bit string`);
}

function objectIdentifier(der: Uint8Array, t: Tlv, what: string): string {
  if (t.end === t.start || (der[t.end - 1] as number) & 0x80) fail(`${what}: not an object identifier`);
  const arcs: number[] = [];
  let value = 0;
  for (let i = t.start; i < t.end; i++) {
    const byte = der[i] as number;
    if (value === 0 && byte === 0x80) fail(`${what}: not an object identifier (padded arc)`);
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs[0] as number;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

const UTC = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** A Time of RFC 5280: UTCTime YYMMDDHHMMSSZ (50-99 are 19xx) or GeneralizedTime YYYYMMDDHHMMSSZ. */
function time(der: Uint8Array, t: Tlv | undefined, what: string): Date {
  if (!t || (t.tag !== UTC_TIME && t.tag !== GENERALIZED_TIME)) fail(`${what}: not a UTCTime or GeneralizedTime`);
  const text = String.fromCharCode(...der.subarray(t.start, t.end));
  const m = (t.tag === UTC_TIME ? UTC : GENERALIZED).exec(text);
  if (!m) fail(`${what}: "${text}" is not written as RFC 5280 requires (seconds, then Z)`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const fullYear = t.tag === UTC_TIME ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  const date = new Date(0);
  date.setUTCFullYear(fullYear, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  // a Date rolls 31 February over into March; a real date reads back the same
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) fail(`${what}: "${text}" is not a date`);
  return date;
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
/** the string types a name's attribute value is written in; BMPString is UTF-16 */
const TEXT = new Map<number, (bytes: Uint8Array) => string>([
  [0x0c, (b) => Buffer.from(b).toString('utf8')],
  [0x13, (b) => Buffer.from(b).toString('latin1')],
  [0x14, (b) => Buffer.from(b).toString('latin1')],
  [0x16, (b) => Buffer.from(b).toString('latin1')],
  [0x1e, (b) => Buffer.from(b).swap16().toString('utf16le')],
]);

/** A Name: SEQUENCE OF RelativeDistinguishedName (SET OF type and value), for display. */
function name(der: Uint8Array, t: Tlv | undefined, what: string): string {
  const seq = expectTag(t, SEQUENCE, what);
  const parts: string[] = [];
  for (const rdn of children(der, seq, what)) {
    for (const attribute of children(der, expectTag(rdn, SET, what), what)) {
      const [type, value] = children(der, expectTag(attribute, SEQUENCE, what), what);
      const oid = objectIdentifier(der, expectTag(type, OID, `${what} attribute`), `${what} attribute`);
      if (!value) fail(`${what}: an attribute without a value`);
      const bytes = der.subarray(value.start, value.end);
      const decode = TEXT.get(value.tag);
      const text = decode && !(value.tag === 0x1e && bytes.length % 2) ? decode(bytes) : `#${Buffer.from(bytes).toString('hex')}`;
      parts.push(`${SHORT_NAMES[oid] ?? oid}=${text}`);
    }
  }
  return parts.join(', ');
}

/** Reads one DER certificate; throws CertificateFormatError naming the part that is wrong. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (der.length === 0) fail('no bytes');
  const outer = expectTag(tlv(der, 0, der.length, 'certificate'), SEQUENCE, 'certificate');
  if (outer.end !== der.length) fail(`certificate: ${der.length - outer.end} bytes after its end`);
  const [tbsTlv, signatureAlgorithm, signature, extra] = children(der, outer, 'certificate');
  if (extra) fail('certificate: more than the signed part, algorithm and signature');
  const tbs = children(der, expectTag(tbsTlv, SEQUENCE, 'tbsCertificate'), 'tbsCertificate');
  let i = 0;
  if (tbs[0]?.tag === 0xa0) {
    const [version, more] = children(der, tbs[0], 'version');
    const v = expectTag(version, INTEGER, 'version');
    if (more || v.end - v.start !== 1 || (der[v.start] as number) > 2) fail('version: not v1, v2 or v3');
    i++;
  }
  const serial = expectTag(tbs[i++], INTEGER, 'serialNumber');
  if (serial.end === serial.start) fail('serialNumber: empty');
  algorithmIdentifier(der, tbs[i++], 'signature');
  name(der, tbs[i++], 'issuer');
  const validity = expectTag(tbs[i++], SEQUENCE, 'validity');
  const [notBefore, notAfter, later] = children(der, validity, 'validity');
  if (later) fail('validity: more than notBefore and notAfter');
  const validFrom = time(der, notBefore, 'validity notBefore');
  const validTo = time(der, notAfter, 'validity notAfter');
  const subject = name(der, tbs[i++], 'subject');
  const spki = children(der, expectTag(tbs[i++], SEQUENCE, 'subjectPublicKeyInfo'), 'subjectPublicKeyInfo');
  if (spki.length !== 2) fail('subjectPublicKeyInfo: not an algorithm and a key');
  algorithmIdentifier(der, spki[0], 'subjectPublicKeyInfo algorithm');
  bitString(der, spki[1], 'subjectPublicKey');
  // optional issuerUniqueID [1], subjectUniqueID [2], extensions [3], each at most once, in order
  for (const tag of [0x81, 0x82, 0xa3]) if (tbs[i]?.tag === tag) i++;
  const unexpected = tbs[i];
  if (unexpected) fail(`tbsCertificate: an unexpected field (tag ${hex(unexpected.tag)}) after subjectPublicKeyInfo`);
  const extensions = tbs.find((t) => t.tag === 0xa3);
  if (extensions) {
    const [list, more] = children(der, extensions, 'extensions');
    if (more) fail('extensions: more than one list');
    // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    for (const extension of children(der, expectTag(list, SEQUENCE, 'extensions'), 'extensions')) {
      const [id, ...rest] = children(der, expectTag(extension, SEQUENCE, 'extension'), 'extension');
      const oid = objectIdentifier(der, expectTag(id, OID, 'extension id'), 'extension id');
      if (rest[0]?.tag === BOOLEAN && rest[0].end - rest[0].start === 1) rest.shift();
      if (rest.length !== 1) fail(`extension ${oid}: not an optional critical flag and a value`);
      expectTag(rest[0], OCTET_STRING, `extension ${oid} value`);
    }
  }
  algorithmIdentifier(der, signatureAlgorithm, 'signatureAlgorithm');
  bitString(der, signature, 'signatureValue');
  return { subject, validFrom, validTo };
}

export interface ParsedCertificateRequest {
  /** the subject, written as a certificate's is */
  subject: string;
  /** the subjectAltName extension's DNS names and IP addresses, in its order */
  dnsNames: string[];
  ipAddresses: string[];
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

/** An iPAddress general name: 4 bytes, or 16 written as RFC 5952 text; any other length as hex. */
function ipAddress(bytes: Uint8Array): string {
  if (bytes.length !== 4 && bytes.length !== 16) return `#${Buffer.from(bytes).toString('hex')}`;
  return ipaddr.fromByteArray(Array.from(bytes)).toString();
}

/**
 * Reads one DER PKCS#10 certificate request (RFC 2986), as the kubelet sends in a
 * CertificateSigningRequest: its subject and the names its extensionRequest asks for. doctor
 * shows them beside a serving CSR that is not issued; the signature is not checked.
 */
export function parseCertificateRequest(der: Uint8Array): ParsedCertificateRequest {
  if (der.length === 0) fail('no bytes');
  const outer = expectTag(tlv(der, 0, der.length, 'certificate request'), SEQUENCE, 'certificate request');
  if (outer.end !== der.length) fail(`certificate request: ${der.length - outer.end} bytes after its end`);
  const [infoTlv, signatureAlgorithm, signature, extra] = children(der, outer, 'certificate request');
  if (extra) fail('certificate request: more than the request, algorithm and signature');
  const [version, subjectTlv, spki, attributes, more] = children(der, expectTag(infoTlv, SEQUENCE, 'certificationRequestInfo'), 'certificationRequestInfo');
  const v = expectTag(version, INTEGER, 'version');
  if (v.end - v.start !== 1 || der[v.start] !== 0) fail('version: not v1');
  const subject = name(der, subjectTlv, 'subject');
  expectTag(spki, SEQUENCE, 'subjectPKInfo');
  if (more) fail('certificationRequestInfo: an unexpected field after the attributes');
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  // attributes [0] IMPLICIT SET OF Attribute; Attribute ::= SEQUENCE { type, values SET OF ANY }
  for (const attribute of attributes ? children(der, expectTag(attributes, 0xa0, 'attributes'), 'attributes') : []) {
    const [type, values] = children(der, expectTag(attribute, SEQUENCE, 'attribute'), 'attribute');
    if (objectIdentifier(der, expectTag(type, OID, 'attribute type'), 'attribute type') !== EXTENSION_REQUEST) continue;
    for (const list of children(der, expectTag(values, SET, 'extensionRequest'), 'extensionRequest')) {
      for (const extension of children(der, expectTag(list, SEQUENCE, 'extensions'), 'extensions')) {
        const [id, ...rest] = children(der, expectTag(extension, SEQUENCE, 'extension'), 'extension');
        const oid = objectIdentifier(der, expectTag(id, OID, 'extension id'), 'extension id');
        if (rest[0]?.tag === BOOLEAN) rest.shift();
        const value = expectTag(rest[0], OCTET_STRING, `extension ${oid} value`);
        if (oid !== SUBJECT_ALT_NAME) continue;
        const names = expectTag(tlv(der, value.start, value.end, 'subjectAltName'), SEQUENCE, 'subjectAltName');
        for (const general of children(der, names, 'subjectAltName')) {
          const bytes = der.subarray(general.start, general.end);
          // dNSName [2] IMPLICIT IA5String, iPAddress [7] IMPLICIT OCTET STRING
          if (general.tag === 0x82) dnsNames.push(Buffer.from(bytes).toString('latin1'));
          else if (general.tag === 0x87) ipAddresses.push(ipAddress(bytes));
        }
      }
    }
  }
  algorithmIdentifier(der, signatureAlgorithm, 'signatureAlgorithm');
  bitString(der, signature, 'signature');
  return { subject, dnsNames, ipAddresses };
}
