import { readFile } from 'node:fs/promises';
// zod/mini, as the NodeConfig schema (agent/src/api/schema.ts says why)
import * as z from 'zod/mini';
import { InputError, describeCause } from '../errors.js';
import type { InstanceFacts } from '../facts/types.js';
import { expectation, formatPath, show, valueAt } from '../api/problems.js';

const text = z.string().check(z.minLength(1));
const count = z.int().check(z.positive());
const instanceFactsSchema = z.strictObject({
  instanceId: text,
  instanceType: text,
  region: text,
  availabilityZone: text,
  mac: text,
  privateIpv4: z.optional(z.ipv4()),
  ipv6: z.optional(z.ipv6()),
  privateDnsName: text,
  cpuMillicores: count,
  memoryMiB: count,
  kubeletVersion: text,
  containerdVersion: text,
  imdsOverIpv6: z.optional(z.boolean()),
  /** not an instance fact but the image's: whether it has the SOCI snapshotter (FastImagePull); absent, render looks on this machine */
  sociSnapshotter: z.optional(z.boolean()),
});

/** The cluster details `render --cluster` takes, the subset of eks:DescribeCluster it needs. */
export interface ClusterFile {
  name?: string;
  apiServerEndpoint?: string;
  certificateAuthority?: string;
  serviceCidr?: string;
  /** a local cluster's id (control plane on an Outpost), as eks:DescribeCluster gives only for one */
  id?: string;
  /** the cluster's Kubernetes minor, e.g. "1.33": the kubelet is judged against it */
  version?: string;
}
const clusterFileSchema = z.strictObject({
  name: z.optional(text),
  apiServerEndpoint: z.optional(text),
  certificateAuthority: z.optional(text),
  serviceCidr: z.optional(text),
  id: z.optional(text),
  version: z.optional(text),
});

async function readJson(option: string, file: string): Promise<unknown> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${option} ${file}: cannot read (${describeCause(err)})`, { cause: err });
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new InputError(`${option} ${file}: not JSON (${describeCause(err)})`, { cause: err });
  }
}

function check<T>(schema: z.ZodMiniType<T>, value: unknown, option: string, file: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(
    result.error.issues.map((issue) => {
      const path = issue.path;
      const at = valueAt(value, path);
      const field =
        issue.code === 'unrecognized_keys' ? `${formatPath(path) === '(document)' ? '' : `${formatPath(path)}.`}${issue.keys.join(', ')}` : formatPath(path);
      const reason =
        issue.code === 'unrecognized_keys' ? 'unknown field' : at === undefined ? 'required field is missing' : `${show(at)} is not ${expectation(issue)}`;
      return `${option} ${file}: ${field}: ${reason}`;
    }),
  );
}

export async function readInstanceFacts(file: string): Promise<InstanceFacts & { sociSnapshotter?: boolean }> {
  return check(instanceFactsSchema, await readJson('--instance', file), '--instance', file);
}

export async function readClusterFile(file: string): Promise<ClusterFile> {
  return check(clusterFileSchema, await readJson('--cluster', file), '--cluster', file);
}
