// `npm run build:exe`: dist/eks-node-agent.cjs -> dist/eks-node-agent-linux-{x64,arm64} (+ .sha256),
// Node single executable applications on the pinned Node 24 LTS (scripts/sea/node-dist.mjs).
//
//   node scripts/build-exe.mjs [--no-bundle] [--input FILE] [--out-dir DIR] [--arch x64|arm64]...
//
// --no-bundle   use the existing bundle instead of running scripts/build.mjs first (tests use it
//               so they never rewrite dist/ under other tests' feet)
// --input FILE  the CommonJS file to embed (default dist/eks-node-agent.cjs)
// --out-dir DIR where the executables go (default dist)
// --name NAME   executable base name (default eks-node-agent; the bench builds its baseline with it)
// --no-code-cache  leave V8's code cache out of the blob. It is in by default: it saves compiling
//               the 1.2 MB bundle at every start (version: 53 -> 37 ms here). It needs
//               qemu-aarch64-static to make the arm64 cache; see scripts/sea/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildExecutables } from './sea/build-sea.mjs';
import { ARCHES } from './sea/node-dist.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

const { values } = parseArgs({
  options: {
    'no-bundle': { type: 'boolean', default: false },
    input: { type: 'string', default: join(root, 'dist/eks-node-agent.cjs') },
    'out-dir': { type: 'string', default: join(root, 'dist') },
    name: { type: 'string', default: 'eks-node-agent' },
    arch: { type: 'string', multiple: true },
    'no-code-cache': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const arches = /** @type {Array<'x64' | 'arm64'>} */ (values.arch ?? [...ARCHES]);
for (const a of arches) {
  if (!ARCHES.includes(/** @type {any} */ (a))) {
    console.error(`--arch: "${a}" is not supported (expected one of ${ARCHES.join(', ')})`);
    process.exit(1);
  }
}

const started = Date.now();
const log = values.quiet ? () => {} : (/** @type {string} */ m) => console.error(`build-exe: ${m}`);

if (!values['no-bundle']) {
  const res = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
const input = resolve(values.input);
if (!existsSync(input)) {
  console.error(`build-exe: ${input} does not exist (run \`npm run build\` first)`);
  process.exit(1);
}

try {
  const results = await buildExecutables({
    main: input,
    // The name recorded in the blob (stack traces), fixed so builds do not depend on paths.
    name: `${values.name}.cjs`,
    outPrefix: join(resolve(values['out-dir']), values.name),
    cacheDir: join(root, '.cache'),
    arches,
    useCodeCache: !values['no-code-cache'],
    log,
  });
  for (const r of results) console.log(`${r.sha256}  ${r.file}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`build-exe: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
