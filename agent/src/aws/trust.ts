import { existsSync, readFileSync } from 'node:fs';
import type { SecureContext } from 'node:tls';
import { describeCause } from '../errors.js';

/**
 * Which certificate authorities the agent's AWS calls (EKS, EC2, STS) trust.
 *
 * The node's other programs (the kubelet, containerd, the AWS CLI, any Go program) trust the
 * image's CA bundle, so a platform team behind a TLS-inspecting proxy adds its CA there
 * (`update-ca-trust` on Amazon Linux) and expects every program on the node to follow. The agent
 * starts with the roots Node bundles, which verify AWS's own endpoints without reading a file;
 * when an endpoint's certificate does not verify against them, it adds the system's bundle and
 * tries again, once per process, and says so. A call that worked before can never fail for it:
 * the wider set still holds every bundled root.
 *
 * AWS_CA_BUNDLE, as the AWS CLI and SDKs read it, names the bundle to trust instead, from the
 * first call; SSL_CERT_FILE, as OpenSSL and Go read it, names the system bundle. Both are taken
 * from the user data's default environment first, then the agent's own, as the proxy is.
 */

/** Where distributions keep their CA bundle, this image's (Amazon Linux 2023) first. */
export const SYSTEM_CA_BUNDLES = [
  '/etc/pki/tls/certs/ca-bundle.crt', // Amazon Linux, Fedora, RHEL
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL, CentOS
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // Alpine
] as const;

/** Verification failures another set of roots can cure (an expired certificate or a wrong name cannot be). */
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** What each certificate failure means, for a person. */
const CERTIFICATE_FAILURES: Record<string, string> = {
  ...Object.fromEntries([...UNTRUSTED].map((code) => [code, 'is not signed by an authority the agent trusts'])),
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: 'is not valid yet (is the clock right?)',
  ERR_TLS_CERT_ALTNAME_INVALID: "does not name the endpoint's host",
};

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failure, or one of its causes, is a certificate the endpoint presented and the agent refused. */
export function isCertificateFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e);
    if (code !== undefined && code in CERTIFICATE_FAILURES) return true;
  }
  return false;
}

/** Where the CA of a certificate the agent refused belongs. */
const WHERE_THE_CA_BELONGS = "a TLS-inspecting proxy's CA belongs in the image's CA bundle (update-ca-trust) or in AWS_CA_BUNDLE";

/** The doctor's hint for such a failure (the failure's own line names the certificate's problem and what was trusted). */
export const CERTIFICATE_HINT = `the endpoint presented a certificate the agent refused: ${WHERE_THE_CA_BELONGS}; \`config check\` says which bundle applies`;

/** Whether a failed call met a certificate its roots could not verify. */
export function isUntrusted(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && UNTRUSTED.has(code);
}

/** Every certificate in a PEM text (comments and other blocks between them are skipped). */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g) ?? [];
}

type Env = Record<string, string | undefined>;

/** The first environment that sets a variable wins; empty values count as unset. */
function pick(name: string, environments: Array<Env | undefined>): string | undefined {
  for (const env of environments) {
    const value = env?.[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

export interface TrustOptions {
  /** AWS_CA_BUNDLE: the only bundle trusted, when set */
  caBundle?: string;
  /** SSL_CERT_FILE: the system bundle, instead of the first of SYSTEM_CA_BUNDLES that exists */
  systemBundle?: string;
  /** for tests: whether a path exists */
  exists?: (path: string) => boolean;
}

/** The trust settings of these environments (the user data's default environment, then the agent's). */
export function trustOptions(...environments: Array<Env | undefined>): TrustOptions {
  const caBundle = pick('AWS_CA_BUNDLE', environments);
  const systemBundle = pick('SSL_CERT_FILE', environments);
  return { ...(caBundle ? { caBundle } : {}), ...(systemBundle ? { systemBundle } : {}) };
}

/**
 * One process's trust: every AWS client of the process shares it, so the first call that needs the
 * system bundle widens it for the calls after it.
 */
export class AwsTrust {
  private context: SecureContext | undefined;
  /** what is trusted now, for a failure's message */
  private trusted = 'the roots Node bundles';
  private caBundleRead = false;
  private widenTried = false;
  /** the system bundle added after a certificate the bundled roots could not verify */
  private widenedWith: string | undefined;
  /** why a bundle could not be used, for a failure's message */
  private readonly problems: string[] = [];

  constructor(private readonly options: TrustOptions = {}) {}

  /**
   * Options for the https agent (or the proxy agent) of one client: none while the bundled roots
   * serve, a TLS context otherwise. `note` hears, once, that AWS_CA_BUNDLE could not be used.
   */
  agentOptions(note?: (line: string) => void): { secureContext?: SecureContext } {
    const { caBundle } = this.options;
    if (caBundle !== undefined && !this.caBundleRead) {
      this.caBundleRead = true;
      try {
        const loaded = loadBundle(caBundle, false);
        this.context = loaded.context;
        this.trusted = `AWS_CA_BUNDLE ${caBundle} (${count(loaded.count)}) alone`;
      } catch (err) {
        const problem = `AWS_CA_BUNDLE ${caBundle} could not be used: ${describeCause(err)}`;
        this.problems.push(problem);
        note?.(`warning: ${problem}; trusting the roots Node bundles, then the system's CA bundle`);
      }
    }
    return this.context ? { secureContext: this.context } : {};
  }

  /**
   * After a certificate the current roots could not verify: trust the system's bundle as well.
   * Returns the line to tell, or undefined when there is nothing wider to try (AWS_CA_BUNDLE in
   * use, already widened, or no usable system bundle).
   */
  widen(err: unknown): string | undefined {
    if (this.widenTried || this.context !== undefined) return undefined;
    this.widenTried = true;
    const path = this.systemBundlePath();
    if (path === undefined) {
      this.problems.push(`no system CA bundle at ${SYSTEM_CA_BUNDLES.join(', ')}`);
      return undefined;
    }
    try {
      const loaded = loadBundle(path, true);
      this.context = loaded.context;
      this.widenedWith = path;
      this.trusted = `the roots Node bundles and ${path} (${count(loaded.count)})`;
      return `the endpoint's certificate is not signed by a root Node bundles (${codeOf(err)}); trying again trusting ${path} (${count(loaded.count)}) as well`;
    } catch (e) {
      this.problems.push(`${path} could not be used: ${describeCause(e)}`);
      return undefined;
    }
  }

  /** The system bundle this process added because an endpoint's certificate needed it, if it did. */
  get widenedTo(): string | undefined {
    return this.widenedWith;
  }

  /** The one-line reason a call failed on the endpoint's certificate, or undefined for any other failure. */
  describeFailure(err: unknown): string | undefined {
    const code = codeOf(err);
    const what = code === undefined ? undefined : CERTIFICATE_FAILURES[code];
    if (what === undefined) return undefined;
    const trusted = `trusted: ${this.trusted}${this.problems.length > 0 ? ` (${this.problems.join('; ')})` : ''}`;
    const hint = UNTRUSTED.has(code as string)
      ? WHERE_THE_CA_BELONGS
      : 'something between the node and AWS may be answering for it (a proxy doing TLS inspection?), or the endpoint override is wrong';
    return `TLS: the endpoint's certificate ${what} (${code}); ${trusted}; ${hint}`;
  }

  private systemBundlePath(): string | undefined {
    if (this.options.systemBundle !== undefined) return this.options.systemBundle;
    const exists = this.options.exists ?? existsSync;
    return SYSTEM_CA_BUNDLES.find((path) => exists(path));
  }
}

const count = (n: number) => `${n} certificate${n === 1 ? '' : 's'}`;

/** Reads a PEM bundle into a TLS context, with Node's bundled roots too when `withBundled`. */
function loadBundle(path: string, withBundled: boolean): { count: number; context: SecureContext } {
  const certificates = pemCertificates(readFileSync(path, 'latin1'));
  if (certificates.length === 0) throw new Error('it holds no PEM certificate');
  // loaded only now: a call the bundled roots serve never pays for parsing a bundle
  const tls = process.getBuiltinModule('node:tls');
  const context = tls.createSecureContext({ ca: withBundled ? [...tls.rootCertificates, ...certificates] : certificates });
  return { count: certificates.length, context };
}
