import { parseAllDocuments } from 'yaml';
import type * as z from 'zod/mini';
import { InputError } from '../errors.js';
import { API_VERSION, KIND, nodeConfigSchema, type NodeConfig } from './schema.js';
import { formatPath, schemaProblems, show } from './problems.js';

/** The parts of a zod schema's definition the "did you mean" hints walk. */
interface Def {
  type: string;
  innerType?: z.ZodMiniType;
  shape?: Record<string, z.ZodMiniType>;
}

/** The object (or other) schema under any optional wrappers. */
function unwrap(schema: z.ZodMiniType | undefined): Def | undefined {
  let def = schema?._zod.def as Def | undefined;
  while (def?.type === 'optional' && def.innerType) def = def.innerType._zod.def as Def;
  return def;
}

/** Field names the schema knows at a path, for "did you mean" hints. */
function knownKeysAt(path: PropertyKey[]): string[] {
  let def = unwrap(nodeConfigSchema);
  for (const key of path) def = unwrap(def?.shape?.[String(key)]);
  return def?.shape ? Object.keys(def.shape) : [];
}

/** Checks one parsed document against the schema; every problem is prefixed with `where`. */
export function toNodeConfig(value: unknown, where: string): NodeConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`${where}: expected a NodeConfig map, got ${show(value)}`);
  }
  const doc = value as Record<string, unknown>;
  // Name the two identifying fields first: a wrong kind makes every other message noise.
  if (doc.apiVersion !== API_VERSION) {
    throw new InputError(`${where}: apiVersion: ${show(doc.apiVersion)} is not supported (expected "${API_VERSION}")`);
  }
  if (doc.kind !== KIND) {
    throw new InputError(`${where}: kind: ${show(doc.kind)} is not supported (expected "${KIND}")`);
  }
  const result = nodeConfigSchema.safeParse(value);
  if (!result.success) {
    throw new InputError(schemaProblems(result.error, value, knownKeysAt).map((p) => `${where}: ${p}`));
  }
  return result.data;
}

/**
 * Parses a YAML or JSON text (JSON is YAML) holding one or more NodeConfig documents.
 * Empty documents (a lone `---`) are skipped.
 */
export function parseNodeConfigs(text: string, where: string): NodeConfig[] {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const configs: NodeConfig[] = [];
  list.forEach((doc, index) => {
    const label = list.length > 1 ? `${where} (document ${index + 1})` : where;
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(`${label}: malformed YAML${at}: ${reason}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    configs.push(toNodeConfig(value, label));
  });
  return configs;
}

export { formatPath };
