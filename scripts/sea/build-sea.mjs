// Turns one CommonJS bundle into Node single executable applications, one per architecture.
// Shared by scripts/build-exe.mjs (the agent) and scripts/bench.mjs (the hello-world baseline),
// so the baseline is built exactly like what ships.
//
// Each executable's SEA main is scripts/sea/loader.cjs; the bundle and its V8 code caches are
// SEA assets (see loader.cjs for why). Code caches belong to one architecture (an x64 cache is
// rejected by the arm64 runtime), so each arch's caches are made by that arch's own Node, arm64
// under qemu user emulation.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeBinary, run, sha256Hex } from './node-dist.mjs';

const require = createRequire(import.meta.url);
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const LOADER = fileURLToPath(new URL('./loader.cjs', import.meta.url));
const QEMU = { arm64: 'qemu-aarch64-static' };

// V8's code cache differs from run to run (measured: ~240 kB of 1.5 MB) because it depends on
// the seeded RNG; a fixed --random-seed makes it byte-identical. A trained cache also records
// how many GCs each function has lived through (bytecode age); GCs driven by timers (memory
// reducer) and background threads made 1 run in 24 differ in a byte under load, so training
// runs --predictable --no-memory-reducer (48 of 48 identical beside two CPU burners). None of
// these flags is part of V8's flag hash: the runtime, run without them, accepts the cache
// (the loader warns when it does not, and test/exe checks stderr).
const CACHE_V8_FLAGS = ['--random-seed=1', '--predictable', '--no-memory-reducer'];
/**
 * V8 flags every run of the executable starts with (the SEA's execArgv), both outside V8's flag
 * hash: a 1 MB semi-space (peak RSS), and scavenges on the main thread alone (a 1 MB young
 * generation costs less to scavenge than to share out to helper threads). See ./README.md.
 */
const RUNTIME_FLAGS = ['--max-semi-space-size=1', '--no-parallel-scavenge'];

/**
 * @typedef {(args: string[], env: Record<string, string>) => { status: number | null, stdout: string, stderr: string }} RunLoader
 *   runs the bundle through the loader under the target arch's Node; the process's code cache
 *   is written when it exits
 * @typedef {{ cache: string, commands: string[], train: (runLoader: RunLoader) => void }} Training
 *   a cache named `cache`, used by `commands`, made by running the bundle once (train throws if
 *   the run failed). The run must be deterministic (no network, no concurrency whose timing
 *   shows): a cache trained by `init` against an IMDS emulator differed in one byte in 2 of 12
 *   runs under load; one trained by `render`, or by `init` with IMDS answered from memory
 *   (scripts/build-exe.mjs), never did.
 */

/**
 * The bundle as the executable carries it. Start-up cost grows with the source the code cache
 * describes, whether or not it runs (measured on a 5.9 MB bundle, `version`: 52 -> 39 ms CPU
 * minified). Comments go, and `charset: 'ascii'` escapes non-ASCII characters in strings; a
 * regular expression literal stays as written, so sources escape theirs, and the scripts stay
 * ASCII, which the loader decodes with one copy (scripts/sea/README.md). keepNames keeps class
 * and function names in errors.
 * @param {string} code
 */
async function minify(code) {
  const { transform } = await import('esbuild');
  const out = await transform(code, {
    loader: 'js',
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    charset: 'ascii',
  });
  return out.code;
}

/**
 * A CommonJS script as the loader compiles it: wrapped in the function Node wraps a module in.
 * The loader compiles the asset's text as it is; wrapping it there (`head + source + tail`)
 * made V8 flatten the concatenation into a second copy of the source (scripts/sea/README.md).
 * @param {string} source
 */
function wrap(source) {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * The asset the loader finds the others' places in the executable file in (see loader.cjs for
 * why it reads them instead of mapping them). Its text is only known once the blob is in the
 * file, so the blob carries a placeholder of fixed size, overwritten in place after injection:
 * JSON, `{"<asset>": [offset, length], ...}`, padded with spaces (JSON.parse allows them).
 */
const LAYOUT_ASSET = 'layout.json';
const LAYOUT_SIZE = 4096;
const layoutPlaceholder = () => Buffer.from('{"eks-node-agent layout placeholder": true}'.padEnd(LAYOUT_SIZE));

/**
 * Writes `outFile` (mode 0755) and `outFile.sha256` (sha256sum format) atomically. With `layout`
 * (asset name -> its bytes, each once in the blob, which holds the layout placeholder too), fills
 * the layout asset with where each of those sits in the written file, and reads every one back.
 * @param {{ nodeBin: string, blob: Buffer, outFile: string, layout?: Record<string, Buffer> }} o
 */
export async function injectBlob(o) {
  const { inject } = require('postject');
  const tmp = `${o.outFile}.tmp-${process.pid}`;
  copyFileSync(o.nodeBin, tmp);
  chmodSync(tmp, 0o755);
  await inject(tmp, 'NODE_SEA_BLOB', o.blob, { sentinelFuse: SEA_FUSE });
  const exe = readFileSync(tmp);
  if (o.layout !== undefined) {
    const blobAt = onlyPlace(exe, o.blob, 'the SEA blob', basename(o.outFile));
    /** @type {Record<string, [number, number]>} */
    const places = {};
    for (const [name, bytes] of Object.entries(o.layout)) places[name] = [blobAt + onlyPlace(o.blob, bytes, name, 'the SEA blob'), bytes.length];
    const text = Buffer.from(JSON.stringify(places).padEnd(LAYOUT_SIZE));
    if (text.length !== LAYOUT_SIZE) throw new Error(`${LAYOUT_ASSET}: ${text.length} bytes do not fit its ${LAYOUT_SIZE}-byte placeholder`);
    text.copy(exe, blobAt + onlyPlace(o.blob, layoutPlaceholder(), LAYOUT_ASSET, 'the SEA blob'));
    for (const [name, [at, length]] of Object.entries(places)) {
      if (!exe.subarray(at, at + length).equals(/** @type {Buffer} */ (o.layout[name]))) throw new Error(`${name}: not at ${at} in ${basename(o.outFile)}`);
    }
    writeFileSync(tmp, exe);
  }
  const sum = sha256Hex(exe);
  renameSync(tmp, o.outFile);
  writeFileSync(`${o.outFile}.sha256`, `${sum}  ${basename(o.outFile)}\n`);
  return sum;
}

/**
 * Where `needle` starts in `haystack`, which must hold it exactly once.
 * @param {Buffer} haystack @param {Buffer} needle @param {string} what @param {string} where
 */
function onlyPlace(haystack, needle, what, where) {
  const at = haystack.indexOf(needle);
  if (at < 0) throw new Error(`${what} is not in ${where}`);
  if (haystack.indexOf(needle, at + 1) >= 0) throw new Error(`${what} is in ${where} more than once`);
  return at;
}

/**
 * @param {{ nodeBin: string, arch: 'x64' | 'arm64', workDir: string }} o
 * @param {string[]} args
 * @param {Record<string, string>} env
 */
function runOnArch(o, args, env) {
  // found on the build's own PATH: a training run may give its program an empty one
  const qemu = o.arch === 'x64' ? [] : [onPath(QEMU[o.arch])];
  const [cmd, ...pre] = [...qemu, o.nodeBin];
  const res = spawnSync(/** @type {string} */ (cmd), [...pre, ...CACHE_V8_FLAGS, join(o.workDir, 'loader.cjs'), ...args], {
    cwd: o.workDir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: {
      ...env,
      QEMU_LD_PREFIX: process.env.QEMU_LD_PREFIX ?? '/usr/aarch64-linux-gnu',
      EKS_NODE_SEA_DIR: o.workDir,
    },
  });
  if (res.error) throw new Error(`${cmd} could not be started: ${res.error.message}`);
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `name` as found on this process's PATH, or `name` itself (spawning it then says it is missing). */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

/**
 * Builds `${outPrefix}-linux-<arch>` for each arch from one CommonJS `main`.
 * @param {{ main: string, outPrefix: string, cacheDir: string, arches: Array<'x64' | 'arm64'>,
 *           trainings?: Training[], chunkTrainings?: string[], minify?: boolean, log?: (msg: string) => void }} o
 *   chunkTrainings: scripts run in place of the bundle, requiring chunks (`./<base>.<chunk>.cjs`);
 *   each chunk they load gets the cache written after the run (deterministic, like `trainings`).
 *   They run from the work directory; EKS_NODE_SEA_TRAIN_DIR names the directory they came from.
 * @returns {Promise<Array<{ arch: string, file: string, sha256: string }>>}
 */
export async function buildExecutables(o) {
  const log = o.log ?? (() => {});
  mkdirSync(dirname(o.outPrefix), { recursive: true });
  mkdirSync(o.cacheDir, { recursive: true });
  const hostNode = ensureNodeBinary('x64', o.cacheDir, { log });
  // The bundle and the chunks beside it (<base>.<chunk>.cjs, see scripts/build.mjs).
  const base = basename(o.main, '.cjs');
  /** @type {Record<string, string>} asset name -> source, wrapped (see wrap) */
  const scripts = {};
  const chunkNames = readdirSync(dirname(o.main))
    .filter((f) => f.startsWith(`${base}.`) && f.endsWith('.cjs') && f !== basename(o.main))
    .sort();
  for (const [name, file] of [['main.cjs', o.main], ...chunkNames.map((c) => [c, join(dirname(o.main), c)])]) {
    scripts[name] = wrap(o.minify ? await minify(readFileSync(file, 'utf8')) : readFileSync(file, 'utf8'));
  }
  const workRoot = mkdtempSync(join(o.cacheDir, 'sea-work-'));
  try {
    const results = [];
    for (const arch of o.arches) {
      const nodeBin = ensureNodeBinary(arch, o.cacheDir, { log });
      const workDir = join(workRoot, arch);
      mkdirSync(workDir);
      /** @type {Record<string, string>} */
      const assets = {};
      for (const [name, source] of Object.entries(scripts)) {
        writeFileSync(join(workDir, name), source);
        assets[name] = name;
      }
      copyFileSync(LOADER, join(workDir, 'loader.cjs'));
      const target = { nodeBin, arch, workDir };

      // Each script's compile-time cache (<script>.cache), for every command without a trained one.
      const def = runOnArch(target, [], { EKS_NODE_SEA_CACHE_AT: 'compile' });
      if (def.status !== 0) throw new Error(`making the ${arch} code caches failed:\n${def.stderr}`);
      for (const name of Object.keys(scripts)) assets[`${name}.cache`] = `${name}.cache`;

      // Chunks whose use a training script exercises get a cache written after that run instead.
      for (const [i, script] of (o.chunkTrainings ?? []).entries()) {
        const wrapped = join(workDir, `train-${i}-${basename(script)}.wrapped`);
        writeFileSync(wrapped, wrap(readFileSync(script, 'utf8')));
        const env = { EKS_NODE_SEA_TRAIN_CHUNKS: wrapped, EKS_NODE_SEA_TRAIN_DIR: dirname(script), PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: workDir };
        const r = runOnArch(target, [], env);
        if (r.status !== 0) throw new Error(`training the chunks with ${basename(script)} on ${arch} failed (exit ${r.status}):\n${r.stderr}`);
      }

      /** @type {Record<string, string>} */
      const byCommand = {};
      for (const t of o.trainings ?? []) {
        const cacheFile = `${t.cache}.cache`;
        t.train((args, env) => runOnArch(target, args, { ...env, EKS_NODE_SEA_WRITE_CACHE: join(workDir, cacheFile) }));
        if (!existsSync(join(workDir, cacheFile))) throw new Error(`training ${t.cache} on ${arch} wrote no code cache`);
        assets[cacheFile] = cacheFile;
        for (const c of t.commands) byCommand[c] = cacheFile;
      }
      writeFileSync(join(workDir, 'caches.json'), `${JSON.stringify(byCommand)}\n`);
      assets['caches.json'] = 'caches.json';
      /** @type {Record<string, Buffer>} the assets the loader reads from the file (loader.cjs) */
      const layout = {};
      for (const name of Object.keys(assets).filter((n) => n !== 'caches.json')) layout[name] = readFileSync(join(workDir, name));
      writeFileSync(join(workDir, LAYOUT_ASSET), layoutPlaceholder());
      assets[LAYOUT_ASSET] = LAYOUT_ASSET;

      const config = {
        main: 'loader.cjs',
        output: 'sea.blob',
        disableExperimentalSEAWarning: true,
        // The loader is tiny; its own cache would not pay for itself.
        useCodeCache: false,
        useSnapshot: false,
        execArgv: RUNTIME_FLAGS,
        assets,
      };
      writeFileSync(join(workDir, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
      // The blob format belongs to the runtime's major version (a blob from another major makes
      // the executable crash without a message); without a code cache or snapshot inside it, the
      // pinned x64 Node makes it for any arch.
      run(hostNode, ['--experimental-sea-config', 'sea-config.json'], { cwd: workDir });
      const blob = readFileSync(join(workDir, 'sea.blob'));

      const file = `${o.outPrefix}-linux-${arch}`;
      const sha256 = await injectBlob({ nodeBin, blob, outFile: file, layout });
      log(`${file} ${sha256}`);
      results.push({ arch, file, sha256 });
    }
    return results;
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}
