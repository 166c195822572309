/**
 * Writes agent/src/api/kubelet-feature-gates.generated.ts: the feature gates a kubelet registers, with
 * each gate's version history, and the gates older kubelets had that the newest has dropped. The
 * input is one directory per Kubernetes release holding that release's feature files, copied from
 * any Go module's vendor/ tree pinned to it (k8s.io/kubernetes, apiserver, component-base, ...),
 * each file named by its package path with "/" as "_":
 *
 *   k8s.io_kubernetes_pkg_features_kube_features.go
 *   k8s.io_kubernetes_pkg_features_versioned_kube_features.go  (1.31 and 1.32 only: the versioned specs)
 *   k8s.io_apiserver_pkg_features_kube_features.go
 *   k8s.io_component-base_logs_api_v1_kube_features.go
 *   k8s.io_component-base_metrics_features_kube_features.go
 *   k8s.io_component-base_zpages_features_kube_features.go   (from 1.32)
 *   k8s.io_client-go_features_known_features.go              (from 1.30)
 *
 *   npx tsx scripts/gen-kubelet-feature-gates.ts --release /tmp/kf/1.36 --older /tmp/kf/1.27,...,/tmp/kf/1.35
 *
 * The kubelet registers the gates of those packages (pkg/features relists the apiserver,
 * apiextensions, controller-manager and zpages gates it takes); the controller-manager's and
 * apiextensions' own files are not read, as the kubelet does not import them. Each directory's
 * release is its name ("1.36"). Each gate's steps come from the files of the release they apply
 * to (histories, below), not from the newest release's retelling of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import writeFileAtomic from 'write-file-atomic';

export const DEFAULT_OUT = 'agent/src/api/kubelet-feature-gates.generated.ts';

/** The packages whose gates a kubelet registers, by the start of their file names. */
const REGISTERED = [
  'k8s.io_kubernetes_pkg_features_',
  'k8s.io_apiserver_pkg_features_',
  'k8s.io_component-base_logs_api_v1_',
  'k8s.io_component-base_metrics_features_',
  'k8s.io_component-base_zpages_features_',
  'k8s.io_client-go_features_',
];

/** [minor, default on, stage, locked]: as in the data file. */
export type Spec = [number, 0 | 1, 'A' | 'B' | 'G' | 'D', 1?];

const STAGES: Record<string, Spec[2]> = { Alpha: 'A', Beta: 'B', GA: 'G', Deprecated: 'D' };

/** The feature constants of Go sources: identifier -> the name users write. */
export function featureNames(sources: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  // client-go declares its own Feature type: `Name Feature = "Name"`
  const declared = /^\s*(\w+)\s*(?:(?:featuregate\.)?Feature\s*=\s*"([^"]+)"|=\s*(?:featuregate\.)?Feature\("([^"]+)"\))/gm;
  for (const source of sources) for (const m of source.matchAll(declared)) names.set(m[1]!, (m[2] ?? m[3])!);
  return names;
}

/** One spec written as `{Version: version.MustParse("1.22"), Default: false, PreRelease: featuregate.Alpha}` or unversioned. */
function readSpec(text: string): Spec | undefined {
  const version = /Version:\s*version\.MustParse\("1\.(\d+)"\)/.exec(text);
  const on = /Default:\s*(true|false)/.exec(text);
  const stage = /PreRelease:\s*(?:featuregate\.)?(\w+)/.exec(text);
  if (!on || !stage || !STAGES[stage[1]!]) return undefined;
  const spec: Spec = [version ? Number(version[1]) : 0, on[1] === 'true' ? 1 : 0, STAGES[stage[1]!]!];
  if (/LockToDefault:\s*true/.test(text)) spec.push(1);
  return spec;
}

/**
 * The gates of the feature-spec maps in one Go source (map[Feature]FeatureSpec or
 * map[Feature]VersionedSpecs literals; other maps, such as dependency lists, are skipped). A gate
 * whose spec does not read (its default a Go constant) is kept with no steps: it is registered.
 */
export function gatesOf(source: string, names: Map<string, string>): Map<string, Spec[]> {
  const gates = new Map<string, Spec[]>();
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/map\[(featuregate\.)?Feature\](featuregate\.)?(FeatureSpec|VersionedSpecs)\{\s*$/.test(lines[i]!) || lines[i]!.trim().startsWith('//')) continue;
    let depth = 1;
    let current: { name: string; text: string } | undefined;
    const finish = () => {
      if (!current) return;
      const specs = [...current.text.matchAll(/\{[^{}]*PreRelease[^{}]*\}/g)].map((m) => readSpec(m[0])).filter((s): s is Spec => s !== undefined);
      gates.set(current.name, specs);
      current = undefined;
    };
    for (i++; i < lines.length && depth > 0; i++) {
      const line = lines[i]!;
      const code = line.replace(/\/\/.*/, '');
      const key = depth === 1 ? /^\s*([\w.]+):\s*\{/.exec(code) : null;
      if (key) {
        finish();
        const id = key[1]!.split('.').at(-1)!;
        current = { name: names.get(id) ?? id, text: '' };
      }
      if (current) current.text += `${code}\n`;
      depth += (code.match(/\{/g) ?? []).length - (code.match(/\}/g) ?? []).length;
    }
    finish();
    i--;
  }
  return gates;
}

/** Every gate a kubelet of the release in `dir` registers. */
export function releaseGates(dir: string): Map<string, Spec[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.go') && REGISTERED.some((p) => f.startsWith(p)))
    .sort();
  const sources = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  const names = featureNames(sources);
  const all = new Map<string, Spec[]>();
  for (const source of sources) for (const [name, specs] of gatesOf(source, names)) if (!all.get(name)?.length) all.set(name, specs);
  return all;
}

const minorOf = (dir: string): number => {
  const m = /^1\.(\d+)$/.exec(basename(dir));
  if (!m) throw new Error(`${dir}: the directory must be named by its release, e.g. 1.35`);
  return Number(m[1]);
};

/**
 * Each gate of any release with its history as each release's own files tell it: the spec
 * that applies to a kubelet of a release is the one its own files give for it, since a later
 * release may write an earlier step differently (a lock added back to 1.32 by 1.36's file) or
 * date a gate before the first release that had it. A step is written where the spec a release
 * applies changes; before the oldest release read, its own history stands; a gate first had by a
 * later release starts there. A release that registers a gate with a spec this reader cannot read
 * takes the newest release's telling of it.
 */
export function histories(releases: ReadonlyArray<{ minor: number; gates: Map<string, Spec[]> }>): Map<string, Spec[]> {
  const ordered = [...releases].sort((a, b) => a.minor - b.minor);
  const newest = ordered.at(-1);
  const out = new Map<string, Spec[]>();
  for (const name of new Set(ordered.flatMap(({ gates }) => [...gates.keys()]))) {
    const steps: Spec[] = [];
    let previous: string | undefined;
    for (const { minor, gates } of ordered) {
      // a gate a release registers with a spec this reader cannot read (a default from a Go constant): the newest's telling
      const own = gates.get(name);
      const specs = own?.length === 0 ? (newest?.gates.get(name) ?? []).filter(([from]) => from <= minor) : own;
      if (!specs || specs.length === 0) continue;
      const applies = specs.filter(([from]) => from <= minor).at(-1) ?? specs[0]!;
      const key = JSON.stringify(applies.slice(1));
      const before = previous === undefined && minor === ordered[0]!.minor ? specs.filter(([from]) => from <= minor) : [];
      if (before.length > 0) steps.push(...before);
      else if (key !== previous) steps.push([minor, ...applies.slice(1)] as Spec);
      previous = key;
    }
    out.set(name, steps);
  }
  return out;
}

export function render(release: string, older: readonly string[]): string {
  const newest = minorOf(release);
  // each release's files read once, for the histories and for the gates since removed
  const releases = [release, ...older].map((dir) => ({ minor: minorOf(dir), gates: releaseGates(dir) })).sort((a, b) => a.minor - b.minor);
  const gates = histories(releases);
  const current = releases.at(-1)!.gates;
  // a gate older releases had and the newest lacks is gone from the release after the last that had it
  const goneBy = new Map<string, number>();
  for (const { minor, gates: had } of releases.slice(0, -1)) {
    for (const name of had.keys()) if (!current.has(name)) goneBy.set(name, minor + 1);
  }
  const line = ([name, specs]: [string, Spec[]]) =>
    `  ${/^[A-Za-z_]\w*$/.test(name) ? name : JSON.stringify(name)}: [${specs.map((s) => `[${s.map((x) => (typeof x === 'string' ? `'${x}'` : x)).join(', ')}]`).join(', ')}],`;
  const byName = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : 1);
  return `// Generated by scripts/gen-kubelet-feature-gates.ts from the feature files of Kubernetes 1.${newest}
// and of ${older.length > 0 ? `1.${Math.min(...older.map(minorOf))} to 1.${Math.max(...older.map(minorOf))}` : 'no older release'} (each release's own spec for its kubelets, and the gates since removed). Do not edit.

/**
 * One change in a gate's history: [minor, default, stage, locked], "minor" being the Kubernetes
 * 1.x minor the spec applies from (0 for 1.0 or an unversioned spec), stage A (alpha), B (beta),
 * G (GA) or D (deprecated), and locked 1 where the gate is locked to its default.
 */
export type GateSpec = readonly [minor: number, defaultOn: 0 | 1, stage: 'A' | 'B' | 'G' | 'D', locked?: 1];
export const KUBELET_FEATURE_GATES_VERSION = '1.${newest}';

/**
 * The gates the kubelets from the oldest release read to KUBELET_FEATURE_GATES_VERSION register,
 * with their history as each release's own files give it (a gate since removed is also in
 * KUBELET_FEATURE_GATES_GONE_BY, which says from which release no kubelet has it).
 */
export const KUBELET_FEATURE_GATES: Readonly<Record<string, readonly GateSpec[]>> = {
${[...gates].sort(byName).map(line).join('\n')}
};

/** Gates an older kubelet registered that the newest lacks, by the first minor (1.x) without them. */
export const KUBELET_FEATURE_GATES_GONE_BY: Readonly<Record<string, number>> = {
${[...goneBy]
  .sort(byName)
  .map(([name, minor]) => `  ${name}: ${minor},`)
  .join('\n')}
};
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { release: { type: 'string' }, older: { type: 'string' }, out: { type: 'string', default: DEFAULT_OUT } } });
  if (!values.release) throw new Error('usage: gen-kubelet-feature-gates.ts --release DIR [--older DIR,DIR...] [--out FILE]');
  const older = (values.older ?? '').split(',').filter((d) => d !== '');
  writeFileAtomic.sync(values.out!, render(values.release, older));
  console.log(`wrote ${values.out}`);
}
