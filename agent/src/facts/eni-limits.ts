import { readFileSync } from 'node:fs';
import path from 'node:path';
import { maxPodsFlag } from '../api/kubelet-flags.js';
import { describeCause } from '../errors.js';
import type { Ec2Api } from '../aws/ec2.js';
import type { EniLimits } from './types.js';
import { builtinEniLimits } from './builtin-instance-types.js';

/**
 * ENI limits of the instance type, for max pods, from the first source that knows it: the table
 * baked into the image (fresher than the agent), the table built into the agent, then
 * ec2:DescribeInstanceTypes (only for a type newer than both, so a boot normally makes no AWS
 * call). When none knows it, render falls back to 110 pods and says so once.
 */

/** On-node path of the baked table: one JSON object a line, sorted by instanceType. */
export const INSTANCE_TYPES_TABLE = '/etc/eks/instance-types.jsonl';

/** The lookup's answer as Facts fields. */
export function eniFacts(lookup: EniLimitsLookup): { eniLimits?: EniLimits; eniLimitsUnknown?: string } {
  if (lookup.limits) return { eniLimits: lookup.limits };
  return lookup.missing ? { eniLimitsUnknown: lookup.missing } : {};
}

/**
 * An explicit kubelet.config.maxPods, or a --max-pods kubelet flag, wins over everything the ENI
 * limits would decide, so with one the lookup (and its possible EC2 call) is skipped.
 */
export function needsEniLimits(config: { spec?: { kubelet?: { config?: Record<string, unknown>; flags?: string[] } } }): boolean {
  return config.spec?.kubelet?.config?.maxPods === undefined && maxPodsFlag(config.spec?.kubelet?.flags)?.value === undefined;
}

/** One line of the table. */
export interface InstanceTypeRow {
  instanceType: string;
  defaultNetworkCardEnis: number;
  ipv4PerEni: number;
  ipv6: boolean;
}

export interface EniLimitsLookup {
  limits?: EniLimits;
  source: 'table' | 'built-in' | 'ec2' | 'none';
  /** something wrong with a source (a malformed baked table, a failed EC2 call), for the log */
  warnings: string[];
  /** when no source knew the type: why not, for the log line of the lookup (not a warning:
   * render gives the one warning about the 110-pod fallback, and none when maxPods is explicit) */
  missing?: string;
}

export interface LookupOptions {
  root: string;
  /** a table file instead of <root>/etc/eks/instance-types.jsonl (render --instance-types) */
  tableFile?: string;
  /** absent: do not call EC2 (offline runs) */
  ec2?: Pick<Ec2Api, 'describeInstanceTypeEnis'>;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * The row for `instanceType` from the table text, or undefined when absent. Only lines that
 * mention the type are parsed, so a large table costs a string scan; a matching line that is
 * malformed throws with its line number.
 */
export function findInstanceTypeRow(table: string, instanceType: string): InstanceTypeRow | undefined {
  const needle = JSON.stringify(instanceType);
  const lines = table.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.includes(needle)) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`line ${i + 1}: not JSON (${describeCause(err)})`);
    }
    const r = row as Partial<InstanceTypeRow> | null;
    if (r?.instanceType !== instanceType) continue;
    if (!positiveInt(r.defaultNetworkCardEnis) || !positiveInt(r.ipv4PerEni)) {
      throw new Error(`line ${i + 1}: defaultNetworkCardEnis and ipv4PerEni must be positive integers`);
    }
    return { instanceType, defaultNetworkCardEnis: r.defaultNetworkCardEnis, ipv4PerEni: r.ipv4PerEni, ipv6: r.ipv6 === true };
  }
  return undefined;
}

export async function lookupEniLimits(instanceType: string, options: LookupOptions): Promise<EniLimitsLookup> {
  const file = options.tableFile ?? path.join(options.root, INSTANCE_TYPES_TABLE);
  const warnings: string[] = [];
  const tried: string[] = [];
  try {
    const row = findInstanceTypeRow(readFileSync(file, 'utf8'), instanceType);
    if (row) return { limits: { enis: row.defaultNetworkCardEnis, ipv4PerEni: row.ipv4PerEni }, source: 'table', warnings };
    tried.push(`not in ${file}`);
  } catch (err) {
    // An image without the table is normal (the built-in one serves); a table that is there
    // but unreadable or malformed is a fault of the image worth a warning.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') tried.push(`no ${file}`);
    else warnings.push(`${file}: ${describeCause(err)}`);
  }
  const builtin = builtinEniLimits(instanceType);
  if (builtin) return { limits: builtin, source: 'built-in', warnings };
  tried.push("not in the agent's built-in table");
  if (!options.ec2) {
    return { source: 'none', warnings, missing: [...tried, 'ec2:DescribeInstanceTypes not tried (offline)'].join('; ') };
  }
  try {
    return { limits: await options.ec2.describeInstanceTypeEnis(instanceType), source: 'ec2', warnings };
  } catch (err) {
    return { source: 'none', warnings, missing: [...tried, err instanceof Error ? err.message : describeCause(err)].join('; ') };
  }
}
