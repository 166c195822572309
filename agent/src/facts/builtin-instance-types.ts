import { inflateRawSync } from 'node:zlib';
import { BUILTIN_TABLE } from './instance-types.generated.js';
import type { EniLimits } from './types.js';

/**
 * The instance-type table built into the agent, so that max pods is known without AWS on any
 * instance type that existed when the agent was built (and `render` on a laptop agrees with
 * the node). The image's own table, baked later, is fresher and is asked first.
 *
 * Encoding (scripts/gen-builtin-instance-types.ts writes it): raw DEFLATE of one line per
 * family, `family:size enis ipv4PerEni,size enis ipv4PerEni,...`, then base64. Decoded once,
 * on first use.
 */
let table: Map<string, EniLimits> | undefined;

export function decodeBuiltinTable(data: string): Map<string, EniLimits> {
  const out = new Map<string, EniLimits>();
  const text = inflateRawSync(Buffer.from(data, 'base64')).toString('utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    const family = line.slice(0, colon);
    for (const entry of line.slice(colon + 1).split(',')) {
      const [size, enis, ipv4PerEni] = entry.split(' ');
      out.set(`${family}.${size}`, { enis: Number(enis), ipv4PerEni: Number(ipv4PerEni) });
    }
  }
  return out;
}

export function builtinEniLimits(instanceType: string): EniLimits | undefined {
  table ??= decodeBuiltinTable(BUILTIN_TABLE.data);
  return table.get(instanceType);
}

/** Where the built-in table came from, for `version` output and the log. */
export const BUILTIN_TABLE_SOURCE = BUILTIN_TABLE.source;
