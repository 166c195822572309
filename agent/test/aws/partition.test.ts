import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EKSClient } from '@aws-sdk/client-eks';
import { STSClient } from '@aws-sdk/client-sts';
import { partition } from '@aws-sdk/core/client';
import { describe, expect, it } from 'vitest';
import { dnsSuffix, dualStackDnsSuffix } from '../../src/aws/partition.js';
import { defaultServiceEndpoint, ecrApiEndpoint, proxyFor } from '../../src/aws/proxy.js';

// a region of every partition the SDK knows, the newest commercial ones among them
const REGIONS = [
  'us-east-1',
  'us-west-2',
  'ap-east-2',
  'ap-southeast-6',
  'ap-southeast-7',
  'mx-central-1',
  'eu-central-2',
  'il-central-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eusc-de-east-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
];

describe('the partition DNS suffix', () => {
  it("gives the AWS SDK's answer for a region of every partition", () => {
    for (const region of REGIONS) expect(dnsSuffix(region), region).toBe(partition(region).dnsSuffix);
  });

  it('and for its dual-stack endpoints', () => {
    for (const region of REGIONS) expect(dualStackDnsSuffix(region), region).toBe(partition(region).dualStackDnsSuffix);
  });

  it("names the endpoint of each service the SDK's rules build, FIPS and dual-stack included, in every partition", () => {
    const clients = { eks: EKSClient, ec2: EC2Client, sts: STSClient } as const;
    for (const [service, Client] of Object.entries(clients) as Array<[keyof typeof clients, (typeof clients)[keyof typeof clients]]>) {
      for (const region of REGIONS) {
        const rules = new Client({ region }).config.endpointProvider;
        for (const fips of [false, true]) {
          for (const dualStack of [false, true]) {
            const sdk = rules({ Region: region, UseFIPS: fips, UseDualStack: dualStack }).url.href.replace(/\/$/, '');
            expect(defaultServiceEndpoint(service, region, { fips, dualStack }), `${service} ${region} fips=${fips} dualStack=${dualStack}`).toBe(sdk);
          }
        }
      }
    }
  });

  it("names ECR's API as the SDK's rules build it, the host the kubelet's credential provider asks for tokens", () => {
    for (const region of REGIONS) {
      const rules = new ECRClient({ region }).config.endpointProvider;
      for (const fips of [false, true]) {
        for (const dualStack of [false, true]) {
          const sdk = rules({ Region: region, UseFIPS: fips, UseDualStack: dualStack }).url.href.replace(/\/$/, '');
          expect(ecrApiEndpoint(region, { fips, dualStack }), `ecr ${region} fips=${fips} dualStack=${dualStack}`).toBe(sdk);
        }
      }
    }
  });

  it('names the endpoint the proxy decision is made for, so NO_PROXY by domain works in every partition', () => {
    expect(defaultServiceEndpoint('eks', 'eusc-de-east-1')).toBe('https://eks.eusc-de-east-1.amazonaws.eu');
    expect(defaultServiceEndpoint('sts', 'cn-north-1')).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    const settings = { httpsProxy: 'http://proxy.corp:3128', noProxy: ['.amazonaws.eu'] };
    expect(proxyFor(defaultServiceEndpoint('eks', 'eusc-de-east-1'), settings)).toBeUndefined();
    expect(proxyFor(defaultServiceEndpoint('eks', 'eu-central-1'), settings)).toBe('http://proxy.corp:3128');
  });
});
