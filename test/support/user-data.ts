import { stringify } from 'yaml';
import { TEST_CLUSTER_CA_BASE64, TEST_CLUSTER_ENDPOINT } from '../emulators/eks.js';

/** NodeConfig user data (YAML) holding this spec. */
export function nodeConfig(spec: Record<string, unknown>): string {
  return stringify({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec });
}

/** spec.cluster complete for the emulated cluster, so the agent makes no EKS call. */
export const completeCluster = {
  name: 'test-cluster',
  apiServerEndpoint: TEST_CLUSTER_ENDPOINT,
  certificateAuthority: TEST_CLUSTER_CA_BASE64,
  cidr: '10.100.0.0/16',
};
