import type { core } from 'zod/mini';

/** A field path as users write it: spec.kubelet.flags[2] */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(document)';
}

/**
 * JSON-quoted and shortened, so a value in a message cannot span lines. Values come from files a
 * disk or a person damaged too (a cache, a kubeconfig, an identity document), so showing one never
 * throws: one nested past JSON.stringify's stack, or one that cannot be written as JSON, is named
 * by what it is.
 */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch (err) {
    text = err instanceof RangeError ? '(a value nested too deep to show)' : '(a value that cannot be shown)';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest known name, when it is close enough to be a typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const score = distance(name, candidate);
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** A JSON value's type as users of YAML call it: null, list, map, string, number, boolean. */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  return typeof value;
}

/** The value at a schema issue's path in the input, if there is one. */
export function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** A schema type as users of YAML call it. */
function typeName(expected: string): string {
  return expected === 'object' ? 'map' : expected === 'array' ? 'list' : expected;
}

const FORMATS: Record<string, string> = { ipv4: 'an IPv4 address', ipv6: 'an IPv6 address' };

/**
 * What an issue other than an unknown field or a wrong type expected, in our words: zod/mini
 * carries no messages of its own (its locales stay out of the bundle).
 */
export function expectation(issue: core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1
        ? 'a non-empty string'
        : `${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return FORMATS[issue.format] ?? `a ${issue.format}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : `a ${typeName(issue.expected)}`;
    case 'invalid_value':
      return issue.values.map((v) => show(v)).join(' or ');
    default:
      return issue.message;
  }
}

/** Turns schema issues into one-line problems that name the path, the value and what is expected. */
export function schemaProblems(error: core.$ZodError, input: unknown, knownKeysAt: (path: PropertyKey[]) => readonly string[]): string[] {
  const problems: string[] = [];
  for (const issue of error.issues) {
    const path = issue.path;
    const value = valueAt(input, path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const hint = suggest(key, knownKeysAt(path));
          problems.push(`${formatPath([...path, key])}: unknown field${hint ? ` (did you mean "${hint}"?)` : ''}`);
        }
        break;
      case 'invalid_type':
        problems.push(
          value === undefined
            ? `${formatPath(path)}: required field is missing (expected ${issue.expected})`
            : `${formatPath(path)}: ${show(value)} is a ${typeOf(value)} (expected ${typeName(issue.expected)})`,
        );
        break;
      default:
        problems.push(`${formatPath(path)}: ${show(value)} is not allowed (expected ${expectation(issue)})`);
    }
  }
  return problems;
}
