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
// --no-train    do not make the `init` code cache by a training run of the boot path (below);
//               every command then uses the compile-time cache
//
// The boot path's code cache is made by running `init --skip run` once per architecture (arm64
// under qemu) against the loopback IMDS emulator, with scripts/sea/train/ as the node's user data.
// Needs qemu-aarch64-static for arm64 (Debian qemu-user-static + libc6-arm64-cross).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    'no-train': { type: 'boolean', default: false },
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

/**
 * Starts the loopback IMDS emulator (TypeScript, through tsx) in a child process serving the
 * training user data; resolves with its URL and a stop function.
 * @param {string} scratch
 */
async function startImds(scratch) {
  const config = join(scratch, 'serve.json');
  writeFileSync(config, JSON.stringify({ imds: { userDataFile: join(root, 'scripts/sea/train/user-data.mime') } }));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'test/emulators/serve.ts'), '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`IMDS emulator did not start within 20 s: ${stderr}`)), 20_000);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        res(JSON.parse(line).imds);
      }
    });
    child.once('exit', (code) => rej(new Error(`IMDS emulator exited ${code}: ${stderr}`)));
  });
  return { url: /** @type {string} */ (url), stop: () => child.kill('SIGTERM') };
}

/** A new node's root as the image bakes it, for one training run of `init`. */
function trainingRoot(/** @type {string} */ scratch) {
  const dir = mkdtempSync(join(scratch, 'root-'));
  /** @type {Record<string, string>} */
  const files = {
    'etc/eks/kubelet-version.txt': 'v1.33.1\n',
    'etc/eks/containerd-version.txt': '1.7.27\n',
    'etc/eks/instance-types.jsonl': '{"instanceType":"m5.large","defaultNetworkCardEnis":3,"ipv4PerEni":10,"ipv6":true}\n',
    'sys/devices/system/cpu/online': '0-1\n',
    'proc/meminfo': 'MemTotal:        7910616 kB\nMemFree:         7000000 kB\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

if (!values['no-bundle']) {
  const res = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
const input = resolve(values.input);
if (!existsSync(input)) {
  console.error(`build-exe: ${input} does not exist (run \`npm run build\` first)`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'eks-node-build-exe-'));
/** @type {{ url: string, stop: () => void } | undefined} */
let imds;
try {
  /** @type {import('./sea/build-sea.mjs').Training[]} */
  const trainings = [];
  if (!values['no-train']) {
    imds = await startImds(scratch);
    const imdsUrl = imds.url;
    trainings.push({
      command: 'init',
      train: (runLoader) => {
        const args = ['init', '--skip', 'run', '--root', trainingRoot(scratch)];
        const r = runLoader(args, {
          PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: scratch,
          AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl,
          // Complete user data needs no AWS API: a call would fail fast here and fail the build.
          AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9',
          AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
          AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
        });
        if (r.status !== 0) {
          throw new Error(`training run \`eks-node-agent ${args.join(' ')}\` exited ${r.status} (use --no-train to build anyway):\n${r.stderr}`);
        }
      },
    });
  }
  const results = await buildExecutables({
    main: input,
    outPrefix: join(resolve(values['out-dir']), values.name),
    cacheDir: join(root, '.cache'),
    arches,
    trainings,
    log,
  });
  for (const r of results) console.log(`${r.sha256}  ${r.file}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`build-exe: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
} finally {
  imds?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
