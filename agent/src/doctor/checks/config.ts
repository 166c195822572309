import { InputError, describeCause } from '../../errors.js';
import type { ResolvedCluster, ResolvedNodeConfig } from '../../api/schema.js';
import { missingClusterFields } from '../../api/validate.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { InstanceIdentity, InstanceRole } from './imds.js';

export interface ConfigValue {
  config: ResolvedNodeConfig;
  /** cluster field -> where its value came from */
  origins: Record<string, 'user data' | 'eks:DescribeCluster'>;
}

const USER_DATA_HINT =
  'fix the named field in the user data (launch template) or the -c source; `eks-node-agent config check` lists every problem';

export function configCheck(deps: DoctorDeps, sources: string[]): Check {
  const usesImds = sources.length === 0 || sources.some((s) => s.startsWith('imds:'));
  return {
    name: 'config',
    needs: usesImds ? ['imds'] : [],
    timeoutMs: 15_000,
    async run(ctx) {
      let loaded;
      try {
        loaded = await deps.loadConfig(sources);
      } catch (err) {
        if (err instanceof InputError) {
          return { status: 'fail', detail: `invalid NodeConfig: ${err.problems.join('; ')}`, hint: USER_DATA_HINT };
        }
        return { status: 'fail', detail: `cannot read the NodeConfig: ${describeCause(err)}`, hint: 'see the imds line; for file:// sources check the path' };
      }
      const cluster = { ...loaded.config.spec?.cluster };
      const missing = missingClusterFields(loaded.config.spec?.cluster);
      const origins: ConfigValue['origins'] = {};
      for (const f of ['name', 'apiServerEndpoint', 'certificateAuthority', 'cidr'] as const) if (cluster[f]) origins[f] = 'user data';
      if (missing.length > 0) {
        const identity = await ctx.optional<InstanceIdentity>('imds');
        const role = await ctx.optional<InstanceRole>('instance-profile');
        const fields = missing.map((f) => `spec.cluster.${f}`).join(', ');
        if (!identity || !role) {
          return {
            status: 'fail',
            detail: `${fields} missing from the user data, and eks:DescribeCluster cannot be called without ${identity ? 'instance credentials' : 'the region from IMDS'}`,
            hint: 'put apiServerEndpoint, certificateAuthority and cidr in the user data, or fix the imds / instance-profile lines',
          };
        }
        let described: Partial<ResolvedCluster>;
        try {
          described = await deps.describeCluster(cluster.name!, { region: identity.region, credentials: role.credentials, timeoutMs: ctx.remainingMs() });
        } catch (err) {
          return {
            status: 'fail',
            detail: `${fields} missing from the user data and eks:DescribeCluster failed: ${describeCause(err)}`,
            hint: `the node role needs eks:DescribeCluster (AmazonEKSWorkerNodePolicy) and a route to the EKS API (an eks VPC endpoint in private subnets); or put the fields in the user data`,
          };
        }
        for (const f of missing) {
          const v = described[f];
          if (!v) {
            return { status: 'fail', detail: `eks:DescribeCluster gave no ${f} for cluster ${cluster.name}`, hint: 'the cluster may still be CREATING; wait until it is ACTIVE' };
          }
          cluster[f] = v;
          origins[f] = 'eks:DescribeCluster';
        }
      }
      const resolved = {
        apiVersion: loaded.config.apiVersion,
        kind: loaded.config.kind,
        spec: { ...loaded.config.spec, cluster: cluster as ResolvedCluster },
      } as ResolvedNodeConfig;
      const from = (o: string): string[] => Object.keys(origins).filter((k) => origins[k] === o);
      const parts = [`cluster ${cluster.name}`, `${from('user data').join(', ')} from user data`];
      if (from('eks:DescribeCluster').length > 0) parts.push(`${from('eks:DescribeCluster').join(', ')} from eks:DescribeCluster`);
      return {
        status: 'ok',
        detail: `valid (${loaded.documents.length} document${loaded.documents.length === 1 ? '' : 's'}); ${parts.join('; ')}`,
        value: { config: resolved, origins } satisfies ConfigValue,
      };
    },
  };
}
