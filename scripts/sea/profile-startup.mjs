// Where does start-up time go? Runs the bundle once under the pinned Node 24 with the V8 CPU
// profiler and attributes every sample to the package or source file it was spent in, using
// the `// path` comments esbuild writes before each module in the bundle.
//
//   node scripts/sea/profile-startup.mjs [--env K=V]... -- <agent args...>
//   e.g. node scripts/sea/profile-startup.mjs -- config check -c file:///tmp/ud.yaml
//
// --exe FILE profiles a built executable instead (through NODE_OPTIONS), i.e. with the code
// cache it ships with; --bundle must then be the bundle it was built from (default: dist's).
// Run `npm run build` first. Without a code cache the bundle's compile time shows as
// "(compile bundle)"; the executables ship with a code cache, which removes most of it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureNodeBinary } from './node-dist.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const { values, positionals } = parseArgs({
  options: {
    env: { type: 'string', multiple: true, default: [] },
    bundle: { type: 'string', default: join(root, 'dist/eks-node-agent.cjs') },
    exe: { type: 'string' },
    top: { type: 'string', default: '25' },
  },
  allowPositionals: true,
});

const bundle = resolve(values.bundle);
const node = ensureNodeBinary('x64', join(root, '.cache'));
const dir = mkdtempSync(join(tmpdir(), 'eks-node-prof-'));
try {
  const env = { ...process.env };
  for (const kv of values.env) {
    const i = kv.indexOf('=');
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const started = process.hrtime.bigint();
  const profFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'];
  const [cmd, args] = values.exe === undefined ? [node, [...profFlags, bundle, ...positionals]] : [resolve(values.exe), positionals];
  if (values.exe !== undefined) env.NODE_OPTIONS = profFlags.join(' ');
  const res = spawnSync(cmd, args, { env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  process.stderr.write(`exit ${res.status}, ${wallMs.toFixed(1)} ms wall (profiler on)\n`);
  if (res.stderr) process.stderr.write(res.stderr);

  // Module ranges: esbuild starts each inlined module with a comment holding its path.
  const lines = readFileSync(bundle, 'utf8').split('\n');
  /** @type {Array<{ line: number, name: string }>} */
  const starts = [];
  for (const [i, l] of lines.entries()) {
    const m = /^\s*\/\/ ((?:node_modules|agent)\/\S+)$/.exec(l);
    if (m) starts.push({ line: i, name: groupName(/** @type {string} */ (m[1])) });
  }
  /** @param {string} path */
  function groupName(path) {
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    return pkg ? /** @type {string} */ (pkg[1]) : path;
  }
  /** @param {number} line */
  function moduleAt(line) {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle runtime)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = /** @type {{ line: number, name: string }} */ (starts[mid]);
      if (s.line <= line) {
        found = s.name;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  /** @type {Map<number, any>} */
  const nodes = new Map(prof.nodes.map((/** @type {any} */ n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  prof.samples.forEach((/** @type {number} */ id, /** @type {number} */ i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  /** @type {Map<string, number>} */
  const byGroup = new Map();
  for (const [id, us] of selfUs) {
    const cf = nodes.get(id).callFrame;
    let group;
    // In an executable the main script is named after the blob entry, not the bundle's path.
    if (cf.url === bundle || cf.url.endsWith('/eks-node-agent.cjs') || cf.url === 'eks-node-agent.cjs' || cf.url === 'main.cjs' || cf.url === values.bundle) {
      group = moduleAt(cf.lineNumber);
      // esbuild's helpers (__esm, __export, __toESM...) matter: name them.
      if (group === '(bundle runtime)') group += ` ${cf.functionName || '(top level)'}`;
    } else if (cf.functionName === 'wrapSafe' || cf.functionName === 'compileFunction') group = '(compile bundle)';
    else if (cf.url.startsWith('node:') || cf.url === '' || !cf.url.includes('/')) {
      group = cf.url === '' ? cf.functionName || '(native)' : `node:${cf.url.replace(/^node:/, '')} ${cf.functionName}`;
    } else group = cf.url;
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  }
  const total = [...byGroup.values()].reduce((a, b) => a + b, 0);
  console.log(`profiled ${(total / 1000).toFixed(1)} ms; self time by module or package:`);
  const top = [...byGroup.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [g, us] of top) console.log(`${(us / 1000).toFixed(1).padStart(7)} ms  ${g}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
