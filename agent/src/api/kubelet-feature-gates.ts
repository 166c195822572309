import { flagPath } from './kubelet-flag-items.js';
import { isMap } from './kubelet-config-fields.js';
import { type GateSpec, KUBELET_FEATURE_GATES, KUBELET_FEATURE_GATES_GONE_BY, KUBELET_FEATURE_GATES_VERSION } from './kubelet-feature-gates.generated.js';
import { flagOccurrences } from './kubelet-flags.js';
import { show, suggest } from './problems.js';

/*
 * The feature gates the user sets for the kubelet, judged against the gates each kubelet release
 * registers (kubelet-feature-gates.generated.ts, generated from the Kubernetes sources). The
 * kubelet stops at start for a gate it does not have ("unrecognized feature gate") and for one set
 * against the value it locks it to. A name no release in the table knows only advises (an error in
 * `config check`, a warning on boot), like an unknown field: a newer kubelet may know it. Whether
 * this kubelet has the gate, or locks it, depends on its version: render and init judge that for
 * the kubelet they know.
 */

/** The names a suggestion may offer: the gates the newest kubelet has (not those since removed). */
const GATE_NAMES = Object.keys(KUBELET_FEATURE_GATES).filter((name) => !Object.hasOwn(KUBELET_FEATURE_GATES_GONE_BY, name));

/** One gate the user sets: where, its name, and the value when it reads as one. */
export interface UserGate {
  path: string;
  name: string;
  value: boolean | undefined;
}

/** The Go booleans a --feature-gates value may be, as strconv.ParseBool reads them. */
const GO_BOOL = /^(1|t|T|true|TRUE|True|0|f|F|false|FALSE|False)$/;

/** One "Name=bool" item of a --feature-gates value, as the kubelet splits it (trimmed), or undefined when it has no "=". */
function gateItem(item: string): { name: string; text: string } | undefined {
  const eq = item.indexOf('=');
  return eq < 0 ? undefined : { name: item.slice(0, eq).trim(), text: item.slice(eq + 1).trim() };
}

/** The gates kubelet.config.featureGates and every --feature-gates flag name, in order. */
export function userGates(config: Record<string, unknown> | undefined, flags: readonly string[] | undefined): UserGate[] {
  const out: UserGate[] = [];
  if (isMap(config?.featureGates))
    for (const [name, value] of Object.entries(config.featureGates))
      out.push({ path: `spec.kubelet.config.featureGates.${name}`, name, value: typeof value === 'boolean' ? value : undefined });
  for (const { index, value } of flagOccurrences(flags, '--feature-gates')) {
    for (const item of value.split(',')) {
      const gate = gateItem(item);
      if (!gate) continue;
      out.push({
        path: flagPath(flags, index),
        name: gate.name,
        value: GO_BOOL.test(gate.text) ? /^(1|t|T|true|TRUE|True)$/.test(gate.text) : undefined,
      });
    }
  }
  return out;
}

/** Gate names no kubelet in the list knows: advisory. */
export function unknownGateAdvisories(config: Record<string, unknown> | undefined, flags: readonly string[] | undefined): string[] {
  return userGates(config, flags)
    .filter(({ name }) => !Object.hasOwn(KUBELET_FEATURE_GATES, name) && !Object.hasOwn(KUBELET_FEATURE_GATES_GONE_BY, name))
    .map(({ path, name }) => {
      const hint = suggest(name, GATE_NAMES);
      return `${path}: ${show(name)} is not a feature gate the kubelet knows${hint ? ` (did you mean "${hint}"?)` : ''}, and the kubelet stops at start for one it does not (the lists hold the gates of Kubernetes 1.27 to ${KUBELET_FEATURE_GATES_VERSION}; a newer kubelet may know more)`;
    });
}

/** The spec that applies to a kubelet of this minor (1.x), or undefined when it has no such gate yet. */
export function gateAt(name: string, kubeletMinor: number): GateSpec | undefined {
  const specs = Object.hasOwn(KUBELET_FEATURE_GATES, name) ? KUBELET_FEATURE_GATES[name]! : [];
  return specs.filter(([minor]) => minor <= kubeletMinor).at(-1);
}

/**
 * Whether a kubelet of this minor (1.x) has this gate, off by default, and from which later
 * release it is on (undefined: in none the table knows). Undefined when the gate is on, or not in
 * this kubelet.
 */
export function offByDefault(name: string, kubeletMinor: number): { onFrom: number | undefined } | undefined {
  const spec = gateAt(name, kubeletMinor);
  if (!spec || spec[1] === 1) return undefined;
  return { onFrom: KUBELET_FEATURE_GATES[name]!.find(([minor, on]) => minor > kubeletMinor && on === 1)?.[0] };
}

/**
 * Whether a kubelet of this minor (1.x) lacks a gate the lists know: one removed by then, or one
 * that comes later. Such a gate has no effect on this kubelet either way, and it would stop at
 * start for it, so a boot leaves it out (withoutAbsentGates). Names the lists lack are not judged
 * here (they are advised on every version, and written as given).
 */
export function absentIn(name: string, kubeletMinor: number): { goneBy: number } | { comesIn: number } | undefined {
  const goneBy = Object.hasOwn(KUBELET_FEATURE_GATES_GONE_BY, name) ? KUBELET_FEATURE_GATES_GONE_BY[name]! : undefined;
  if (goneBy !== undefined) return kubeletMinor >= goneBy ? { goneBy } : undefined;
  if (!Object.hasOwn(KUBELET_FEATURE_GATES, name) || gateAt(name, kubeletMinor)) return undefined;
  return { comesIn: KUBELET_FEATURE_GATES[name]![0]![0] };
}

/**
 * For one kubelet minor (1.x): the user's gates this kubelet lacks (a boot leaves them out), and
 * those set against the value this kubelet locks them to (written as given: the kubelet stops at
 * start, and dropping the user's value would turn on what they turned off).
 */
export function gateVersionWarnings(config: Record<string, unknown> | undefined, flags: readonly string[] | undefined, kubeletMinor: number): string[] {
  return userGates(config, flags).flatMap(({ path, name, value }) => {
    const absent = absentIn(name, kubeletMinor);
    if (absent)
      return [
        `${path}: feature gate ${name} ${'goneBy' in absent ? `is gone from kubelets 1.${absent.goneBy} and later (removed)` : `comes in kubelet 1.${absent.comesIn}, after this one`}, and kubelet 1.${kubeletMinor} would stop at start for a gate it does not have: a boot leaves it out (it has no effect on this kubelet either way)`,
      ];
    const spec = gateAt(name, kubeletMinor);
    if (!spec) return [];
    const [, on, , locked] = spec;
    if (locked !== 1 || value === undefined || value === (on === 1)) return [];
    return [
      `${path}: feature gate ${name} is locked to ${on === 1} in kubelet 1.${kubeletMinor}, and this kubelet stops at start for ${value} (expected ${name} left out: it is ${on === 1} for good)`,
    ];
  });
}

/** The user's kubelet.config without the gates a kubelet of this minor lacks (the same object when it has all). */
export function withoutAbsentGates(config: Record<string, unknown> | undefined, kubeletMinor: number): Record<string, unknown> | undefined {
  if (!isMap(config?.featureGates)) return config;
  const kept = Object.entries(config.featureGates).filter(([name]) => !absentIn(name, kubeletMinor));
  if (kept.length === Object.keys(config.featureGates).length) return config;
  const { featureGates: _, ...rest } = config;
  return kept.length > 0 ? { ...rest, featureGates: Object.fromEntries(kept) } : rest;
}

/** A --feature-gates flag without the gates a kubelet of this minor lacks, or undefined when none is left. */
export function featureGatesFlagFor(flag: string, kubeletMinor: number): string | undefined {
  if (!flag.startsWith('--feature-gates=')) return flag;
  const items = flag.slice('--feature-gates='.length).split(',');
  const kept = items.filter((item) => {
    const gate = gateItem(item);
    return !gate || !absentIn(gate.name, kubeletMinor);
  });
  if (kept.length === items.length) return flag;
  return kept.some((item) => item.trim() !== '') ? `--feature-gates=${kept.join(',')}` : undefined;
}
