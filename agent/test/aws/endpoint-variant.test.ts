import { describe, expect, it } from 'vitest';
import {
  describeVariant,
  endpointOverride,
  endpointUrlsIgnored,
  endpointVariant,
  isEndpointOverrideVariable,
  isEndpointUrl,
  variantSwitch,
} from '../../src/aws/endpoint-variant.js';

describe('endpoint settings from the environment', () => {
  it('reads a variant switch as the AWS SDK for Go does: true or false in any case, empty unset, anything else refused', () => {
    expect([variantSwitch('TRUE'), variantSwitch('false'), variantSwitch(''), variantSwitch(undefined), variantSwitch('1'), variantSwitch(' true')]).toEqual([
      true,
      false,
      undefined,
      undefined,
      'invalid',
      'invalid',
    ]);
  });

  it('takes each variant from the first environment that says true or false, passing over a refused value', () => {
    const defaults = { AWS_USE_FIPS_ENDPOINT: 'yes', AWS_USE_DUALSTACK_ENDPOINT: 'False' };
    const process = { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'true' };
    expect(endpointVariant(defaults, process)).toEqual({ fips: true, dualStack: false });
    expect(endpointVariant(undefined, {})).toEqual({ fips: false, dualStack: false });
    expect(describeVariant({ fips: true, dualStack: true })).toEqual({
      words: 'FIPS dual-stack',
      variables: 'AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT',
    });
    expect(describeVariant({ fips: false, dualStack: false })).toBeUndefined();
  });

  it("takes an override as the SDKs do: the service's own variable before AWS_ENDPOINT_URL, the user data's before the process's, a non-URL passed over", () => {
    const defaults = { AWS_ENDPOINT_URL: 'https://all.corp.test', AWS_ENDPOINT_URL_EC2: 'ec2.corp.test' };
    const process = { AWS_ENDPOINT_URL_EKS: 'https://eks.from-process.test', AWS_ENDPOINT_URL: 'https://all.from-process.test' };
    expect(endpointOverride('eks', defaults, process)).toBe('https://eks.from-process.test');
    // the user data's EC2 override is no URL: the global one serves, the user data's first
    expect(endpointOverride('ec2', defaults, process)).toBe('https://all.corp.test');
    expect(endpointOverride('sts', undefined, {})).toBeUndefined();
    expect([isEndpointUrl('http://x:8080'), isEndpointUrl('ftp://x'), isEndpointUrl('x.corp.test')]).toEqual([true, false, false]);
  });

  it('takes no override under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, read from the first environment that says true or false', () => {
    const overrides = { AWS_ENDPOINT_URL_EKS: 'https://eks.corp.test', AWS_ENDPOINT_URL: 'https://all.corp.test' };
    expect(endpointOverride('eks', { ...overrides, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'TRUE' })).toBeUndefined();
    expect(endpointOverride('ecr', overrides, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBeUndefined();
    // the user data's false wins over the process's true; a refused value is passed over
    expect(endpointOverride('ec2', { ...overrides, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' }, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBe(
      'https://all.corp.test',
    );
    expect(endpointUrlsIgnored({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'yes' }, {})).toBe(false);
    expect(endpointUrlsIgnored({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: '' }, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'True' })).toBe(true);
    expect(['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_ECR', 'AWS_ENDPOINT_URLS', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'].map(isEndpointOverrideVariable)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
