import type { EKSClientConfig } from '@aws-sdk/client-eks';
import { EnvironmentError, describeCause } from '../errors.js';

/**
 * The one EKS call the agent makes: eks:DescribeCluster, to learn what the user data left out
 * (API server endpoint, CA, service CIDR). The SDK module is imported inside the call so that
 * commands which never reach AWS do not pay for evaluating it at start-up.
 */

export interface ClusterDescription {
  name: string;
  /** https URL of the API server; absent while the cluster is still being created */
  endpoint?: string;
  /** base64 of the PEM CA bundle */
  caData?: string;
  ipFamily: 'ipv4' | 'ipv6';
  /** the service CIDR of the cluster's IP family */
  serviceCidr?: string;
  /** e.g. "1.33" */
  version?: string;
  /** e.g. "ACTIVE" */
  status?: string;
}

export interface AwsCallOptions {
  region: string;
  /** endpoint override (AWS_ENDPOINT_URL_EKS / AWS_ENDPOINT_URL_EC2), e.g. a loopback emulator */
  endpoint?: string;
  /** deadline for the whole call, retries included */
  timeoutMs?: number;
  /** attempts including the first; throttling and transient errors are retried with backoff */
  maxAttempts?: number;
  /** defaults to the SDK's chain (env, profile, then the instance role through IMDS) */
  credentials?: EKSClientConfig['credentials'];
}

/** What resolveCluster() needs, so tests and other callers can inject their own. */
export interface EksApi {
  describeCluster(name: string): Promise<ClusterDescription>;
}

export const DEFAULT_AWS_TIMEOUT_MS = 20_000;
export const DEFAULT_AWS_MAX_ATTEMPTS = 5;

export function createEksApi(options: AwsCallOptions): EksApi {
  return { describeCluster: (name) => describeCluster(name, options) };
}

export async function describeCluster(name: string, options: AwsCallOptions): Promise<ClusterDescription> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_AWS_TIMEOUT_MS;
  const what = `eks:DescribeCluster for cluster "${name}"`;
  let out;
  try {
    const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
    const client = new EKSClient({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      maxAttempts: options.maxAttempts ?? DEFAULT_AWS_MAX_ATTEMPTS,
      retryMode: 'standard',
      requestHandler: { connectionTimeout: Math.min(timeoutMs, 3_000), requestTimeout: timeoutMs },
    });
    try {
      out = await client.send(new DescribeClusterCommand({ name }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    } finally {
      client.destroy();
    }
  } catch (err) {
    throw new EnvironmentError(`${what} failed: ${describeAwsError(err, timeoutMs)}`, { cause: err });
  }
  const c = out.cluster;
  if (!c) throw new EnvironmentError(`${what} failed: the answer has no cluster`);
  const net = c.kubernetesNetworkConfig;
  const ipFamily = net?.ipFamily === 'ipv6' ? 'ipv6' : 'ipv4';
  const serviceCidr = ipFamily === 'ipv6' ? net?.serviceIpv6Cidr : net?.serviceIpv4Cidr;
  return {
    name: c.name ?? name,
    ipFamily,
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.certificateAuthority?.data ? { caData: c.certificateAuthority.data } : {}),
    ...(serviceCidr ? { serviceCidr } : {}),
    ...(c.version ? { version: c.version } : {}),
    ...(c.status ? { status: c.status } : {}),
  };
}

/**
 * One line for an SDK failure: the AWS error code first (what a reader greps for), the
 * deadline when it was ours that expired, the attempt count when retries were spent.
 */
export function describeAwsError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return `timeout: no answer within ${formatMs(timeoutMs)}`;
  }
  const meta = (err as { $metadata?: { attempts?: number; httpStatusCode?: number } } | undefined)?.$metadata;
  const attempts = meta?.attempts !== undefined && meta.attempts > 1 ? ` (after ${meta.attempts} attempts)` : '';
  const status = meta?.httpStatusCode !== undefined ? ` [HTTP ${meta.httpStatusCode}]` : '';
  return `${describeCause(err)}${status}${attempts}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
