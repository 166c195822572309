// The main script of every single executable we build: it runs the bundle kept as a SEA asset
// with a V8 code cache chosen by command, instead of letting Node run the bundle as the SEA
// main. Why: Node's own SEA code cache is made right after compiling, so it holds only the top
// level; every function the boot path calls is still compiled at boot. A cache made after a
// training run of `init` (scripts/sea/build-sea.mjs) holds those too (measured: init 184 ->
// 121 ms). That bigger cache costs other commands more to load than it saves, so they get the
// compile-time cache.
//
// Assets: `main.cjs` (the bundle); its chunks (`eks-node-agent.<chunk>.cjs`, see
// scripts/build.mjs), each compiled and run the first time the bundle requires `./<chunk file>`;
// `<script>.cache`, the compile-time cache of each script; `caches.json` mapping a command
// to another cache of main.cjs (e.g. {"init": "boot.cache"}); and `layout.json`, where in the
// executable file the others are, so they are read rather than mapped (see asset()).
//
// Outside an executable (`node loader.cjs`, during the build only) the scripts are read from the
// directory EKS_NODE_SEA_DIR. EKS_NODE_SEA_CACHE_AT=compile writes every script's compile-time
// cache there and runs nothing; EKS_NODE_SEA_WRITE_CACHE=FILE writes main.cjs's cache to FILE
// when the process exits, after a training run. EKS_NODE_SEA_TRAIN_CHUNKS=SCRIPT runs SCRIPT (wrapped too)
// instead of the bundle (its require serves the chunks) and, when it exits, writes the cache of
// each chunk it loaded over that chunk's compile-time one.
'use strict';
// When our first line ran: `init` reports how much of its run came before it (agent/src/cli/process-clock.ts,
// on the same clock; not performance.now(), whose first use loads perf_hooks).
globalThis[Symbol.for('eks-node-agent.first-line')] = Number(process.hrtime.bigint()) / 1e6;
const vm = require('node:vm');
const { isAscii } = require('node:buffer');
const path = require('node:path');

const MAIN = 'main.cjs';
// Every script comes wrapped by the build as a CommonJS function
// (`(function (exports, require, module, __filename, __dirname) {...})`, scripts/sea/build-sea.mjs):
// V8 compiles the asset's text as it is, with no concatenation to flatten into a second copy.

let sea;
try {
  sea = require('node:sea');
} catch {
  sea = undefined;
}
const inSea = sea !== undefined && sea.isSea();
const dir = inSea ? '' : process.env.EKS_NODE_SEA_DIR;
const keys = inSea ? new Set(sea.getAssetKeys()) : undefined;

function has(name) {
  return inSea ? keys.has(name) : require('node:fs').existsSync(path.join(dir, name));
}

/**
 * Where the build put each asset in the executable file (layout.json, scripts/sea/build-sea.mjs):
 * name -> [offset, length]. The loader reads those with read(2) rather than through
 * sea.getRawAsset(), a view of the blob as the executable is mapped: every page of it a run
 * touches stays in the process's RSS to its end, though V8 copies a script's source into its heap
 * and is done with a code cache once it has compiled. A buffer read instead is freed. Measured:
 * ~1.3 MB of a name-only `init`'s peak RSS (scripts/sea/README.md).
 */
let layout;
/** The running executable, opened on first read: /proc/self/exe is its inode even if the file was replaced since. */
let exeFd;
/**
 * The buffer assets are read into, reused by every read that fits: the first write of a page of
 * fresh memory is a page fault, which on a virtual machine costs 10-15 µs (measured here: 2.8 ms
 * to fill 0.8 MB of fresh memory, 0.05 ms to fill it again). It is as big as the larger of
 * main.cjs and the cache it is compiled with, which every run reads; the AWS SDK chunks a
 * name-only boot loads fit in it. A bigger asset (the EC2 client's) is read into a buffer of its
 * own, freed once used. What asset() returns is therefore valid until its next call: the caller
 * turns a script into a string, or compiles with a cache, before it reads another asset.
 */
let readBuffer;

/** How every script the build stores begins (it wraps each, see above). */
const SCRIPT_HEAD = Buffer.from('(function (');

/**
 * An asset's bytes: read from the executable file, or a view of the mapped blob when that fails,
 * or when what was read is no script where one was asked for (/proc/self/exe is another file
 * when the executable is started through the dynamic loader, e.g. `ld.so ./eks-node-agent`).
 * A code cache read wrong is rejected by V8's own checks, and the loader says so. What is read
 * from the file may sit in readBuffer: valid until the next call.
 */
function asset(name) {
  if (!inSea) return require('node:fs').readFileSync(path.join(dir, name));
  const place = placeOf(name);
  if (place !== undefined) {
    const read = readAt(place[0], place[1]);
    if (read !== undefined && (!name.endsWith('.cjs') || read.subarray(0, SCRIPT_HEAD.length).equals(SCRIPT_HEAD))) return read;
  }
  return Buffer.from(sea.getRawAsset(name));
}

/** Where layout.json puts an asset in the executable file, [offset, length]; undefined when it does not. */
function placeOf(name) {
  layout ??= readLayout();
  return Object.hasOwn(layout, name) ? layout[name] : undefined;
}

/** layout.json's places; none (every asset mapped) when it is missing or unreadable. */
function readLayout() {
  try {
    return has('layout.json') ? JSON.parse(Buffer.from(sea.getRawAsset('layout.json')).toString('latin1')) : {};
  } catch {
    return {};
  }
}

/** `length` bytes at `offset` of the executable file, or undefined when they cannot be read whole. */
function readAt(offset, length) {
  const fs = require('node:fs');
  try {
    exeFd ??= fs.openSync('/proc/self/exe', 'r');
    const buf = readBuffer !== undefined && length <= readBuffer.length ? readBuffer.subarray(0, length) : Buffer.allocUnsafeSlow(length);
    for (let got = 0; got < length; ) {
      const n = fs.readSync(exeFd, buf, got, length - got, offset + got);
      if (n === 0) return undefined;
      got += n;
    }
    return buf;
  } catch {
    return undefined;
  }
}

/** The first argument that is not an option: the command, e.g. `init`. */
function command() {
  for (const arg of process.argv.slice(2)) if (!arg.startsWith('-')) return arg;
  return '';
}

/** Build runs (training, making caches) compile from source, so what they write never depends on an older cache. */
function compile(name, cacheName) {
  // The source first: asset() reuses one buffer, and the string is a copy. An ASCII script (the
  // build minifies to ASCII) is decoded as latin1: one copy into V8's heap. UTF-8 goes through a
  // second, temporary copy, and the first write of each page of either is a page fault.
  const bytes = asset(name);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const cachedData = inSea && has(cacheName) ? asset(cacheName) : undefined;
  const script = new vm.Script(source, {
    filename: name,
    cachedData,
    // A bundle may import() a builtin (the AWS SDK does); let Node's own loader serve it.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData !== undefined && script.cachedDataRejected) {
    process.stderr.write(`eks-node-agent: warning: code cache ${cacheName} rejected by this Node; start-up is slower\n`);
  }
  return script;
}

/** chunk name -> { mod, script } */
const loaded = new Map();
/** What every script gets as `require`: its chunks from the assets, anything else from Node. */
function requireChunk(id) {
  if (!id.startsWith('./') || !has(id.slice(2))) return require(id);
  const name = id.slice(2);
  let chunk = loaded.get(name);
  if (chunk === undefined) {
    chunk = { mod: { exports: {} }, script: compile(name, `${name}.cache`) };
    loaded.set(name, chunk);
    run(chunk.script, chunk.mod);
  }
  return chunk.mod.exports;
}

function run(script, mod) {
  const file = inSea ? process.execPath : path.resolve(dir, MAIN);
  script.runInThisContext()(mod.exports, requireChunk, mod, file, path.dirname(file));
}

if (!inSea && process.env.EKS_NODE_SEA_CACHE_AT === 'compile') {
  const fs = require('node:fs');
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.cjs') && f !== 'loader.cjs').sort()) {
    fs.writeFileSync(path.join(dir, `${name}.cache`), compile(name).createCachedData());
  }
  return;
}

if (!inSea && process.env.EKS_NODE_SEA_TRAIN_CHUNKS) {
  const fs = require('node:fs');
  const file = process.env.EKS_NODE_SEA_TRAIN_CHUNKS;
  process.on('exit', () => {
    for (const [name, chunk] of loaded) fs.writeFileSync(path.join(dir, `${name}.cache`), chunk.script.createCachedData());
  });
  const mod = { exports: {} };
  new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file }).runInThisContext()(mod.exports, requireChunk, mod, file, path.dirname(file));
  return;
}

let mainCache = `${MAIN}.cache`;
if (has('caches.json')) {
  const byCommand = JSON.parse(asset('caches.json').toString('utf8'));
  if (Object.hasOwn(byCommand, command())) mainCache = byCommand[command()];
}
if (inSea) readBuffer = Buffer.allocUnsafeSlow(Math.max(placeOf(MAIN)?.[1] ?? 0, placeOf(mainCache)?.[1] ?? 0));
const main = compile(MAIN, mainCache);
if (!inSea && process.env.EKS_NODE_SEA_WRITE_CACHE) {
  const out = process.env.EKS_NODE_SEA_WRITE_CACHE;
  process.on('exit', () => require('node:fs').writeFileSync(out, main.createCachedData()));
}
run(main, { exports: {} });
