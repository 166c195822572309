// The main script of every single executable we build: it runs the bundle kept as a SEA asset
// with a V8 code cache chosen by command, instead of letting Node run the bundle as the SEA
// main. Why: Node's own SEA code cache is made right after compiling, so it holds only the top
// level; every function the boot path calls is still compiled at boot. A cache made after a
// training run of `init` (scripts/sea/build-sea.mjs) holds those too (measured: init 184 ->
// 121 ms). That bigger cache costs other commands more to load than it saves, so they get the
// compile-time cache. Assets: `main.cjs` (the bundle), `default.cache`, and `caches.json`
// mapping a command to another cache asset (e.g. {"init": "boot.cache"}).
//
// Outside an executable (`node loader.cjs`, during the build only) it reads the bundle from
// EKS_NODE_SEA_SOURCE and writes the code cache to EKS_NODE_SEA_WRITE_CACHE, either right
// after compiling (EKS_NODE_SEA_CACHE_AT=compile, nothing is run) or when the process exits.
'use strict';
const vm = require('node:vm');
const path = require('node:path');

const FILENAME = 'main.cjs';
// Must be byte-identical when the cache is made and when it is used.
const HEAD = '(function (exports, require, module, __filename, __dirname) {';
const TAIL = '\n})';

let sea;
try {
  sea = require('node:sea');
} catch {
  sea = undefined;
}
const inSea = sea !== undefined && sea.isSea();

/** The first argument that is not an option: the command, e.g. `init`. */
function command() {
  for (const arg of process.argv.slice(2)) if (!arg.startsWith('-')) return arg;
  return '';
}

let source;
let cachedData;
let cacheName = 'default';
if (inSea) {
  // getRawAsset and a Buffer view avoid copying the bundle once more before V8 copies it.
  source = Buffer.from(sea.getRawAsset(FILENAME)).toString('utf8');
  const keys = sea.getAssetKeys();
  const byCommand = keys.includes('caches.json') ? JSON.parse(sea.getAsset('caches.json', 'utf8')) : {};
  cacheName = Object.hasOwn(byCommand, command()) ? byCommand[command()] : 'default.cache';
  if (keys.includes(cacheName)) cachedData = Buffer.from(sea.getRawAsset(cacheName));
} else {
  source = require('node:fs').readFileSync(process.env.EKS_NODE_SEA_SOURCE, 'utf8');
}

const script = new vm.Script(HEAD + source + TAIL, {
  filename: FILENAME,
  cachedData,
  // The bundle may import() a builtin (the AWS SDK does); let Node's own loader serve it.
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (cachedData !== undefined && script.cachedDataRejected) {
  process.stderr.write(`eks-node-agent: warning: code cache ${cacheName} rejected by this Node; start-up is slower\n`);
}

if (!inSea && process.env.EKS_NODE_SEA_WRITE_CACHE) {
  const out = process.env.EKS_NODE_SEA_WRITE_CACHE;
  const write = () => require('node:fs').writeFileSync(out, script.createCachedData());
  if (process.env.EKS_NODE_SEA_CACHE_AT === 'compile') {
    write();
    return;
  }
  process.on('exit', write);
}

const mod = { exports: {} };
const file = inSea ? process.execPath : path.resolve(process.env.EKS_NODE_SEA_SOURCE);
script.runInThisContext()(mod.exports, require, mod, file, path.dirname(file));
