import { KUBELET_CONFIG_ENUMS, KUBELET_CONFIG_FIELDS_VERSION, KUBELET_CONFIG_TYPES } from './kubelet-config-fields.generated.js';
import { show, suggest } from './problems.js';
import { quantitySign } from './quantity.js';

/**
 * Checks spec.kubelet.config against KubeletConfiguration's own fields (a list generated from the
 * kubelet's Go types, see scripts/gen-kubelet-config-fields.ts), so a misspelt `maxPod` or a taint
 * `effect: NoSchedul` is named with a suggestion instead of reaching the kubelet.
 *
 * Severities: a name the list lacks is *advisory*, because a kubelet newer than the list knows
 * fields it does not (the fragment is then written as given and the kubelet decides); a value of
 * the wrong kind for a known field, or outside its enum, is an *error*: the kubelet refuses it.
 * Pure: no I/O, every problem found, each with its field path.
 */
export type Severity = 'advisory' | 'error';

export interface FieldProblem {
  path: string;
  severity: Severity;
  message: string;
}

const ROOT = 'KubeletConfiguration';
/** TypeMeta, inlined into every kubelet config document. */
const TYPE_META = ['apiVersion', 'kind'];
/**
 * Go's time.ParseDuration syntax: "30s", "2m30s", "1.5h", "-1s", "0"; microseconds as "us", with
 * the micro sign (U+00B5) or the Greek mu (U+03BC). Both are written as escapes: the minifier
 * leaves a regular expression's characters as they are, and one non-ASCII byte makes the
 * executable's whole script decode as UTF-8 (scripts/sea/loader.cjs).
 */
const DURATION = /^[-+]?(0|(\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))*$/;
/**
 * The eviction signals the kubelet knows (pkg/kubelet/eviction/api, as of the field list's
 * version; containerfs.* belong to the split image filesystem). The kubelet stops at start for
 * any other, but a newer one may know more, so an unknown signal only advises (an error in
 * `config check`, a warning on boot), like an unknown field.
 */
const EVICTION_SIGNALS = [
  'memory.available',
  'allocatableMemory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'containerfs.available',
  'containerfs.inodesFree',
  'pid.available',
];
/** The kubelet.config maps keyed by eviction signal. */
const EVICTION_MAPS = ['evictionHard', 'evictionSoft', 'evictionSoftGracePeriod', 'evictionMinimumReclaim'];

/** Why an eviction signal is not one the kubelet knows ("is not ..."), or undefined when it is one. */
export function evictionSignalProblem(signal: string): string | undefined {
  if (EVICTION_SIGNALS.includes(signal)) return undefined;
  const hint = suggest(signal, EVICTION_SIGNALS);
  return `is not an eviction signal the kubelet knows${hint ? ` (did you mean "${hint}"?)` : ''}, and the kubelet stops at start for one it does not (the list is of Kubernetes ${KUBELET_CONFIG_FIELDS_VERSION}; a newer kubelet may know more)`;
}

/** A Go duration in milliseconds, or undefined when the text is not one. */
export function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) ms += Number(n) * unitMs[unit!]!;
  return text.startsWith('-') ? -ms : ms;
}

/** RFC 3339, as metav1.Time is written. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'whole number' : 'number';
  return typeof value;
}

/** The kubelet's int32, the type of maxPods and most of its counts. */
export const KUBELET_INT32_MAX = 2 ** 31 - 1;

/**
 * The whole numbers each Go integer type holds, as far as JSON carries them exactly: a 64-bit
 * value past 2^53 would be written rounded, so it is refused like one out of range.
 */
const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-(2 ** 7), 2 ** 7 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int32: [-(2 ** 31), KUBELET_INT32_MAX],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 2 ** 8 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint: [0, Number.MAX_SAFE_INTEGER],
};

const EXPECTED: Record<string, string> = {
  bool: 'true or false',
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  duration: 'a duration such as "30s" or "2m30s"',
  time: 'an RFC 3339 time such as "2026-01-02T15:04:05Z"',
  map: 'a map',
  object: 'a map',
};

export function checkKubeletConfigFields(fragment: Record<string, unknown>, base = 'spec.kubelet.config'): FieldProblem[] {
  const problems: FieldProblem[] = [];
  checkStruct(ROOT, fragment, base, problems, true);
  return problems;
}

function checkStruct(name: string, value: Record<string, unknown>, path: string, problems: FieldProblem[], root = false): void {
  const fields = KUBELET_CONFIG_TYPES[name] ?? {};
  const known = [...Object.keys(fields), ...(root ? TYPE_META : [])];
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (root && TYPE_META.includes(key)) continue;
    const kind = fields[key];
    if (kind === undefined) {
      const hint = suggest(key, known);
      problems.push({
        path: at,
        severity: 'advisory',
        message: `${at}: unknown KubeletConfiguration field${hint ? ` (did you mean "${hint}"?)` : ''} (the field list is of Kubernetes ${KUBELET_CONFIG_FIELDS_VERSION}; a newer kubelet may know it)`,
      });
      continue;
    }
    // spec.kubelet.config.maxPods has its own rule (a positive integer) in validate.ts.
    if (root && key === 'maxPods') continue;
    checkValue(kind, v, at, problems);
    const bounds = root && Object.hasOwn(VALUE_RANGES, key) ? VALUE_RANGES[key]! : undefined;
    const typeRange = INT_RANGES[kind];
    const readable = typeof v === 'number' && Number.isInteger(v) && (!typeRange || (v >= typeRange[0] && v <= typeRange[1]));
    if (bounds && readable && (v < bounds[0] || v > bounds[1])) {
      const expected = bounds[1] === Number.POSITIVE_INFINITY ? `a whole number from ${bounds[0]} up` : `a whole number from ${bounds[0]} to ${bounds[1]}`;
      problems.push({ path: at, severity: 'error', message: `${at}: ${v} is outside what the kubelet accepts, and it stops at start (expected ${expected})` });
    }
    const choices = root && Object.hasOwn(STRING_CHOICES, key) ? STRING_CHOICES[key]! : undefined;
    if (choices)
      for (const [text, path] of Array.isArray(v) ? v.map((x, i) => [x, `${at}[${i}]`] as const) : [[v, at] as const])
        checkChoice(choices, text, path, problems);
    const entries = root ? MAP_ENTRY_RULES[key] : undefined;
    if (entries && isMap(v)) {
      for (const [entry, text] of Object.entries(v)) {
        const signal = EVICTION_MAPS.includes(key) ? evictionSignalProblem(entry) : undefined;
        if (signal) problems.push({ path: `${at}.${entry}`, severity: 'advisory', message: `${at}.${entry}: ${show(entry)} ${signal}` });
        const keyProblem = mapEntryKeyProblem(entries, entry);
        if (keyProblem) problems.push({ path: `${at}.${entry}`, severity: 'error', message: `${at}.${entry}: ${show(entry)} ${keyProblem}` });
        // map[string]string in the kubelet's types: a YAML number (cpu: 1) is refused too
        if (typeof text !== 'string') {
          problems.push({
            path: `${at}.${entry}`,
            severity: 'error',
            message: `${at}.${entry}: ${show(text)} is ${article(typeOf(text))} (expected ${entries.what} as a string, ${entries.example})`,
          });
        } else if (!entries.test(text)) {
          problems.push({
            path: `${at}.${entry}`,
            severity: 'error',
            message: `${at}.${entry}: ${show(text)} is not ${entries.what} (expected ${entries.example})`,
          });
        }
      }
    }
  }
}

const PERCENT = /^(\d+\.?\d*|\.\d+)%$/;

/** A percentage's number, or NaN when the text is not one. */
const percentOf = (text: string): number => (PERCENT.test(text) ? Number(text.slice(0, -1)) : Number.NaN);

/**
 * The kubelet's reading of each entry of these map fields, made before it starts
 * (cmd/kubelet/app/server.go parseResourceList, pkg/kubelet/eviction/helpers.go): it stops at
 * start for any entry this refuses. `keys`, when set, are the only keys it takes; eviction
 * signals are judged apart (evictionSignalProblem), as a newer kubelet may know more.
 */
export interface MapEntryRule {
  test: (text: string) => boolean;
  what: string;
  example: string;
  keys?: readonly string[];
  /** what the keys are, for the message: "a resource the kubelet reserves" */
  keyWhat?: string;
}

/**
 * The resources a kubelet reserves for itself or the system: no other key (`storage`,
 * `hugepages-2Mi`), and no quantity below zero.
 */
export const RESERVABLE_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pid'] as const;

export const MAP_ENTRY_RULES: Readonly<Record<string, MapEntryRule>> = (() => {
  const reservation = {
    test: (t: string) => quantitySign(t) >= 0,
    what: 'a quantity of 0 or more',
    example: 'e.g. "100m", "512Mi" or "1Gi"',
    keys: RESERVABLE_RESOURCES,
    keyWhat: 'a resource the kubelet reserves',
  };
  // a quantity must be above zero; "0%" and "100%" turn the threshold off, any other percentage
  // up to 100% is read, and one above stops the kubelet
  const threshold = {
    test: (t: string) => quantitySign(t) > 0 || (percentOf(t) >= 0 && percentOf(t) <= 100),
    what: 'a quantity above zero or a percentage from 0% to 100%',
    example: 'e.g. "100Mi" or "10%"',
  };
  // a reclaim may be a zero quantity, but a percentage must be above zero
  const reclaim = {
    test: (t: string) => quantitySign(t) >= 0 || percentOf(t) > 0,
    what: 'a quantity of 0 or more or a percentage above zero',
    example: 'e.g. "500Mi" or "5%"',
  };
  // time.ParseDuration, then refused below zero
  const gracePeriod = { test: (t: string) => DURATION.test(t) && !t.startsWith('-'), what: 'a duration of 0 or more', example: 'e.g. "1m30s"' };
  return {
    kubeReserved: reservation,
    systemReserved: reservation,
    evictionHard: threshold,
    evictionSoft: threshold,
    evictionMinimumReclaim: reclaim,
    evictionSoftGracePeriod: gracePeriod,
  };
})();

/** Why a key of a map field is not one the kubelet takes ("is not ..."), or undefined. */
export function mapEntryKeyProblem(rule: MapEntryRule, key: string): string | undefined {
  if (!rule.keys || rule.keys.includes(key)) return undefined;
  const hint = suggest(key, rule.keys);
  return `is not ${rule.keyWhat}, and the kubelet stops at start (expected ${hint ? `"${hint}"` : `one of ${rule.keys.join(', ')}`})`;
}

/**
 * Fields the Go types leave plain strings but the kubelet accepts only a few values of, and stops
 * at start for any other (pkg/kubelet/apis/config/validation; the CPU and memory managers for
 * their policies): the case matters, "static" for CPUs and "Static" for memory. An empty string
 * takes the kubelet's default.
 */
const STRING_CHOICES: Readonly<Record<string, readonly string[]>> = {
  cpuManagerPolicy: ['none', 'static'],
  memoryManagerPolicy: ['None', 'Static'],
  topologyManagerPolicy: ['none', 'best-effort', 'restricted', 'single-numa-node'],
  topologyManagerScope: ['container', 'pod'],
  hairpinMode: ['promiscuous-bridge', 'hairpin-veth', 'none'],
  enforceNodeAllocatable: ['pods', 'system-reserved', 'system-reserved-compressible', 'kube-reserved', 'kube-reserved-compressible', 'none'],
  // k8s.io/component-base/cli/flag TLSVersion, read as the kubelet starts its server
  tlsMinVersion: ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'],
};

/**
 * Whole-number fields the kubelet checks within narrower bounds than their Go type
 * (pkg/kubelet/apis/config/validation), as written: 0 takes the kubelet's default where it has one
 * (port 10250, nodeLeaseDurationSeconds 40) or turns the port off.
 */
const VALUE_RANGES: Readonly<Record<string, readonly [number, number]>> = (() => {
  const atLeast = (n: number) => [n, Number.POSITIVE_INFINITY] as const;
  const port = [0, 65535] as const;
  return {
    eventBurst: atLeast(0),
    eventRecordQPS: atLeast(0),
    kubeAPIBurst: atLeast(0),
    kubeAPIQPS: atLeast(0),
    maxOpenFiles: atLeast(0),
    podsPerCore: atLeast(0),
    registryBurst: atLeast(0),
    registryPullQPS: atLeast(0),
    nodeLeaseDurationSeconds: atLeast(0),
    nodeStatusMaxImages: atLeast(-1),
    containerLogMaxWorkers: atLeast(1),
    healthzPort: port,
    port,
    readOnlyPort: port,
    oomScoreAdj: [-1000, 1000],
    // the bit of the packet mark, 0-31, in kubelets that still have these fields
    iptablesDropBit: [0, 31],
    iptablesMasqueradeBit: [0, 31],
  };
})();

function checkChoice(choices: readonly string[], value: unknown, path: string, problems: FieldProblem[]): void {
  if (typeof value !== 'string' || value === '' || choices.includes(value)) return; // a non-string is the field check's
  const hint = suggest(value, choices);
  problems.push({
    path,
    severity: 'error',
    message: `${path}: ${show(value)} is not one the kubelet accepts, and it stops at start (expected ${hint ? `"${hint}"` : `one of ${choices.map((c) => `"${c}"`).join(', ')}`})`,
  });
}

function checkValue(kind: string, value: unknown, path: string, problems: FieldProblem[]): void {
  const wrong = (expected: string): void => {
    problems.push({ path, severity: 'error', message: `${path}: ${show(value)} is ${article(typeOf(value))} (expected ${expected})` });
  };
  // null is of every kind: the kubelet reads it as its zero value, and in the fragment it takes
  // the agent's value away (the fields where that matters: takenAwayProblems)
  if (value === null) return;
  if (kind.startsWith('list:')) {
    if (!Array.isArray(value)) {
      wrong('a list');
      return;
    }
    for (const [i, item] of value.entries()) checkValue(kind.slice(5), item, `${path}[${i}]`, problems);
    return;
  }
  if (kind.startsWith('struct:')) {
    if (isMap(value)) checkStruct(kind.slice(7), value, path, problems);
    else wrong('a map');
    return;
  }
  if (kind.startsWith('enum:')) {
    const allowed = KUBELET_CONFIG_ENUMS[kind.slice(5)] ?? [];
    if (typeof value !== 'string') {
      wrong(`one of ${allowed.join(', ')}`);
      return;
    }
    if (!allowed.includes(value)) {
      const hint = suggest(value, allowed);
      problems.push({
        path,
        severity: 'error',
        message: `${path}: ${show(value)} is not allowed (expected ${hint ? `"${hint}"` : `one of ${allowed.map((a) => `"${a}"`).join(', ')}`})`,
      });
    }
    return;
  }
  const range = INT_RANGES[kind];
  if (range) {
    if (typeof value !== 'number' || !Number.isInteger(value)) wrong(EXPECTED.int!);
    else if (value < range[0] || value > range[1]) {
      problems.push({
        path,
        severity: 'error',
        message: `${path}: ${show(value)} is out of range (expected a whole number from ${range[0]} to ${range[1]}, the kubelet's ${kind})`,
      });
    }
    return;
  }
  switch (kind) {
    case 'bool':
      if (typeof value !== 'boolean') wrong(EXPECTED.bool!);
      return;
    case 'number':
      if (typeof value !== 'number') wrong(EXPECTED.number!);
      return;
    case 'string':
      if (typeof value !== 'string') wrong(EXPECTED.string!);
      return;
    case 'duration':
      if (typeof value !== 'string' || !DURATION.test(value)) {
        problems.push({ path, severity: 'error', message: `${path}: ${show(value)} is not a duration (expected ${EXPECTED.duration})` });
      }
      return;
    case 'time':
      if (typeof value !== 'string' || !TIME.test(value)) {
        problems.push({ path, severity: 'error', message: `${path}: ${show(value)} is not a time (expected ${EXPECTED.time})` });
      }
      return;
    case 'map':
    case 'object':
      if (!isMap(value)) wrong(EXPECTED.map!);
      return;
  }
}

function article(type: string): string {
  return type === 'null' ? 'null' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}
