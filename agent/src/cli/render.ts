import { mkdir, readFile } from 'node:fs/promises';
import { loadConfig } from '../sources/index.js';
import type { NodeConfig, ResolvedNodeConfig, ResolvedCluster } from '../api/schema.js';
import { resolveCluster } from '../facts/cluster.js';
import { findInstanceTypeRow, lookupEniLimits } from '../facts/eni-limits.js';
import { readSandboxImage } from '../facts/sandbox-image.js';
import type { EniLimits } from '../facts/types.js';
import { render } from '../render/index.js';
import { writeFiles } from '../apply/index.js';
import { InputError, EnvironmentError, describeCause } from '../errors.js';
import { configChecks } from './config-checks.js';
import { lazyImds, type Env } from './deps.js';
import { readClusterFile, readInstanceFacts, type ClusterFile } from './facts-file.js';
import { formatPlan } from './plan-format.js';

export interface RenderCliOptions {
  configSources: string[];
  instance: string;
  cluster?: string;
  out: string;
  /** an instance-type table (jsonl) instead of /etc/eks/instance-types.jsonl */
  instanceTypes?: string;
}

/** A NodeConfig whose cluster section is complete, the input of render(). */
export function withCluster(config: NodeConfig, cluster: ResolvedCluster): ResolvedNodeConfig {
  return { apiVersion: config.apiVersion, kind: config.kind, spec: { ...config.spec, cluster } };
}

/** Offline stand-in for eks:DescribeCluster: the --cluster file, or an error naming what is missing. */
function clusterFromFile(file: ClusterFile | undefined, path: string | undefined) {
  return {
    async describeCluster(name: string) {
      if (!file) {
        throw new InputError(
          `spec.cluster: render is offline and the user data lacks the endpoint, CA or CIDR of cluster "${name}" (give them in the user data or with --cluster FILE)`,
        );
      }
      if (file.name && file.name !== name) {
        throw new InputError(`--cluster ${path}: name "${file.name}" is not the user data's cluster "${name}"`);
      }
      return {
        name,
        endpoint: file.apiServerEndpoint,
        caData: file.certificateAuthority,
        serviceCidr: file.serviceCidr,
        ipFamily: file.serviceCidr?.includes(':') ? ('ipv6' as const) : ('ipv4' as const),
      };
    },
  };
}

async function eniLimitsOffline(type: string, table: string | undefined): Promise<{ limits?: EniLimits; warnings: string[] }> {
  if (!table) return lookupEniLimits(type, { root: '/' });
  let text: string;
  try {
    text = await readFile(table, 'utf8');
  } catch (err) {
    throw new InputError(`--instance-types ${table}: cannot read (${describeCause(err)})`, { cause: err });
  }
  const row = findInstanceTypeRow(text, type);
  return row
    ? { limits: { enis: row.defaultNetworkCardEnis, ipv4PerEni: row.ipv4PerEni }, warnings: [] }
    : { warnings: [`instance type "${type}" is not in ${table}; max pods falls back to 110`] };
}

export async function run(options: RenderCliOptions, env: Env, out: (line: string) => void): Promise<number> {
  const [loaded, instance, clusterFile] = await Promise.all([
    loadConfig(options.configSources, { imds: lazyImds(env) }, configChecks),
    readInstanceFacts(options.instance),
    options.cluster ? readClusterFile(options.cluster) : Promise.resolve(undefined),
  ]);
  const { cluster } = await resolveCluster(loaded.config.spec?.cluster, { eks: clusterFromFile(clusterFile, options.cluster) });
  // like the instance-type table, the baked sandbox image is read from this machine when present
  const [eni, sandboxImage] = await Promise.all([eniLimitsOffline(instance.instanceType, options.instanceTypes), readSandboxImage('/')]);
  const plan = render(withCluster(loaded.config, cluster), {
    instance,
    ...(eni.limits ? { eniLimits: eni.limits } : {}),
    ...(sandboxImage ? { sandboxImage } : {}),
  });
  plan.warnings.unshift(...eni.warnings.filter((w) => !plan.warnings.includes(w)));
  try {
    await mkdir(options.out, { recursive: true });
    await writeFiles(plan.files, { root: options.out });
  } catch (err) {
    if (err instanceof InputError || err instanceof EnvironmentError) throw err;
    throw new EnvironmentError(`--out ${options.out}: cannot write (${describeCause(err)})`, { cause: err });
  }
  for (const line of formatPlan(plan)) out(line);
  return 0;
}
