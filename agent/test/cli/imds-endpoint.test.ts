import { describe, expect, it } from 'vitest';
import { imdsEndpoint, imdsFallbackEndpoint } from '../../src/cli/deps.js';

describe('which IMDS endpoint, and which is asked when it has no route', () => {
  it('nothing named: IPv4, with the IPv6 endpoint behind it for an instance without IPv4', () => {
    for (const env of [{}, { AWS_EC2_METADATA_SERVICE_ENDPOINT: '', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: '' }]) {
      expect(imdsEndpoint(env)).toBe('http://169.254.169.254');
      expect(imdsFallbackEndpoint(env)).toBe('http://[fd00:ec2::254]');
    }
  });

  it('a mode or an endpoint named: that choice stands, nothing behind it', () => {
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' })).toBe('http://169.254.169.254');
    expect(imdsFallbackEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' })).toBeUndefined();
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv6' })).toBe('http://[fd00:ec2::254]');
    expect(imdsFallbackEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv6' })).toBeUndefined();
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:8080/' })).toBe('http://127.0.0.1:8080');
    expect(imdsFallbackEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:8080/' })).toBeUndefined();
  });
});
