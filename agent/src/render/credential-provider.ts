import { stableJson } from '../common/json.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';
import { atLeast } from './versions.js';

/**
 * Registry hosts ecr-credential-provider answers for. Without a pattern for a host the kubelet
 * pulls from it unauthenticated, so every ECR endpoint family is listed: commercial and China
 * (IPv4 and dual-stack), FIPS, the isolated partitions and the European sovereign cloud.
 */
export const ECR_MATCH_IMAGES: readonly string[] = [
  '*.dkr.ecr.*.amazonaws.com',
  '*.dkr-ecr.*.on.aws', // dual-stack
  '*.dkr.ecr.*.amazonaws.com.cn',
  '*.dkr-ecr.*.on.amazonwebservices.com.cn', // dual-stack, China
  '*.dkr.ecr-fips.*.amazonaws.com',
  '*.dkr-ecr-fips.*.on.aws', // dual-stack FIPS
  '*.dkr.ecr.*.c2s.ic.gov', // ISO
  '*.dkr.ecr.*.sc2s.sgov.gov', // ISO-B
  '*.dkr.ecr.*.cloud.adc-e.uk', // ISO-E
  '*.dkr.ecr.*.csp.hci.ic.gov', // ISO-F
  '*.dkr.ecr.*.amazonaws.eu', // European Sovereign Cloud
  'public.ecr.aws',
];

/** ECR Public's dual-stack host, listed from 1.32 as the AMI does: the image pairs each kubelet with the ecr-credential-provider of its release, and older providers do not serve this host. */
const ECR_PUBLIC_DUAL_STACK = 'ecr-public.aws.com';

/** The kubelet's image credential provider: ecr-credential-provider for every ECR registry. */
export function renderCredentialProviderConfig(ctx: RenderContext): PlannedFile {
  const matchImages = [...ECR_MATCH_IMAGES, ...(atLeast(ctx.kubelet, 1, 32) ? [ECR_PUBLIC_DUAL_STACK] : [])];
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: [
      {
        name: 'ecr-credential-provider',
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        defaultCacheDuration: '12h',
        matchImages,
      },
    ],
  };
  return { path: PATHS.credentialProviderConfig, mode: 0o644, content: stableJson(config) };
}
