import { readFile } from 'node:fs/promises';
// the namespace import keeps zod's 60-odd locales out of the bundle
import * as z from 'zod';
import { InputError, describeCause } from '../errors.js';
import type { InstanceFacts } from '../facts/types.js';
import { formatPath, show } from '../api/problems.js';

const text = z.string().min(1);
const instanceFactsSchema = z.strictObject({
  instanceId: text,
  instanceType: text,
  region: text,
  availabilityZone: text,
  mac: text,
  privateIpv4: z.ipv4(),
  ipv6: z.ipv6().optional(),
  privateDnsName: text,
  cpuMillicores: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  kubeletVersion: text,
  containerdVersion: text,
});

/** The cluster details `render --cluster` takes, the subset of eks:DescribeCluster it needs. */
export interface ClusterFile {
  name?: string;
  apiServerEndpoint?: string;
  certificateAuthority?: string;
  serviceCidr?: string;
}
const clusterFileSchema = z.strictObject({
  name: text.optional(),
  apiServerEndpoint: text.optional(),
  certificateAuthority: text.optional(),
  serviceCidr: text.optional(),
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

function check<T>(schema: z.ZodType<T>, value: unknown, option: string, file: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(
    result.error.issues.map((issue) => {
      const path = issue.path;
      const at = path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
      const field = issue.code === 'unrecognized_keys' ? `${formatPath(path) === '(document)' ? '' : `${formatPath(path)}.`}${issue.keys.join(', ')}` : formatPath(path);
      const reason = issue.code === 'unrecognized_keys' ? 'unknown field' : at === undefined ? 'required field is missing' : `${show(at)}: ${issue.message}`;
      return `${option} ${file}: ${field}: ${reason}`;
    }),
  );
}

export async function readInstanceFacts(file: string): Promise<InstanceFacts> {
  return check(instanceFactsSchema, await readJson('--instance', file), '--instance', file);
}

export async function readClusterFile(file: string): Promise<ClusterFile> {
  return check(clusterFileSchema, await readJson('--cluster', file), '--cluster', file);
}
