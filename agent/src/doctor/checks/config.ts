import { failureReason } from '../../aws/client.js';
import { CERTIFICATE_HINT, isCertificateFailure } from '../../aws/trust.js';
import { InputError, describeCause } from '../../errors.js';
import type { NodeConfig, ResolvedNodeConfig } from '../../api/schema.js';
import { withCluster } from '../../boot.js';
import type { ClusterOrigin, ClusterResolution } from '../../facts/cluster.js';
import { missingClusterFields } from '../../api/validate.js';
import { configWarnings, kubeletVersionWarnings } from '../../render/config-warnings.js';
import { parseVersion } from '../../render/versions.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import { instanceAccess, keptAnswers } from '../instance.js';
import type { InstanceIdentity, InstanceRole } from './imds.js';

export interface ConfigValue {
  config: ResolvedNodeConfig;
  /** the NodeConfig as loaded, before the cluster was resolved */
  source: NodeConfig;
  cluster: ClusterResolution;
  /** cluster field -> where its value came from */
  origins: Record<string, ClusterOrigin>;
  /** the instance's identity as the checks read it (IMDS, or this boot's kept answers), when known */
  identity?: InstanceIdentity;
  /** what a boot warns about for this node's kubelet version (named here, as `config check` on the node refuses it) */
  versionWarnings: string[];
}

const USER_DATA_HINT = 'fix the named field in the user data (launch template) or the -c source; `eks-node-agent config check` lists every problem';

export function configCheck(deps: DoctorDeps, sources: string[]): Check {
  const usesImds = sources.length === 0 || sources.some((s) => s.startsWith('imds:'));
  return {
    name: 'config',
    // the user data from this boot's kept answers needs no live IMDS
    needs: usesImds && !keptAnswers(deps) ? ['imds'] : [],
    timeoutMs: 15_000,
    async run(ctx) {
      const instance = await instanceAccess(deps, ctx);
      let loaded;
      try {
        loaded = await deps.loadConfig(sources, instance.imds);
      } catch (err) {
        if (err instanceof InputError) {
          return { status: 'fail', detail: `invalid NodeConfig: ${err.problems.join('; ')}`, hint: USER_DATA_HINT };
        }
        return { status: 'fail', detail: `cannot read the NodeConfig: ${describeCause(err)}`, hint: 'see the imds line; for file:// sources check the path' };
      }
      const missing = missingClusterFields(loaded.config.spec?.cluster);
      const { identity } = instance;
      let resolution: ClusterResolution;
      try {
        // the credentials are waited for only when eks:DescribeCluster is asked
        resolution = await deps.resolveCluster(loaded.config, {
          timeoutMs: ctx.remainingMs(),
          ...(identity ? { region: identity.region, credentials: instance.credentials, instanceId: identity.instanceId } : {}),
        });
      } catch (err) {
        const fields = missing.map((f) => `spec.cluster.${f}`).join(', ');
        const role = identity ? await ctx.optional<InstanceRole>('instance-profile') : undefined;
        if (!identity || !role) {
          return {
            status: 'fail',
            detail: `${fields} missing from the user data, no valid cached answer, and eks:DescribeCluster cannot be called without ${identity ? 'instance credentials' : 'the region from IMDS'}`,
            hint: 'put apiServerEndpoint, certificateAuthority and cidr in the user data, or fix the imds / instance-profile lines',
          };
        }
        return {
          status: 'fail',
          detail: `${fields} missing from the user data and eks:DescribeCluster failed: ${failureReason(err, 'eks:DescribeCluster')}`,
          hint: isCertificateFailure(err)
            ? CERTIFICATE_HINT
            : `the node role needs eks:DescribeCluster (AmazonEKSWorkerNodePolicy) and a route to the EKS API (an eks VPC endpoint in private subnets); or put the fields in the user data`,
        };
      }
      const cluster = resolution.cluster;
      const origins: ConfigValue['origins'] = {};
      for (const f of ['name', 'apiServerEndpoint', 'certificateAuthority', 'cidr'] as const) {
        origins[f] = (missing as string[]).includes(f) ? resolution.origin : 'user data';
      }
      const resolved = withCluster(loaded.config, cluster);
      const from = (o: string): string[] => Object.keys(origins).filter((k) => origins[k] === o);
      const parts = [`cluster ${cluster.name}`, `${from('user data').join(', ')} from user data`];
      if (resolution.origin !== 'user data') parts.push(`${from(resolution.origin).join(', ')} from ${resolution.origin}`);
      const documents = `${loaded.documents.length} document${loaded.documents.length === 1 ? '' : 's'}`;
      // the kubelet version a boot reads (the image's version file): what it warns about for it
      const kubelet = await deps.kubeletVersion(Math.max(1, ctx.remainingMs() - 1_000)).catch(() => undefined);
      const versionWarnings = kubelet ? kubeletVersionWarnings(loaded.config, parseVersion('kubelet version', kubelet)) : [];
      const value = {
        config: resolved,
        source: loaded.config,
        cluster: resolution,
        origins,
        ...(identity ? { identity } : {}),
        versionWarnings,
      } satisfies ConfigValue;
      // What init warned about and went on (unknown fields, a relative CA bundle path, what
      // render warns about whatever the instance or for this kubelet, a discarded cache): config
      // check calls the first two errors (on a node, the kubelet's too) and prints the others, so
      // doctor does not call the config plainly valid.
      const warnings = [...loaded.advisories, ...loaded.warnings, ...configWarnings(loaded.config), ...versionWarnings, ...resolution.warnings];
      if (warnings.length > 0) {
        return {
          status: 'warn',
          detail: `usable (${documents}) with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.join('; ')}; ${parts.join('; ')}`,
          hint: 'init went on as each warning says; `eks-node-agent config check` reports the ones to fix in the user data',
          value,
        };
      }
      return { status: 'ok', detail: `valid (${documents}); ${parts.join('; ')}`, value };
    },
  };
}
