/**
 * The endpoint settings an AWS SDK takes from its environment: the variants, FIPS
 * (AWS_USE_FIPS_ENDPOINT) and dual-stack (AWS_USE_DUALSTACK_ENDPOINT, the endpoints an IPv6-only
 * node reaches), and overrides (AWS_ENDPOINT_URL). A node's Go programs read them from the
 * environment the user data gives them; the agent's own calls take them as they take the proxy:
 * the user data's default environment first, then the process's.
 */

/** Each variant's environment variable. */
export const ENDPOINT_VARIANT_VARIABLES = { fips: 'AWS_USE_FIPS_ENDPOINT', dualStack: 'AWS_USE_DUALSTACK_ENDPOINT' } as const;

export interface EndpointVariant {
  fips: boolean;
  dualStack: boolean;
}

export const STANDARD_ENDPOINT: EndpointVariant = { fips: false, dualStack: false };

/**
 * A variable's value as the AWS SDK for Go reads it: empty is unset, `true` or `false` in any
 * case; anything else it refuses (it then loads no configuration at all): `invalid`.
 */
export function variantSwitch(value: string | undefined): boolean | undefined | 'invalid' {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : 'invalid';
}

/** The variant of the agent's calls: for each variable, the first environment that sets it to true or false (a refused value is passed over; validate.ts names it). */
export function endpointVariant(...environments: Array<Readonly<Record<string, string | undefined>> | undefined>): EndpointVariant {
  const pick = (name: string): boolean => {
    for (const env of environments) {
      const value = variantSwitch(env?.[name]);
      if (typeof value === 'boolean') return value;
    }
    return false;
  };
  return { fips: pick(ENDPOINT_VARIANT_VARIABLES.fips), dualStack: pick(ENDPOINT_VARIANT_VARIABLES.dualStack) };
}

/**
 * The variant for a line: its words ("FIPS", "dual-stack", "FIPS dual-stack") and the variables
 * that set it, or undefined for the standard endpoints.
 */
export function describeVariant(variant: EndpointVariant | undefined): { words: string; variables: string } | undefined {
  if (!variant || (!variant.fips && !variant.dualStack)) return undefined;
  const on = (Object.keys(ENDPOINT_VARIANT_VARIABLES) as Array<keyof EndpointVariant>).filter((k) => variant[k]);
  return {
    words: on.map((k) => (k === 'fips' ? 'FIPS' : 'dual-stack')).join(' '),
    variables: on.map((k) => ENDPOINT_VARIANT_VARIABLES[k]).join(' and '),
  };
}

/** The endpoint override every service takes when its own variable (AWS_ENDPOINT_URL_EKS) is not set, as the AWS SDKs read it. */
export const AWS_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL';

/** Whether a variable names an endpoint override: AWS_ENDPOINT_URL, or a service's own (AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL_ECR, ...). */
export function isEndpointOverrideVariable(name: string): boolean {
  return /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(name);
}

/** Whether an endpoint override can be used: an http or https URL (anything else the SDK refuses when the call starts). */
export function isEndpointUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** The services the agent calls, with the environment variable that overrides each endpoint. */
export const AWS_ENDPOINT_VARIABLES = { eks: 'AWS_ENDPOINT_URL_EKS', ec2: 'AWS_ENDPOINT_URL_EC2', sts: 'AWS_ENDPOINT_URL_STS' } as const;
export type AwsService = keyof typeof AWS_ENDPOINT_VARIABLES;

/** ECR's API: not the agent's to call, but the kubelet's credential provider's, which doctor dials as it would. */
export const ECR_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_ECR';

/**
 * The switch that makes the AWS SDKs take no endpoint override from the environment or the
 * shared config file: a way to keep an image's overrides (AWS_ENDPOINT_URL, set for a test
 * account or a VPC endpoint) from reaching the real services.
 */
export const IGNORE_ENDPOINT_URLS_VARIABLE = 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS';

/** The endpoint switches the AWS SDK for Go reads as true or false, and refuses to load its configuration for any other value. */
export const ENDPOINT_SWITCH_VARIABLES = [...Object.values(ENDPOINT_VARIANT_VARIABLES), IGNORE_ENDPOINT_URLS_VARIABLE] as const;

/** Whether the overrides are ignored: the first environment that sets the switch to true or false, as for the variants (a refused value is passed over; validate.ts names it). */
export function endpointUrlsIgnored(...environments: Array<Readonly<Record<string, string | undefined>> | undefined>): boolean {
  for (const env of environments) {
    const value = variantSwitch(env?.[IGNORE_ENDPOINT_URLS_VARIABLE]);
    if (typeof value === 'boolean') return value;
  }
  return false;
}

/**
 * The endpoint override of one service (one the agent calls, or ECR's API), as the AWS SDKs take
 * it: the service's own variable (AWS_ENDPOINT_URL_EKS), else AWS_ENDPOINT_URL; each from the
 * first environment that sets it (the user data's default, then the process's, as for the proxy).
 * A value that is no URL is passed over (validate.ts names it), and none is taken when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. The shared config file's `endpoint_url` is not
 * read: the agent's calls take their endpoints from the environments alone (client.ts).
 */
export function endpointOverride(
  service: AwsService | 'ecr',
  ...environments: Array<Readonly<Record<string, string | undefined>> | undefined>
): string | undefined {
  if (endpointUrlsIgnored(...environments)) return undefined;
  for (const name of [service === 'ecr' ? ECR_ENDPOINT_VARIABLE : AWS_ENDPOINT_VARIABLES[service], AWS_ENDPOINT_VARIABLE]) {
    for (const env of environments) {
      const value = env?.[name]?.trim();
      if (value && isEndpointUrl(value)) return value;
    }
  }
  return undefined;
}
