import { BUILTIN_TABLE } from './instance-types.generated.js';
import type { EniLimits } from './types.js';

/**
 * The instance-type table built into the agent, so that max pods is known without AWS on any
 * instance type that existed when the agent was built (and `render` on a laptop agrees with
 * the node). The image's own table, baked later, is fresher and is asked first.
 *
 * Encoding (scripts/gen-builtin-instance-types.ts writes it): raw DEFLATE of one line per
 * family, `family:size enis ipv4PerEni,size enis ipv4PerEni,...`, then base64. Inflated once, on
 * first use; a lookup reads only its family's line (a boot asks for one type).
 */
let text: string | undefined;

function inflate(data: string): string {
  // Loaded here, not imported: a boot whose max pods is given, or found in the image's table,
  // never inflates, and loading node:zlib costs every boot.
  const { inflateRawSync } = process.getBuiltinModule('node:zlib');
  return inflateRawSync(Buffer.from(data, 'base64')).toString('utf8');
}

function parseSizes(line: string, family: string, out: Map<string, EniLimits>): void {
  for (const entry of line.split(',')) {
    const [size, enis, ipv4PerEni] = entry.split(' ');
    out.set(`${family}.${size}`, { enis: Number(enis), ipv4PerEni: Number(ipv4PerEni) });
  }
}

/** The whole table (tests and tools; a boot uses builtinEniLimits). */
export function decodeBuiltinTable(data: string): Map<string, EniLimits> {
  const out = new Map<string, EniLimits>();
  for (const line of inflate(data).split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    parseSizes(line.slice(colon + 1), line.slice(0, colon), out);
  }
  return out;
}

export function builtinEniLimits(instanceType: string): EniLimits | undefined {
  const dot = instanceType.indexOf('.');
  if (dot <= 0) return undefined;
  const family = instanceType.slice(0, dot);
  text ??= `\n${inflate(BUILTIN_TABLE.data)}`;
  const start = text.indexOf(`\n${family}:`);
  if (start === -1) return undefined;
  const from = start + family.length + 2;
  const end = text.indexOf('\n', from);
  const sizes = new Map<string, EniLimits>();
  parseSizes(text.slice(from, end === -1 ? undefined : end), family, sizes);
  return sizes.get(instanceType);
}

/** Where the built-in table came from, for `version` output and the log. */
export const BUILTIN_TABLE_SOURCE = BUILTIN_TABLE.source;
