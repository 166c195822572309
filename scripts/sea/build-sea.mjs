// Turns one CommonJS file into Node single executable applications, one per architecture.
// Shared by scripts/build-exe.mjs (the agent) and scripts/bench.mjs (the hello-world baseline),
// so the baseline is built exactly like what ships.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { ensureNodeBinary, run, sha256Hex } from './node-dist.mjs';

const require = createRequire(import.meta.url);
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Builds the SEA preparation blob with the pinned Node (the blob format belongs to the runtime's
 * major version: a blob from another major makes the executable crash without a message).
 * @param {{ main: string, name: string, nodeBin: string, workDir: string,
 *           useCodeCache?: boolean, useSnapshot?: boolean, runner?: string[] }} o
 *   name: the file name recorded in the blob (stack traces show it); fixed so that the
 *   input's location does not leak into the output. runner: a prefix such as
 *   ['qemu-aarch64-static'] to produce the blob with a foreign-architecture Node.
 */
export function buildBlob(o) {
  copyFileSync(o.main, join(o.workDir, o.name));
  const config = {
    main: o.name,
    output: 'sea.blob',
    disableExperimentalSEAWarning: true,
    useCodeCache: o.useCodeCache ?? false,
    useSnapshot: o.useSnapshot ?? false,
  };
  writeFileSync(join(o.workDir, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const [cmd, ...pre] = [...(o.runner ?? []), o.nodeBin];
  // V8's code cache differs from run to run (measured: ~240 kB of 1.5 MB) because it depends on
  // the seeded RNG; a fixed --random-seed makes it byte-identical, and unlike --hash-seed it is
  // not part of the flag hash, so the runtime (normally seeded) still accepts the cache.
  const v8Flags = config.useCodeCache ? ['--random-seed=1'] : [];
  const env = { ...process.env, QEMU_LD_PREFIX: process.env.QEMU_LD_PREFIX ?? '/usr/aarch64-linux-gnu' };
  run(/** @type {string} */ (cmd), [...pre, ...v8Flags, '--experimental-sea-config', 'sea-config.json'], {
    cwd: o.workDir,
    env,
  });
  return readFileSync(join(o.workDir, 'sea.blob'));
}

/**
 * Writes `outFile` (mode 0755) and `outFile.sha256` (sha256sum format) atomically.
 * @param {{ nodeBin: string, blob: Buffer, outFile: string }} o
 */
export async function injectBlob(o) {
  const { inject } = require('postject');
  const tmp = `${o.outFile}.tmp-${process.pid}`;
  copyFileSync(o.nodeBin, tmp);
  chmodSync(tmp, 0o755);
  // postject logs only from its CLI; the API is quiet.
  await inject(tmp, 'NODE_SEA_BLOB', o.blob, { sentinelFuse: SEA_FUSE });
  const sum = sha256Hex(readFileSync(tmp));
  renameSync(tmp, o.outFile);
  writeFileSync(`${o.outFile}.sha256`, `${sum}  ${basename(o.outFile)}\n`);
  return sum;
}

/**
 * Builds `${outPrefix}-linux-<arch>` for each arch from one CommonJS `main`.
 * @param {{ main: string, name: string, outPrefix: string, cacheDir: string,
 *           arches: Array<'x64' | 'arm64'>, useCodeCache?: boolean, useSnapshot?: boolean,
 *           log?: (msg: string) => void }} o
 * @returns {Promise<Array<{ arch: string, file: string, sha256: string }>>}
 */
export async function buildExecutables(o) {
  const log = o.log ?? (() => {});
  mkdirSync(dirname(o.outPrefix), { recursive: true });
  mkdirSync(o.cacheDir, { recursive: true });
  const hostNode = ensureNodeBinary('x64', o.cacheDir, { log });
  const archSpecific = Boolean(o.useCodeCache || o.useSnapshot);
  const workRoot = mkdtempSync(join(o.cacheDir, 'sea-work-'));
  try {
    /** @type {Buffer | undefined} */
    let sharedBlob;
    const results = [];
    for (const arch of o.arches) {
      const nodeBin = ensureNodeBinary(arch, o.cacheDir, { log });
      let blob;
      if (!archSpecific) {
        // Without code cache or snapshot the blob is plain source: one blob serves every arch.
        sharedBlob ??= buildBlob({ ...o, nodeBin: hostNode, workDir: mkWork(workRoot, 'any') });
        blob = sharedBlob;
      } else {
        // Code cache and snapshots belong to one architecture (an x64 code cache in the arm64
        // executable is rejected: "Warning: Code cache data rejected."), so each arch's blob is
        // made by that arch's Node, arm64 under qemu user emulation (~0.5 s).
        const runner = arch === 'x64' ? [] : [`qemu-${arch === 'arm64' ? 'aarch64' : arch}-static`];
        blob = buildBlob({ ...o, nodeBin, runner, workDir: mkWork(workRoot, arch) });
      }
      const file = `${o.outPrefix}-linux-${arch}`;
      const sha256 = await injectBlob({ nodeBin, blob, outFile: file });
      log(`${file} ${sha256}`);
      results.push({ arch, file, sha256 });
    }
    return results;
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

/** @param {string} root @param {string} name */
function mkWork(root, name) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
