import { parseAllDocuments } from 'yaml';
import type * as z from 'zod/mini';
import { InputError } from '../errors.js';
import { API_VERSION, KIND, nodeConfigSchema, type NodeConfig } from './schema.js';
import { formatPath, schemaProblems, show, valueAt } from './problems.js';

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

/** How many alias expansions one document may need; real NodeConfigs use few or none. */
export const MAX_ALIAS_COUNT = 100;

/** One document read: the config, plus what a person should hear about it. */
export interface ParsedDocument {
  config: NodeConfig;
  /** where it was read: the source, and "(document N)" when its text holds several */
  where: string;
  /** advisory problems (unknown fields): errors for `config check`, warnings at boot */
  advisories: string[];
  /** empty optional values treated as not set */
  notes: string[];
}

const SCALARS = new Set(['string', 'boolean', 'number', 'int', 'enum', 'literal']);

/**
 * `null` for an optional field, and `""` for an optional scalar, mean "not set", as Go's zero
 * values do for nodeadm: a template that leaves `apiServerEndpoint:` empty gets it fetched like
 * a missing one. Removes them in place and names each one.
 */
function dropEmpty(value: unknown, def: Def | undefined, path: PropertyKey[], notes: string[]): void {
  if (!def?.shape || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const doc = value as Record<string, unknown>;
  for (const [key, field] of Object.entries(def.shape)) {
    if (!Object.hasOwn(doc, key)) continue;
    const outer = field._zod.def as Def;
    const inner = unwrap(field);
    const v = doc[key];
    if (outer.type === 'optional' && (v === null || (v === '' && inner && SCALARS.has(inner.type)))) {
      delete doc[key];
      notes.push(`${formatPath([...path, key])}: ${v === null ? 'null' : 'empty'}, treated as not set`);
    } else dropEmpty(v, inner, [...path, key], notes);
  }
}

/** Removes the keys the schema reported as unknown, so the rest can be used. */
function dropUnknown(value: unknown, issues: readonly z.core.$ZodIssue[]): void {
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const at = valueAt(value, issue.path) as Record<string, unknown> | undefined;
    for (const key of issue.keys) if (at) delete at[key];
  }
}

/**
 * Checks one parsed document against the schema; every problem is prefixed with `where`.
 * Unknown fields alone do not fail it: they are returned as advisories (a field a newer tool
 * writes must not stop a boot) and the document is used without them.
 */
export function toNodeConfig(value: unknown, where: string): ParsedDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`${where}: expected a NodeConfig map, got ${show(value)}`);
  }
  const doc = value as Record<string, unknown>;
  // Name the two identifying fields first: a wrong kind makes every other message noise.
  // A missing field is a different mistake from a wrong one: say which.
  if (doc.apiVersion === undefined) throw new InputError(`${where}: \`apiVersion\` is missing; expected ${API_VERSION}`);
  if (doc.apiVersion !== API_VERSION) {
    throw new InputError(`${where}: apiVersion: ${show(doc.apiVersion)} is not supported (expected "${API_VERSION}")`);
  }
  if (doc.kind === undefined) throw new InputError(`${where}: \`kind\` is missing; expected ${KIND}`);
  if (doc.kind !== KIND) {
    throw new InputError(`${where}: kind: ${show(doc.kind)} is not supported (expected "${KIND}")`);
  }
  const notes: string[] = [];
  dropEmpty(doc, unwrap(nodeConfigSchema), [], notes);
  const first = nodeConfigSchema.safeParse(doc);
  if (first.success) return { config: first.data, where, advisories: [], notes: notes.map((n) => `${where}: ${n}`) };
  const problems = schemaProblems(first.error, doc, knownKeysAt).map((p) => `${where}: ${p}`);
  if (first.error.issues.some((i) => i.code !== 'unrecognized_keys')) throw new InputError(problems);
  dropUnknown(doc, first.error.issues);
  const second = nodeConfigSchema.safeParse(doc);
  if (!second.success) throw new InputError(problems);
  return { config: second.data, where, advisories: problems, notes: notes.map((n) => `${where}: ${n}`) };
}

/**
 * Refuses a document that holds itself: YAML lets an alias name a node it sits inside
 * (`config: &c [*c]`), which the parser turns into a circular value that every later reader
 * (the schema's messages, merging, rendering) would walk forever or fail on. `inside` holds the
 * maps and lists on the path to `value`.
 */
function assertAcyclic(value: unknown, path: PropertyKey[], inside: Set<object>, label: string): void {
  if (value === null || typeof value !== 'object') return;
  if (inside.has(value)) {
    throw new InputError(`${label}: ${formatPath(path)}: a YAML alias refers to a node that contains it (a NodeConfig cannot hold itself)`);
  }
  inside.add(value);
  for (const [key, inner] of Object.entries(value)) assertAcyclic(inner, [...path, Array.isArray(value) ? Number(key) : key], inside, label);
  inside.delete(value);
}

/**
 * Parses a YAML or JSON text (JSON is YAML) holding one or more NodeConfig documents.
 * Empty documents (a lone `---`) are skipped.
 */
export function parseNodeConfigs(text: string, where: string): ParsedDocument[] {
  // logLevel: the library's warnings (a key that is a list, turned into text) would reach stderr
  // as a runtime's line; such a key is reported as an unknown field anyway
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  const list = Array.isArray(docs) ? docs : [docs];
  const configs: ParsedDocument[] = [];
  list.forEach((doc, index) => {
    const label = list.length > 1 ? `${where} (document ${index + 1})` : where;
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(`${label}: malformed YAML${at}: ${reason}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // the yaml library's guard against alias bombs ("billion laughs") throws a ReferenceError
      if (err instanceof ReferenceError && /alias/i.test(err.message)) {
        throw new InputError(`${label}: YAML aliases expand past the limit of ${MAX_ALIAS_COUNT} (refusing input built to exhaust memory)`, { cause: err });
      }
      throw err;
    }
    if (value === null || value === undefined) return;
    assertAcyclic(value, [], new Set(), label);
    configs.push(toNodeConfig(value, label));
  });
  return configs;
}

export { formatPath };
