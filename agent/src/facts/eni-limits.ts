import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeCause } from '../errors.js';
import type { Ec2Api } from '../aws/ec2.js';
import type { EniLimits } from './types.js';

/**
 * ENI limits of the instance type, for max pods: the table baked into the image first (no API
 * call on the boot path), then ec2:DescribeInstanceTypes, then nothing and a warning (render
 * falls back to 110 pods).
 */

/** On-node path of the baked table: one JSON object a line, sorted by instanceType. */
export const INSTANCE_TYPES_TABLE = '/etc/eks/instance-types.jsonl';

/** One line of the table. */
export interface InstanceTypeRow {
  instanceType: string;
  defaultNetworkCardEnis: number;
  ipv4PerEni: number;
  ipv6: boolean;
}

export interface EniLimitsLookup {
  limits?: EniLimits;
  source: 'table' | 'ec2' | 'none';
  /** why the table was not enough, one line each, for the log */
  warnings: string[];
}

export interface LookupOptions {
  root: string;
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
  const file = path.join(options.root, INSTANCE_TYPES_TABLE);
  const warnings: string[] = [];
  try {
    const row = findInstanceTypeRow(await readFile(file, 'utf8'), instanceType);
    if (row) return { limits: { enis: row.defaultNetworkCardEnis, ipv4PerEni: row.ipv4PerEni }, source: 'table', warnings };
    warnings.push(`instance type "${instanceType}" is not in ${file}`);
  } catch (err) {
    warnings.push(`${file}: ${describeCause(err)}`);
  }
  if (!options.ec2) {
    warnings.push(`ec2:DescribeInstanceTypes not tried (no EC2 client); max pods falls back to 110`);
    return { source: 'none', warnings };
  }
  try {
    return { limits: await options.ec2.describeInstanceTypeEnis(instanceType), source: 'ec2', warnings };
  } catch (err) {
    warnings.push(`${describeCause(err)}; max pods falls back to 110`);
    return { source: 'none', warnings };
  }
}
