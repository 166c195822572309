import { mkdir } from 'node:fs/promises';
import { writeFiles } from '../apply/index.js';
import { planNode } from '../boot.js';
import { EnvironmentError, InputError, describeCause } from '../errors.js';
import { loadConfig } from '../sources/index.js';
import type { Env } from './deps.js';
import { readClusterFile, readInstanceFacts } from './facts-file.js';
import { formatPlan } from './plan-format.js';
import { HOSTS_PATH, pinnedHost } from '../apply/hosts-pin.js';

export interface RenderCliOptions {
  configSources: string[];
  instance: string;
  cluster?: string;
  out: string;
  /** an instance-type table (jsonl) instead of /etc/eks/instance-types.jsonl */
  instanceTypes?: string;
}

/**
 * Offline init: the same plan as the boot path, from files instead of IMDS and AWS, written under
 * --out. The config must come from -c: render never touches IMDS, AWS or systemd.
 */
export async function run(options: RenderCliOptions, _env: Env, out: (line: string) => void): Promise<number> {
  if (options.configSources.some((uri) => uri.startsWith('imds:'))) {
    throw new InputError('render: -c imds://user-data is not allowed (render is offline; give the user data as -c file:///path)');
  }
  if (options.configSources.length === 0) {
    throw new InputError("render: option '-c, --config-source <uri>' is required (render is offline; give the user data as -c file:///path)");
  }
  const [loaded, { sociSnapshotter, ...instance }, clusterFile] = await Promise.all([
    loadConfig(options.configSources, {
      imds: () => {
        throw new Error('internal: render reached for IMDS');
      },
    }),
    readInstanceFacts(options.instance),
    options.cluster ? readClusterFile(options.cluster) : Promise.resolve(undefined),
  ]);
  const file =
    clusterFile && options.cluster
      ? {
          path: options.cluster,
          description: {
            ...(clusterFile.name ? { name: clusterFile.name } : {}),
            ...(clusterFile.apiServerEndpoint ? { apiServerEndpoint: clusterFile.apiServerEndpoint } : {}),
            ...(clusterFile.certificateAuthority ? { certificateAuthority: clusterFile.certificateAuthority } : {}),
            ...(clusterFile.serviceCidr ? { cidr: clusterFile.serviceCidr } : {}),
            ...(clusterFile.id ? { id: clusterFile.id } : {}),
            ...(clusterFile.version !== undefined ? { version: clusterFile.version } : {}),
          },
        }
      : undefined;
  // like init, the baked instance-type table and sandbox image are read from this machine when present
  const { plan, config } = await planNode(loaded.config, {
    facts: {
      root: '/',
      instance,
      ...(options.instanceTypes ? { instanceTypesTable: options.instanceTypes } : {}),
      ...(sociSnapshotter === undefined ? {} : { sociSnapshotter }),
    },
    cluster: file ? { file } : {},
  });
  plan.warnings.unshift(...loaded.advisories, ...loaded.warnings);
  try {
    await mkdir(options.out, { recursive: true });
    await writeFiles(plan.files, { root: options.out });
  } catch (err) {
    if (err instanceof InputError || err instanceof EnvironmentError) throw err;
    throw new EnvironmentError(`--out ${options.out}: cannot write (${describeCause(err)})`, { cause: err });
  }
  for (const line of formatPlan(plan)) out(line);
  // the one step of init that depends on the network at boot, so render can only name it
  const pinned = pinnedHost(config.spec.cluster);
  if (pinned) out(`api server pin: init pins ${pinned} in ${HOSTS_PATH} to the addresses DNS gives at boot (not looked up by render)`);
  return 0;
}
