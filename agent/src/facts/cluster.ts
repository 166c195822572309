import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSpec, ResolvedCluster } from '../api/schema.js';
import { checkClusterValues, type FetchedClusterField, missingClusterFields } from '../api/validate.js';
import type { ClusterDescription, EksApi } from '../aws/eks.js';
import { show } from '../api/problems.js';
import { EnvironmentError, InputError } from '../errors.js';
import type { PlannedFile } from '../render/plan.js';

/**
 * The one cluster resolution, used by init, render, config check and doctor: what the user data
 * gives wins; what it lacks comes from the `--cluster` file (render) or the answer cached by an
 * earlier boot, and only then from eks:DescribeCluster. Every value from outside the user data
 * passes the same rules as user data before it is used or cached; the cache is a planned file
 * that apply writes, so `--dry-run` lists it and writes nothing.
 */

/**
 * What eks:DescribeCluster answered, kept so the run phase, a re-run of init and a reboot do not
 * call the EKS API again (it throttles in large scale-ups). Persistent (/var/lib), not /run.
 */
export const CLUSTER_CACHE_PATH = '/var/lib/eks-node-agent/cluster.json';

export type ClusterOrigin = 'user data' | 'cluster file' | 'cached answer' | 'eks:DescribeCluster';

export interface ClusterResolution {
  cluster: ResolvedCluster;
  /** the fields that did not come from the user data, in this order; empty when none */
  fetched: FetchedClusterField[];
  origin: ClusterOrigin;
  /** the validated answer to keep for the next boot; present whenever fields came from EKS or its cache */
  cacheFile?: PlannedFile;
  /** e.g. a cache that failed the rules and was discarded */
  warnings: string[];
  /**
   * the cluster's Kubernetes minor (e.g. "1.33") as the description gave it (EKS, its cache or
   * the `--cluster` file); absent when the user data was complete, which needs no description
   */
  version?: string;
}

export interface ClusterSources {
  /** `render --cluster FILE`: stands in for EKS and the cache; no file means render is offline */
  file?: { path: string; description: Partial<ClusterDescription> };
  /** the node root whose cache is read (init, doctor) */
  cacheRoot?: string;
  /**
   * The instance this runs on, when known: the cache names the instance it was written on, and a
   * cached answer from another (an image made from a node that had joined carries it to every
   * instance launched from it, whatever cluster of that name they join) is not trusted.
   */
  instanceId?: string;
  /** absent: offline (render) */
  eks?: EksApi;
}

/** `id` only for a local cluster (control plane on an Outpost): see ClusterDescription.id */
type Answer = Partial<Record<FetchedClusterField, string>> & { name?: string; id?: string; version?: string; instanceId?: string };

/** A Kubernetes minor as eks:DescribeCluster gives it ("1.33"); anything else is not kept. */
const CLUSTER_VERSION = /^\d+\.\d+$/;
const versionOf = (answer: Answer): string | undefined =>
  typeof answer.version === 'string' && CLUSTER_VERSION.test(answer.version) ? answer.version : undefined;

function cacheFile(name: string, answer: Answer, version: string | undefined, instanceId: string | undefined): PlannedFile {
  const body = {
    name,
    apiServerEndpoint: answer.apiServerEndpoint,
    certificateAuthority: answer.certificateAuthority,
    cidr: answer.cidr,
    ...(answer.id ? { id: answer.id } : {}),
    ...(version ? { version } : {}),
    ...(instanceId ? { instanceId } : {}),
  };
  return { path: CLUSTER_CACHE_PATH, mode: 0o644, content: `${JSON.stringify(body, null, 2)}\n` };
}

const ALL_FIELDS: readonly FetchedClusterField[] = ['apiServerEndpoint', 'certificateAuthority', 'cidr'];

/** The rules' verdict on an answer from outside the user data: the fields it must give, and every value it gives. */
function judge(answer: Answer, required: readonly FetchedClusterField[], label: (f: FetchedClusterField) => string): string[] {
  // a damaged cache can hold any JSON (a --cluster file's types are its schema's): the rules read strings
  const notText = [
    ...ALL_FIELDS.filter((f) => answer[f] !== undefined && answer[f] !== null && typeof answer[f] !== 'string').map((f) => `${label(f)}: ${show(answer[f])}`),
    ...(answer.id !== undefined && answer.id !== null && typeof answer.id !== 'string' ? [`id: ${show(answer.id)}`] : []),
  ];
  if (notText.length > 0) return notText.map((p) => `${p} is not a string`);
  const lacking = required.filter((f) => !answer[f]).map((f) => `${label(f)}: missing`);
  return [...lacking, ...checkClusterValues(answer, label).problems];
}

/** The cached answer for this cluster name, if one is there and reads as JSON. */
function readCache(root: string, name: string): { answer?: Answer; warning?: string } {
  let text: string;
  try {
    text = readFileSync(join(root, CLUSTER_CACHE_PATH), 'utf8');
  } catch {
    return {};
  }
  try {
    const answer = JSON.parse(text) as Answer;
    return answer?.name === name ? { answer } : {};
  } catch {
    return { warning: `${CLUSTER_CACHE_PATH}: not JSON; discarded, asking eks:DescribeCluster` };
  }
}

/** Where a Nitro instance's firmware gives its instance id, read without asking IMDS. */
export const BOARD_ASSET_TAG_PATH = '/sys/devices/virtual/dmi/id/board_asset_tag';

/** This instance's id as its firmware gives it (a Nitro instance's board asset tag), when it does. */
function firmwareInstanceId(root: string): string | undefined {
  try {
    const tag = readFileSync(join(root, BOARD_ASSET_TAG_PATH), 'utf8').trim();
    return /^i-[0-9a-f]{8,17}$/.test(tag) ? tag : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether resolveCluster() will ask EKS, as far as is known before it runs: the user data lacks a
 * value and the cache holds no answer for this cluster that gives all three, or the answer names
 * no instance, or another one than the firmware of a Nitro instance names (resolveCluster then
 * discards it; without that firmware, whether this instance wrote it is judged there alone, and a
 * Xen instance launched from an image made from a node reads its credentials when EKS is asked).
 * Whether its values pass the rules is judged once, by resolveCluster. init uses it to read the
 * instance role's credentials beside the facts, not after them.
 */
export function clusterNeedsEks(cluster: ClusterSpec | undefined, cacheRoot: string): boolean {
  if (!cluster?.name || missingClusterFields(cluster).length === 0) return false;
  const { answer } = readCache(cacheRoot, cluster.name);
  if (!answer || ALL_FIELDS.some((f) => typeof answer[f] !== 'string' || answer[f] === '')) return true;
  if (typeof answer.instanceId !== 'string' || answer.instanceId === '') return true;
  const here = firmwareInstanceId(cacheRoot);
  return here !== undefined && here !== answer.instanceId;
}

/**
 * Whether the node joins a local cluster (control plane on an Outpost), and its id. The user data
 * decides when it says; when it is silent and the cluster was described (by EKS, its cached
 * answer or a `--cluster` file), the answer's id decides, as the old bootstrap.sh did: a local
 * cluster's nodes need the id for their token, a certificate of their own and the API server's
 * addresses pinned (render/kubeconfig.ts, apply/hosts-pin.ts), or they lose the cluster whenever
 * the Outpost is cut off from its Region. An answer that contradicts the user data is a warning.
 */
function localCluster(
  cluster: ClusterSpec,
  answer: Answer,
  origin: ClusterOrigin,
): { fields: Pick<ResolvedCluster, 'enableOutpost' | 'id'>; warnings: string[] } {
  const given = {
    ...(cluster.enableOutpost === undefined ? {} : { enableOutpost: cluster.enableOutpost }),
    ...(cluster.id === undefined ? {} : { id: cluster.id }),
  };
  if (origin === 'user data') return { fields: given, warnings: [] };
  const warnings: string[] = [];
  const says =
    origin === 'cluster file'
      ? 'the --cluster file'
      : origin === 'cached answer'
        ? `the cached eks:DescribeCluster answer (${CLUSTER_CACHE_PATH})`
        : 'eks:DescribeCluster';
  if (answer.id && cluster.enableOutpost === false) {
    warnings.push(
      `spec.cluster.enableOutpost: false, but ${says} gives cluster "${cluster.name}" the local-cluster id ${answer.id}: the kubelet keeps IAM tokens, which fail while the Outpost is cut off from its Region`,
    );
  }
  if (!answer.id && cluster.enableOutpost === true && origin === 'eks:DescribeCluster') {
    warnings.push(`spec.cluster.enableOutpost: true, but ${says} gives cluster "${cluster.name}" no local-cluster id (its control plane is not on an Outpost)`);
  }
  if (answer.id && cluster.id && cluster.id !== answer.id && cluster.enableOutpost !== false) {
    warnings.push(`spec.cluster.id: ${JSON.stringify(cluster.id)} is not the id ${says} gives (${answer.id}); the user data's is used`);
  }
  if (!answer.id || cluster.enableOutpost !== undefined) return { fields: given, warnings };
  return { fields: { enableOutpost: true, id: cluster.id ?? answer.id }, warnings };
}

export async function resolveCluster(cluster: ClusterSpec | undefined, sources: ClusterSources): Promise<ClusterResolution> {
  const name = cluster?.name;
  if (!name) throw new InputError('spec.cluster.name: required field is missing (expected the EKS cluster name)');
  const fetched = missingClusterFields(cluster);
  const complete = (answer: Answer, origin: ClusterOrigin, warnings: string[] = []): ClusterResolution => {
    const local = localCluster(cluster, answer, origin);
    const version = versionOf(answer);
    return {
      cluster: {
        name,
        apiServerEndpoint: cluster.apiServerEndpoint || answer.apiServerEndpoint!,
        certificateAuthority: cluster.certificateAuthority || answer.certificateAuthority!,
        cidr: cluster.cidr || answer.cidr!,
        ...local.fields,
      },
      fetched,
      origin,
      warnings: [...warnings, ...local.warnings],
      ...(version ? { version } : {}),
      ...(origin === 'cached answer' || origin === 'eks:DescribeCluster' ? { cacheFile: cacheFile(name, answer, version, sources.instanceId) } : {}),
    };
  };
  if (fetched.length === 0) return complete({}, 'user data');

  if (sources.file) {
    const { path, description } = sources.file;
    if (description.name && description.name !== name) {
      throw new InputError(`--cluster ${path}: name "${description.name}" is not the user data's cluster "${name}"`);
    }
    const fileKey = (f: FetchedClusterField) => `--cluster ${path}: ${f === 'cidr' ? 'serviceCidr' : f}`;
    const problems = judge(description, fetched, fileKey);
    if (description.version !== undefined && !versionOf(description)) {
      problems.push(
        `--cluster ${path}: version: ${show(description.version)} is not a Kubernetes minor (expected e.g. "1.33", as eks:DescribeCluster gives it)`,
      );
    }
    if (problems.length > 0) throw new InputError(problems);
    return complete(description, 'cluster file');
  }

  const warnings: string[] = [];
  if (sources.cacheRoot !== undefined) {
    const cached = readCache(sources.cacheRoot, name);
    if (cached.warning) warnings.push(cached.warning);
    const written = cached.answer?.instanceId;
    if (cached.answer && sources.instanceId !== undefined && written !== sources.instanceId) {
      // another instance's answer (the image was made from a node), or one that names none (an older agent's)
      warnings.push(
        `${CLUSTER_CACHE_PATH}: written ${typeof written === 'string' && written !== '' ? `on instance ${written}` : 'without the instance it was written on'}, not on this one (${sources.instanceId}), as when an image is made from a node; discarded, asking eks:DescribeCluster`,
      );
    } else if (cached.answer) {
      // The cache holds all three values; a cache failing the rules (written by an older agent,
      // or damaged) is never used: it is discarded and EKS is asked again.
      const problems = judge(cached.answer, ALL_FIELDS, (f) => f);
      if (problems.length === 0) return complete(cached.answer, 'cached answer', warnings);
      warnings.push(`${CLUSTER_CACHE_PATH}: ${problems.join('; ')}; discarded, asking eks:DescribeCluster`);
    }
  }

  if (!sources.eks) {
    throw new InputError(
      `spec.cluster: render is offline and the user data lacks ${fetched.map((f) => `spec.cluster.${f}`).join(', ')} of cluster "${name}" (give them in the user data or with --cluster FILE)`,
    );
  }
  const answer = await sources.eks.describeCluster(name);
  const lacking = ALL_FIELDS.filter((f) => !answer[f]);
  if (lacking.length > 0) {
    throw new EnvironmentError(`eks:DescribeCluster for cluster "${name}" gave no ${lacking.join(', ')} (cluster status ${answer.status ?? 'unknown'})`);
  }
  // EKS's answer passes the same rules as user data and is cached only when it does; the
  // message says the value came from EKS, so no one goes looking in the user data.
  const problems = judge(answer, ALL_FIELDS, (f) => f);
  if (problems.length > 0) {
    throw new EnvironmentError(`eks:DescribeCluster for cluster "${name}" answered values the agent refuses (not cached): ${problems.join('; ')}`);
  }
  return complete(answer, 'eks:DescribeCluster', warnings);
}
