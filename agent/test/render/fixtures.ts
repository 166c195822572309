import type { ResolvedNodeConfig } from '../../src/api/schema.js';
import type { Facts } from '../../src/facts/types.js';

/** A complete m5.large node for unit tests; tests override what they examine. */
export function baseFacts(overrides: Partial<Facts['instance']> = {}, eniLimits: Facts['eniLimits'] | null = { enis: 3, ipv4PerEni: 10 }): Facts {
  return {
    instance: {
      instanceId: 'i-0123456789abcdef0',
      instanceType: 'm5.large',
      region: 'us-west-2',
      availabilityZone: 'us-west-2a',
      mac: '02:00:00:00:00:01',
      privateIpv4: '10.0.1.23',
      privateDnsName: 'ip-10-0-1-23.us-west-2.compute.internal',
      cpuMillicores: 2000,
      memoryMiB: 7680,
      kubeletVersion: 'v1.33.1',
      containerdVersion: '1.7.27',
      ...overrides,
    },
    ...(eniLimits ? { eniLimits } : {}),
  };
}

export function baseConfig(caBase64: string, spec: Partial<ResolvedNodeConfig['spec']> = {}): ResolvedNodeConfig {
  return {
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: 'my-cluster',
        apiServerEndpoint: 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
        certificateAuthority: caBase64,
        cidr: '10.100.0.0/16',
      },
      ...spec,
    },
  };
}
