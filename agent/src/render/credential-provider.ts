import { stableJson } from '../common/json.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * The kubelet's image credential provider: ecr-credential-provider for ECR private registries
 * of every partition (commercial, China, FIPS) and ECR Public.
 */
export function renderCredentialProviderConfig(): PlannedFile {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: [
      {
        name: 'ecr-credential-provider',
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        defaultCacheDuration: '12h',
        matchImages: [
          '*.dkr.ecr.*.amazonaws.com',
          '*.dkr.ecr.*.amazonaws.com.cn',
          '*.dkr.ecr-fips.*.amazonaws.com',
          'public.ecr.aws',
        ],
      },
    ],
  };
  return { path: PATHS.credentialProviderConfig, mode: 0o644, content: stableJson(config) };
}
