import { EnvironmentError } from '../errors.js';
import { type AwsClientOptions, callAws, sdkClientConfig } from './client.js';

/**
 * The one EKS call the agent makes: eks:DescribeCluster, to learn what the user data left out.
 * The answer is translated here, at the boundary, into NodeConfig's names (apiServerEndpoint,
 * certificateAuthority, cidr), so everything after it speaks one vocabulary.
 */

export interface ClusterDescription {
  name: string;
  /** https URL of the API server; absent while the cluster is still being created */
  apiServerEndpoint?: string;
  /** base64 of the PEM CA bundle */
  certificateAuthority?: string;
  /** the service CIDR of the cluster's IP family */
  cidr?: string;
  ipFamily: 'ipv4' | 'ipv6';
  /** e.g. "1.33" */
  version?: string;
  /** e.g. "ACTIVE" */
  status?: string;
  /**
   * The cluster id, which only a local cluster (control plane on an Outpost) has; its presence is
   * how the agent tells a local cluster from one whose control plane runs in the Region.
   */
  id?: string;
}

/** What resolveCluster() needs, so tests and other callers can inject their own. */
export interface EksApi {
  describeCluster(name: string): Promise<ClusterDescription>;
}

export function createEksApi(options: AwsClientOptions): EksApi {
  return { describeCluster: (name) => describeCluster(name, options) };
}

export async function describeCluster(name: string, options: AwsClientOptions): Promise<ClusterDescription> {
  const what = `eks:DescribeCluster for cluster "${name}"`;
  const out = await callAws<unknown, import('./sdk/eks.js').DescribeClusterCommandOutput>(what, options, async () => {
    const config = await sdkClientConfig('eks', options);
    const { EKSClient, DescribeClusterCommand } = await import('./sdk/eks.js');
    return { client: new EKSClient(config), command: new DescribeClusterCommand({ name }) };
  });
  const c = out.cluster;
  if (!c) throw new EnvironmentError(`${what} failed: the answer has no cluster`);
  const net = c.kubernetesNetworkConfig;
  const ipFamily = net?.ipFamily === 'ipv6' ? 'ipv6' : 'ipv4';
  const cidr = ipFamily === 'ipv6' ? net?.serviceIpv6Cidr : net?.serviceIpv4Cidr;
  return {
    name: c.name ?? name,
    ipFamily,
    ...(c.endpoint ? { apiServerEndpoint: c.endpoint } : {}),
    ...(c.certificateAuthority?.data ? { certificateAuthority: c.certificateAuthority.data } : {}),
    ...(cidr ? { cidr } : {}),
    ...(c.version ? { version: c.version } : {}),
    ...(c.status ? { status: c.status } : {}),
    ...(c.id && c.outpostConfig ? { id: c.id } : {}),
  };
}
