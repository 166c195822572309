import { describe, expect, it } from 'vitest';
import { imdsEndpoints } from '../../src/cli/deps.js';

describe('which IMDS endpoint, and which is asked when it has no route', () => {
  it('nothing named: IPv4, with the IPv6 endpoint behind it for an instance without IPv4', () => {
    for (const env of [{}, { AWS_EC2_METADATA_SERVICE_ENDPOINT: '', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: '' }]) {
      expect(imdsEndpoints(env)).toEqual({ endpoint: 'http://169.254.169.254', fallbackEndpoint: 'http://[fd00:ec2::254]' });
    }
  });

  it('a mode or an endpoint named: that choice stands, nothing behind it', () => {
    expect(imdsEndpoints({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4' })).toEqual({ endpoint: 'http://169.254.169.254' });
    expect(imdsEndpoints({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'ipv6' })).toEqual({ endpoint: 'http://[fd00:ec2::254]' });
    expect(imdsEndpoints({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:8080/' })).toEqual({ endpoint: 'http://127.0.0.1:8080' });
  });
});
