import { typeOf } from '../api/problems.js';
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
  const out = await callAws<unknown, import('./sdk/eks.js').DescribeClusterCommandOutput>(what, options, async (watch) => {
    const config = await sdkClientConfig('eks', options, watch);
    const { EKSClient, DescribeClusterCommand } = await import('./sdk/eks.js');
    return { client: new EKSClient(config), command: new DescribeClusterCommand({ name }) };
  });
  const c = out.cluster;
  if (!c) throw new EnvironmentError(`${what} failed: the answer has no cluster`);
  // The SDK passes the JSON's types through: an endpoint that is not EKS (a proxy's page, another
  // service behind AWS_ENDPOINT_URL_EKS) can put a number or a map where a string belongs.
  const text = (value: unknown, field: string): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new EnvironmentError(`${what} failed: the answer's cluster.${field} is a ${typeOf(value)}, not a string`);
    return value;
  };
  const net = c.kubernetesNetworkConfig;
  const ipFamily = text(net?.ipFamily, 'kubernetesNetworkConfig.ipFamily') === 'ipv6' ? 'ipv6' : 'ipv4';
  const cidr =
    ipFamily === 'ipv6'
      ? text(net?.serviceIpv6Cidr, 'kubernetesNetworkConfig.serviceIpv6Cidr')
      : text(net?.serviceIpv4Cidr, 'kubernetesNetworkConfig.serviceIpv4Cidr');
  const endpoint = text(c.endpoint, 'endpoint');
  const ca = text(c.certificateAuthority?.data, 'certificateAuthority.data');
  const version = text(c.version, 'version');
  const status = text(c.status, 'status');
  const id = c.outpostConfig ? text(c.id, 'id') : undefined;
  return {
    name: text(c.name, 'name') ?? name,
    ipFamily,
    ...(endpoint ? { apiServerEndpoint: endpoint } : {}),
    ...(ca ? { certificateAuthority: ca } : {}),
    ...(cidr ? { cidr } : {}),
    ...(version ? { version } : {}),
    ...(status ? { status } : {}),
    ...(id ? { id } : {}),
  };
}
