import type { ClusterSpec, ResolvedCluster } from '../api/schema.js';
import { missingClusterFields, type FetchedClusterField } from '../api/validate.js';
import type { EksApi } from '../aws/eks.js';
import { EnvironmentError, InputError } from '../errors.js';

/**
 * Completes spec.cluster: what the user data gives wins, and eks:DescribeCluster is called only
 * when the endpoint, the CA or the service CIDR is missing, so complete user data keeps the
 * boot path free of control-plane calls.
 */

export type FetchableClusterField = FetchedClusterField;

export interface ResolvedClusterResult {
  cluster: ResolvedCluster;
  /** the fields that came from eks:DescribeCluster, in this order; empty when no call was made */
  fetched: FetchableClusterField[];
}

export async function resolveCluster(
  cluster: ClusterSpec | undefined,
  deps: { eks: EksApi },
): Promise<ResolvedClusterResult> {
  const name = cluster?.name;
  if (!name) throw new InputError('spec.cluster.name: is required (the EKS cluster to join)');
  const optional = {
    ...(cluster.enableOutpost === undefined ? {} : { enableOutpost: cluster.enableOutpost }),
    ...(cluster.id === undefined ? {} : { id: cluster.id }),
  };
  const fetched = missingClusterFields(cluster);
  if (fetched.length === 0) {
    return {
      cluster: {
        name,
        apiServerEndpoint: cluster.apiServerEndpoint!,
        certificateAuthority: cluster.certificateAuthority!,
        cidr: cluster.cidr!,
        ...optional,
      },
      fetched,
    };
  }
  const d = await deps.eks.describeCluster(name);
  const fromApi: Record<FetchableClusterField, string | undefined> = {
    apiServerEndpoint: d.endpoint,
    certificateAuthority: d.caData,
    cidr: d.serviceCidr,
  };
  const lacking = fetched.filter((f) => !fromApi[f]);
  if (lacking.length > 0) {
    throw new EnvironmentError(
      `eks:DescribeCluster for cluster "${name}" gave no ${lacking.join(', ')} (cluster status ${d.status ?? 'unknown'})`,
    );
  }
  return {
    cluster: {
      name,
      apiServerEndpoint: cluster.apiServerEndpoint || fromApi.apiServerEndpoint!,
      certificateAuthority: cluster.certificateAuthority || fromApi.certificateAuthority!,
      cidr: cluster.cidr || fromApi.cidr!,
      ...optional,
    },
    fetched,
  };
}
