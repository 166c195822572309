/**
 * The one scrubber for everything the doctor lets out: the terminal report, `--output json` and
 * every file of the support bundle. It removes what authenticates (tokens, keys, passwords),
 * keeps what explains (names, addresses, messages), and leaves certificates alone: they are
 * public, and a support engineer needs the CA exactly as it is on disk.
 */
import type { InstanceRole } from './checks/imds.js';

export const REDACTED = '<redacted>';

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** [pattern, replacement]; applied in order, so a header's whole value goes before its parts. */
const RULES: Array<[RegExp, string | ((...groups: string[]) => string)]> = [
  // Authorization: Bearer …, Proxy-Authorization: Basic …, "authorization":"…" — the whole value
  // but its scheme, which says what kind of credential was sent.
  [
    /((?:proxy-)?authorization\\?"?\s*[:=]\s*\\?"?)(?:(Bearer|Basic|Digest|Negotiate|AWS4-HMAC-SHA256)\s+)?[^"\\\r\n]+/gi,
    (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  ],
  // scheme://user:password@host — proxies and registry mirrors carry passwords this way.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi, `$1${REDACTED}@`],
  [/k8s-aws-v1\.[A-Za-z0-9_\-=.]+/g, `k8s-aws-v1.${REDACTED}`],
  // JWTs: service-account and OIDC tokens (header.payload.signature, base64url, header "{"…).
  [/\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  [/(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s"']+/gi, `$1${REDACTED}`],
  [
    /("?(?:SecretAccessKey|SessionToken|AccessKeyId|Token|aws_secret_access_key|aws_session_token|aws_access_key_id|secret_?key|secret|password|passwd|token)"?\s*[:=]\s*"?)[^\s",}]+/gi,
    `$1${REDACTED}`,
  ],
  // A bare 40-character AWS secret access key: mixed case base64 alphabet, standing alone.
  [/(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, REDACTED],
];

function scrubPlain(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}

/**
 * `text` with every secret replaced by `<redacted>`: the patterns above, plus the exact values in
 * `secrets` (credentials and tokens this run handled, so even an unusual shape is caught).
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join(REDACTED);
  out = out.replace(PRIVATE_KEY, `-----BEGIN PRIVATE KEY-----\n${REDACTED}\n-----END PRIVATE KEY-----`);
  const kept: string[] = [];
  let last = 0;
  for (const m of out.matchAll(CERTIFICATE)) {
    kept.push(scrubPlain(out.slice(last, m.index)), m[0]);
    last = m.index + m[0].length;
  }
  kept.push(scrubPlain(out.slice(last)));
  return kept.join('');
}

/** The credentials and token the checks obtained (their values map), to scrub by exact value. */
export function secretsOf(values: ReadonlyMap<string, unknown>): string[] {
  const role = values.get('instance-profile') as InstanceRole | undefined;
  const auth = values.get('auth') as { token?: string } | undefined;
  return [role?.credentials.accessKeyId, role?.credentials.secretAccessKey, role?.credentials.sessionToken, auth?.token].filter(
    (s): s is string => typeof s === 'string',
  );
}
