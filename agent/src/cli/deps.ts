import { awsClientOptions, type SdkCredentials } from '../aws/client.js';
import type { ProxySettings } from '../aws/proxy.js';
import type { AwsTrust } from '../aws/trust.js';
import { createEc2Api, type Ec2Api } from '../aws/ec2.js';
import { createEksApi, type EksApi } from '../aws/eks.js';
import { createImds, DEFAULT_IMDS_ENDPOINT, IMDS_ENDPOINT_VARIABLE, IMDS_MODE_VARIABLE, IPV6_IMDS_ENDPOINT, type Imds, type ImdsOptions } from '../aws/imds.js';
import type { EndpointVariant } from '../aws/endpoint-variant.js';
import { InputError } from '../errors.js';
import type { Log } from './log.js';

/** The environment the CLI reads, passed down explicitly (nothing reads process.env at load time). */
export type Env = Record<string, string | undefined>;

export const IMDS_TIMEOUT_VARIABLE = 'EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS';

/** How long one IMDS read keeps retrying: EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS, a positive number of seconds. */
export function imdsTimeoutMs(env: Env): number | undefined {
  const text = env[IMDS_TIMEOUT_VARIABLE];
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new InputError(`${IMDS_TIMEOUT_VARIABLE}: ${JSON.stringify(text)} is not a number of seconds between 0 and 3600 (expected e.g. "60")`);
  }
  return seconds * 1000;
}

/**
 * The IMDS endpoint of this environment, as the AWS SDKs choose it: AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * else EC2's endpoint of the family AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE names (`IPv6` for an
 * instance without IPv4; a drop-in on the agent's units sets it), else EC2's IPv4 one, with EC2's
 * IPv6 endpoint behind it for when IPv4 has no route. An instance in an IPv6-only subnet then reads
 * its metadata without a drop-in naming the mode (its IPv4 connection finds no route at once, so an
 * instance with IPv4 never asks the other). No fallback when either is named: that choice stands.
 */
export function imdsEndpoints(env: Env): Pick<ImdsOptions, 'endpoint' | 'fallbackEndpoint'> {
  const given = env[IMDS_ENDPOINT_VARIABLE];
  if (given) return { endpoint: given.replace(/\/+$/, '') };
  const mode = env[IMDS_MODE_VARIABLE];
  if (mode === undefined || mode === '') return { endpoint: DEFAULT_IMDS_ENDPOINT, fallbackEndpoint: IPV6_IMDS_ENDPOINT };
  if (mode.toLowerCase() === 'ipv4') return { endpoint: DEFAULT_IMDS_ENDPOINT };
  if (mode.toLowerCase() === 'ipv6') return { endpoint: IPV6_IMDS_ENDPOINT };
  throw new InputError(`${IMDS_MODE_VARIABLE}: ${JSON.stringify(mode)} is not an endpoint mode (expected "IPv4" or "IPv6")`);
}

/** The endpoint alone: the one the kept answers are kept under. */
export const imdsEndpoint = (env: Env): string => imdsEndpoints(env).endpoint;

/**
 * One IMDS client for the whole run, built on first use. When `log` is given, the first attempt
 * that gets no answer is reported once: the retries go on (IMDS may come up late at boot), but
 * a person off EC2 learns at once why the command waits and what works without IMDS.
 */
export function lazyImds(env: Env, log?: Log): () => Imds {
  let imds: Imds | undefined;
  let told = false;
  return () => {
    if (imds) return imds;
    const totalTimeoutMs = imdsTimeoutMs(env);
    const endpoints = imdsEndpoints(env);
    const { endpoint } = endpoints;
    imds = createImds({
      ...endpoints,
      onFallback: (fallback, why) =>
        log?.(
          `note: IMDS answered at ${fallback}, not at ${endpoint}, which has no route (${(why as NodeJS.ErrnoException).code}): an instance without IPv4, as in an IPv6-only subnet; asking it from now on`,
        ),
      ...(totalTimeoutMs === undefined ? {} : { totalTimeoutMs }),
      onRetry: (err) => {
        if (told || !log) return;
        told = true;
        log(
          `note: IMDS at ${endpoint} is not answering (${err.message}); retrying until its deadline. ` +
            'Not on EC2? `-c file:///path/to/user-data` reads user data from a file, and `render` works offline.',
        );
      },
    });
    return imds;
  };
}

/**
 * EKS and EC2 clients for a region, with the endpoint overrides of the environment, the proxy, if
 * any, and the process's trust. `log` hears that a call waits for credentials or widens its trust (callAws);
 * `roleCredentials`, when given, is asked for credentials before the SDK's chain.
 */
export function awsApis(
  env: Env,
  network: { proxy?: ProxySettings; trust?: AwsTrust; variant?: EndpointVariant; defaults?: Readonly<Record<string, string>> },
  log?: Log,
  roleCredentials?: () => Promise<SdkCredentials | undefined>,
) {
  const { proxy, trust, variant } = network;
  // endpoint overrides as the proxy: the user data's default environment first
  const environments = [network.defaults, env];
  const extra = {
    ...(proxy ? { proxy } : {}),
    ...(trust ? { trust } : {}),
    ...(variant ? { variant } : {}),
    ...(log ? { onNote: log } : {}),
    ...(roleCredentials ? { roleCredentials } : {}),
  };
  return {
    eks: (region: string): EksApi => createEksApi(awsClientOptions('eks', environments, { region, ...extra })),
    ec2: (region: string): Ec2Api => createEc2Api(awsClientOptions('ec2', environments, { region, ...extra })),
  };
}
