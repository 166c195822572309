import { EnvironmentError, describeCause } from '../errors.js';
import { type AwsService, type EndpointVariant, describeVariant, endpointOverride } from './endpoint-variant.js';
import { type ProxyAnswer, type ProxySettings, defaultServiceEndpoint, proxyAgentOptions } from './proxy.js';
import { type AwsTrust, isUntrusted } from './trust.js';

/**
 * The one place AWS SDK clients are configured: region, endpoint override, credentials,
 * attempts and deadlines are the same for EKS, EC2 and STS, and every failure is worded the same
 * way. SDK modules are imported by the callers inside each call, so commands that never reach
 * AWS do not pay for evaluating them at start-up.
 */

/** The SDK's credential shape, without importing the SDK for a type. */
export interface SdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  region: string;
  /** endpoint override (AWS_ENDPOINT_URL_EKS / _EC2 / _STS), e.g. a loopback emulator */
  endpoint?: string;
  /** deadline for the whole call, retries included */
  timeoutMs?: number;
  /** attempts including the first; throttling and transient errors are retried with backoff */
  maxAttempts?: number;
  /** defaults to roleCredentials, then the SDK's chain (env, profile, then the instance role through IMDS) */
  credentials?: SdkCredentials;
  /** the instance role's credentials as the agent read them (instance-role.ts); undefined leaves them to the SDK's chain */
  roleCredentials?: () => Promise<SdkCredentials | undefined>;
  /** HTTP proxy settings (spec.instance.environment.default, then the process environment) */
  proxy?: ProxySettings;
  /** the certificate authorities the process's calls trust (trust.ts); undefined: Node's bundled roots alone */
  trust?: AwsTrust;
  /** told, in a line for a person, when a call starts waiting for credentials or widens its trust (see callAws) */
  onNote?: (line: string) => void;
  /** FIPS or dual-stack endpoints (endpoint-variant.ts); an endpoint override takes neither */
  variant?: EndpointVariant;
}

export const DEFAULT_AWS_TIMEOUT_MS = 20_000;
export const DEFAULT_AWS_MAX_ATTEMPTS = 5;

/**
 * Client options for one service in one region: the endpoint comes from the environments the
 * CLI passes down (endpointOverride), the region is an argument (known once IMDS answered).
 */
export function awsClientOptions(
  service: AwsService,
  environments: ReadonlyArray<Readonly<Record<string, string | undefined>> | undefined>,
  options: Omit<AwsClientOptions, 'endpoint'>,
): AwsClientOptions {
  const endpoint = endpointOverride(service, ...environments);
  return { ...options, ...(endpoint ? { endpoint } : {}) };
}

/** What one attempt of callAws saw besides the SDK's answer: the proxy's refusal of the tunnel, when it refused. */
export interface CallWatch {
  proxyAnswer?: ProxyAnswer;
}

/**
 * The SDK client configuration for the options (the same for every service client). Async
 * because a proxy, when one applies to the service's endpoint, loads the proxy agent, and the
 * instance role's credentials may still be on their way from IMDS. Callers await it before they
 * load the SDK's chunk: that load keeps the process busy for tens of milliseconds, and an IMDS
 * answer arriving meanwhile would wait unread, with the role's next request behind it.
 */
export async function sdkClientConfig(service: AwsService, options: AwsClientOptions, watch?: CallWatch) {
  const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  const tls = options.trust?.agentOptions(options.onNote) ?? {};
  // an endpoint override is the endpoint: the SDK refuses FIPS beside one
  const variant = options.endpoint === undefined ? options.variant : undefined;
  const endpoint = options.endpoint ?? defaultServiceEndpoint(service, options.region, variant);
  const proxied = await proxyAgentOptions(endpoint, options.proxy, tls, watch ? (answer) => (watch.proxyAnswer = answer) : undefined);
  // without a proxy, the SDK makes its own https agent, from these options when there are some
  const direct = proxied.httpsAgent === undefined && proxied.httpAgent === undefined;
  const agents = direct && tls.secureContext !== undefined ? { httpsAgent: tls } : proxied;
  const credentials = options.credentials ?? (await options.roleCredentials?.());
  return {
    region: options.region,
    // without one, the SDK would look for an override itself (the process's environment, ~/.aws/config): the endpoint is decided above, once
    ...(options.endpoint === undefined ? { ignoreConfiguredEndpointUrls: true } : { endpoint: options.endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    // said either way, so that the SDK does not read them from this process's environment alone
    useFipsEndpoint: variant?.fips ?? false,
    useDualstackEndpoint: variant?.dualStack ?? false,
    maxAttempts: options.maxAttempts ?? DEFAULT_AWS_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: Math.min(timeoutMs, 3_000), requestTimeout: timeoutMs, ...agents },
  };
}

interface SdkClient<C> {
  send(command: C, options: { abortSignal: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

/**
 * Errors of the SDK's credential providers. With no credentials given, the SDK's default chain
 * ends at the instance role, read from IMDS with a 1 s timeout and no retry; at a node's first
 * boot the role's credentials can reach IMDS seconds after the instance starts (IMDS answers 404
 * until then), and a busy machine can miss the timeout.
 */
const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'ProviderError']);
/** Waits between attempts while credentials are missing: doubling, at most 1 s. */
const CREDENTIAL_WAIT_MS = { first: 250, max: 1_000 };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends one command on a fresh client and destroys it, bounded by the call's deadline. Any
 * failure becomes an EnvironmentError starting with `what` (e.g. `eks:DescribeCluster for
 * cluster "x"`), so the reader knows which call failed and why. When no credentials can be
 * found yet (CREDENTIAL_ERRORS), the call is made again on a fresh client, with waits between,
 * until its deadline: at boot the instance role's credentials may simply not be there yet.
 * Throttling and transient errors are the SDK's own retries (maxAttempts).
 */
export async function callAws<C, O>(
  what: string,
  options: AwsClientOptions,
  make: (watch: CallWatch) => Promise<{ client: SdkClient<C>; command: C }>,
): Promise<O> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  const started = Date.now();
  let waitMs = CREDENTIAL_WAIT_MS.first;
  for (let attempt = 1; ; attempt++) {
    const watch: CallWatch = {};
    try {
      const { client, command } = await make(watch);
      try {
        const leftMs = Math.max(1, timeoutMs - (Date.now() - started));
        return (await client.send(command, { abortSignal: AbortSignal.timeout(leftMs) })) as O;
      } finally {
        client.destroy();
      }
    } catch (err) {
      const name = (err as { name?: unknown } | undefined)?.name;
      const elapsedMs = Date.now() - started;
      if (typeof name === 'string' && CREDENTIAL_ERRORS.has(name)) {
        if (elapsedMs + waitMs < timeoutMs) {
          if (attempt === 1)
            options.onNote?.(`note: ${what}: no AWS credentials yet (${describeCause(err)}); trying again until ${formatMs(timeoutMs)} have passed`);
          await sleep(waitMs);
          waitMs = Math.min(waitMs * 2, CREDENTIAL_WAIT_MS.max);
          continue;
        }
        const tried = attempt === 1 ? '' : `, ${attempt} attempts over ${(elapsedMs / 1000).toFixed(1)} s`;
        throw new EnvironmentError(
          `${what} failed: no AWS credentials (${describeCause(err)}${tried}): on a node they come from its instance profile ` +
            '(IMDS meta-data/iam/security-credentials/); `eks-node-agent doctor` checks it',
          { cause: err },
        );
      }
      // A certificate the bundled roots cannot verify (a TLS-inspecting proxy): once per process,
      // the system's CA bundle is trusted as well and the call made again on a fresh client.
      const widened = isUntrusted(err) ? options.trust?.widen(err) : undefined;
      if (widened !== undefined) {
        options.onNote?.(`note: ${what}: ${widened}`);
        continue;
      }
      const certificate = options.trust?.describeFailure(err);
      const refused = watch.proxyAnswer;
      const reason = certificate ?? (refused ? proxyRefusal(refused, options) : `${describeAwsError(err, timeoutMs)}${unreachedVariant(options, err)}`);
      throw new EnvironmentError(`${what} failed: ${reason}`, { cause: err });
    }
  }
}

/**
 * A proxy that refused the tunnel: the proxy agent hands its answer to the SDK as the endpoint's
 * (`UnknownError [HTTP 403]`, which reads as AWS refusing; a SOCKS proxy's, in the SOCKS library's
 * words), so the line names the proxy, what it said, and what to change, by the kind of refusal.
 */
function proxyRefusal(answer: ProxyAnswer, options: AwsClientOptions): string {
  const said =
    answer.kind === 'connect'
      ? `the proxy ${answer.proxy} answered CONNECT ${answer.target} with ${answer.status}${answer.text ? ` ${answer.text}` : ''}, so the call never reached AWS`
      : `the SOCKS proxy ${answer.proxy} refused the connection to ${answer.target}: ${answer.words}, so the call never reached AWS`;
  const refused = answer.kind === 'connect' ? (answer.status === 407 ? 'credentials' : answer.status >= 500 ? 'unreachable' : 'not allowed') : answer.reason;
  switch (refused) {
    case 'credentials':
      return answer.withCredentials
        ? `${said}: it refuses the credentials in the proxy URL: correct them there (${answer.kind === 'connect' ? 'http' : 'socks5'}://user:password@host:port)`
        : `${said}: it wants credentials, which the agent sends only from the proxy URL (${answer.kind === 'connect' ? 'http' : 'socks5'}://user:password@host:port in HTTPS_PROXY)`;
    case 'unreachable': {
      const chose = chosenVariant(options);
      return `${said}: the proxy could not reach ${answer.target} itself (its DNS, routes or security groups)${chose ? `; ${chose}` : ''}`;
    }
    case 'not allowed':
      return `${said}: its rules do not let the node through to ${answer.target}: allow that host on the proxy, or put it in NO_PROXY if the node reaches it directly (a VPC endpoint)`;
    default:
      return `${said}: the proxy failed the connection: see its log`;
  }
}

/** Which variables sent the call to a FIPS or dual-stack endpoint, which not every region has; undefined for the standard one (or an endpoint override). */
function chosenVariant(options: AwsClientOptions): string | undefined {
  const variant = options.endpoint === undefined ? describeVariant(options.variant) : undefined;
  return variant && `${variant.variables} chose the service's ${variant.words} endpoint, which not every region has`;
}

/**
 * For a call sent to a FIPS or dual-stack endpoint that gave no HTTP answer (no such host, no
 * route, no answer in time): not every region has every variant, nor every network a route to
 * it, which the reader is told with the variables that chose it.
 */
function unreachedVariant(options: AwsClientOptions, err: unknown): string {
  const chose = chosenVariant(options);
  const answered = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode !== undefined;
  return chose && !answered ? `; ${chose} nor every network reaches (set it to false, or leave it out, for the standard one)` : '';
}

/**
 * Why a call failed, without the `<call> ... failed: ` that callAws puts before it, for a caller
 * whose own line already names the call (the doctor's checks).
 */
export function failureReason(err: unknown, call: string): string {
  const text = describeCause(err);
  return text.startsWith(call) ? text.replace(/^[^:]+:[^:]*? failed: /, '') : text;
}

/**
 * One line for an SDK failure: the AWS error code first (what a reader greps for), the
 * deadline when it was ours that expired, the attempt count when retries were spent.
 */
export function describeAwsError(err: unknown, timeoutMs: number): string {
  const meta = (err as { $metadata?: { attempts?: number; httpStatusCode?: number } } | undefined)?.$metadata;
  // The SDK names a dropped connection TimeoutError too; its code tells what really happened.
  const code = (err as { code?: unknown } | undefined)?.code;
  const network = typeof code === 'string' ? NETWORK_FAILURES[code] : undefined;
  if (network) {
    const n = meta?.attempts ?? 1;
    const midAnswer = meta?.httpStatusCode !== undefined ? ' in the middle of its answer' : '';
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return `${network}${midAnswer} (${code}: ${message}), ${n} attempt${n === 1 ? '' : 's'}`;
  }
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return `timeout: no answer within ${formatMs(timeoutMs)}`;
  }
  const attempts = meta?.attempts !== undefined && meta.attempts > 1 ? ` (after ${meta.attempts} attempts)` : '';
  const status = meta?.httpStatusCode !== undefined ? ` [HTTP ${meta.httpStatusCode}]` : '';
  return `${describeCause(err)}${status}${attempts}`;
}

const NETWORK_FAILURES: Record<string, string> = {
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'endpoint host name not found',
  EAI_AGAIN: 'endpoint host name lookup failed',
};

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
