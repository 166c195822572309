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
// --no-minify   embed the bundle as it is (by default it is minified for the executable; see
//               scripts/sea/build-sea.mjs)
// --no-train    do not make the boot-path code cache by a training run (below); every command
//               then uses the compile-time cache
//
// The boot path's code cache (used by `init` and `render`) is made by running `init --skip run`
// once per architecture (arm64 under qemu) on a training root, with the user data and instance
// facts of scripts/sea/train/ answered from memory in place of IMDS (train/imds.cjs): the boot's
// own code, without the network, so the cache comes out byte-identical every time.
// Needs qemu-aarch64-static for arm64 (Debian qemu-user-static + libc6-arm64-cross).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
    'no-train': { type: 'boolean', default: false },
    'no-minify': { type: 'boolean', default: false },
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

/**
 * A node's root for the training run: what `init` reads besides IMDS (the image's versions and
 * instance-type table, CPUs, memory), from instance.json of the training directory `train`.
 */
function trainingRoot(dir, train) {
  const instance = JSON.parse(readFileSync(join(train, 'instance.json'), 'utf8'));
  const put = (path, content) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  put('etc/eks/kubelet-version.txt', `${instance.kubeletVersion}\n`);
  put('etc/eks/containerd-version.txt', `${instance.containerdVersion}\n`);
  put('etc/eks/instance-types.jsonl', readFileSync(join(train, 'instance-types.jsonl')));
  put('sys/devices/system/cpu/online', `0-${instance.cpuMillicores / 1000 - 1}\n`);
  put('proc/meminfo', `MemTotal:        ${instance.memoryMiB * 1024} kB\n`);
  return dir;
}

const scratch = mkdtempSync(join(tmpdir(), 'eks-node-build-exe-'));
try {
  const train = join(root, 'scripts/sea/train');
  /** @type {import('./sea/build-sea.mjs').Training[]} */
  const trainings = values['no-train']
    ? []
    : [
        {
          cache: 'boot',
          commands: ['init', 'render'],
          train: (runLoader) => {
            const nodeRoot = trainingRoot(mkdtempSync(join(scratch, 'root-')), train);
            // nothing to run: a spawn would fail the training rather than reach this machine's tools
            const path = mkdtempSync(join(scratch, 'path-'));
            const args = ['init', '--skip', 'run', '--root', nodeRoot];
            const env = { PATH: path, HOME: scratch, NODE_OPTIONS: `--require ${JSON.stringify(join(train, 'imds.cjs'))}` };
            const r = runLoader(args, env);
            if (r.status !== 0) {
              throw new Error(`training run \`eks-node-agent ${args.join(' ')}\` exited ${r.status} (--no-train builds anyway):\n${r.stderr}`);
            }
            if (!existsSync(join(nodeRoot, 'etc/kubernetes/kubelet/config.json'))) {
              throw new Error(`training run \`eks-node-agent ${args.join(' ')}\` wrote no kubelet configuration:\n${r.stderr}`);
            }
          },
        },
      ];
  const results = await buildExecutables({
    main: input,
    outPrefix: join(resolve(values['out-dir']), values.name),
    cacheDir: join(root, '.cache'),
    arches,
    trainings,
    chunkTrainings: values['no-train'] ? [] : [join(train, 'aws-chunks.cjs')],
    minify: !values['no-minify'],
    log,
  });
  for (const r of results) console.log(`${r.sha256}  ${r.file}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`build-exe: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
