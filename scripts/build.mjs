// Bundles the agent into CommonJS: the input of both `node dist/eks-node-agent.cjs` and the
// single executable. CommonJS because Node's SEA loader runs only CommonJS mains.
//
// The packages only some runs need are left out of the main bundle and put in chunks beside it
// (dist/eks-node-agent.<chunk>.cjs), loaded on their first dynamic import. Why: start-up cost
// and memory grow with the source V8 holds, run or not, and the AWS SDK alone is 1.6 of the
// 2.4 MB a single minified bundle had; `version` and an `init` with complete user data need none
// of it. The sources only import them dynamically (`await import('execa')`): in the bundle that
// import becomes `require('./eks-node-agent.exec.cjs')['execa']()`, and the chunk bundles the
// package behind that function; each evaluates only when asked for. The AWS clients are one
// chunk each, so a name-only boot never loads EC2's; what they share (@smithy/*, @aws-sdk/core,
// the credential providers) is in one more chunk, `aws`, which a client's chunk requires the
// same way, so two clients in one run still load one copy of it. A client's chunk holds only
// what the agent's list for it names (CLIENT_LISTS).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const MAIN = 'eks-node-agent';
/** chunk name -> the packages it holds (each imported dynamically somewhere in agent/src) */
const CHUNKS = {
  // One chunk per AWS client: a run loads only the client it calls (EC2's alone is two thirds
  // of the SDK's source). What the clients share (@smithy/*, @aws-sdk/core, the credential
  // providers) is in the "aws" chunk below, once.
  'aws-eks': ['@aws-sdk/client-eks'],
  'aws-ec2': ['@aws-sdk/client-ec2'],
  'aws-sts': ['@aws-sdk/client-sts'],
  cel: ['@bufbuild/cel'],
  exec: ['execa'],
  // only when the node sits behind an HTTP proxy
  proxy: ['https-proxy-agent'],
  // only behind a SOCKS5 proxy: its agent, and the SOCKS client doctor dials with (their
  // address library is 7x the HTTP proxy's chunk, which an HTTP proxy's boot need not read)
  socks: ['socks-proxy-agent', 'socks'],
};
/**
 * The AWS clients' chunks are made from the agent's own list of what it takes from each client
 * (agent/src/aws/sdk/<client>.ts), which the agent imports in place of the client, with the
 * client resolved to its ESM build ("module"; the clients declare no side effects): esbuild
 * leaves out every command, paginator and waiter the list does not reach, and TypeScript
 * keeps the agent to the list. Measured: the EC2 client's chunk 1.1 -> 0.56 MB of source and
 * 4.6 -> 3.0 MB of code cache; a name-only boot on an instance type the image's table does not
 * know 424 -> 278 ms, 91.7 -> 74.2 MB peak RSS (scripts/sea/README.md). Their schemas stay
 * whole (one module, whose error registrations run at its top level). The chunk's function is
 * still named after the package, and gives the list's exports.
 */
const CLIENT_LISTS = {
  '@aws-sdk/client-eks': 'agent/src/aws/sdk/eks.ts',
  '@aws-sdk/client-ec2': 'agent/src/aws/sdk/ec2.ts',
  '@aws-sdk/client-sts': 'agent/src/aws/sdk/sts.ts',
};
/** A client list's path (absolute, as esbuild resolves it) -> its client. */
const clientOfList = new Map(Object.entries(CLIENT_LISTS).map(([client, list]) => [resolve(list), client]));
/** chunk -> the chunk holding every package its packages import (their shared dependencies) */
const SHARED_WITH = { 'aws-eks': 'aws', 'aws-ec2': 'aws', 'aws-sts': 'aws' };
const chunkFile = (name) => `${MAIN}.${name}.cjs`;
/** A chunk file is loaded at run time from beside the bundle that requires it: never bundled. */
const externalChunkFiles = (b) =>
  b.onResolve({ filter: new RegExp(`^\\./${escapeRegExp(MAIN)}\\.[a-z0-9-]+\\.cjs$`) }, (args) => ({ path: args.path, external: true }));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  legalComments: 'none',
  // Keep the output byte-identical between builds: no absolute paths, no timestamps.
  sourcesContent: false,
  logLevel: 'warning',
};

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const chunkOf = new Map(Object.entries(CHUNKS).flatMap(([name, pkgs]) => pkgs.map((p) => [p, name])));

/** In the main bundle: a dynamic import of a chunked package, or of a client's list, is served by its chunk. */
const chunkImports = {
  name: 'chunk-imports',
  setup(b) {
    const filter = new RegExp(`^(${[...chunkOf.keys()].map(escapeRegExp).join('|')})$`);
    const served = (pkg, args) =>
      args.kind === 'dynamic-import'
        ? { path: pkg, namespace: 'chunk' }
        : { errors: [{ text: `${args.path} is in the "${chunkOf.get(pkg)}" chunk: import it only with await import()` }] };
    b.onResolve({ filter }, (args) => (CLIENT_LISTS[args.path] === undefined ? served(args.path, args) : listInstead(args)));
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const client = clientOfList.get(resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
      return client === undefined ? undefined : served(client, args);
    });
    // What the bundle's `await import()` of this stub gives copies nothing (importsWithoutCopies):
    // @aws-sdk/client-ec2 had 4992 exports before its chunk held only the agent's list.
    b.onLoad({ filter: /.*/, namespace: 'chunk' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./${chunkFile(chunkOf.get(args.path))}`)})[${JSON.stringify(args.path)}]();`,
      loader: 'js',
    }));
    externalChunkFiles(b);
  },
};

/**
 * zod/mini alone in the main bundle: zod's classic API (`zod`, `zod/v4`) brings its chainable
 * schemas and locales, about 700 kB of source every command evaluates at start-up (one import of it
 * took \`version\` from 127 to 158 M instructions in \`npm run bench\`).
 */
const zodMiniOnly = {
  name: 'zod-mini-only',
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, (args) =>
      args.path === 'zod/mini' ? undefined : { errors: [{ text: `${args.path}: import * as z from 'zod/mini' (agent/src/api/schema.ts says why)` }] },
    );
  },
};

/** A value import of an AWS client outside its list: the chunk holds only what the list names. */
const listInstead = (args) => ({
  errors: [{ text: `${args.path}: import what the agent takes from it through ${CLIENT_LISTS[args.path]} (its chunk holds only that)` }],
});

/**
 * Resolve packages to their CommonJS builds. By default esbuild also honours the "module"
 * condition, which takes @smithy/core, @aws-sdk/core and nested-clients as ESM (about 480
 * modules); every require() of one from the SDK's CommonJS then goes through esbuild's
 * __toCommonJS, which copies the module's whole export list again at each require site.
 */
const commonJsOnly = { conditions: [], mainFields: ['main'] };

/**
 * Node built-ins the AWS SDK requires at its top level but uses only inside functions, each given
 * to the AWS chunks as a stand-in that loads the real module on first use. Every run that asks
 * AWS evaluates those top levels, and loading a module costs memory whether it is used or not:
 * - `node:http2`: @smithy/node-http-handler holds it for NodeHttp2Handler, which none of our
 *   clients selects (EKS, EC2 and STS answer over HTTP/1.1). It brings `assert` and the HTTP/2
 *   core along: about 0.9 MB of a name-only `init`'s peak RSS (scripts/sea/README.md).
 * - `node:zlib`: @smithy/core's checksums ask at their top level whether `zlib.crc32` is a
 *   function, and call it only when a response carries a CRC32 checksum (EKS's do not).
 * - `node:child_process`: the credential_process provider takes `exec` at its top level, and
 *   the default chain loads that provider on its way to the instance role; it runs `exec` only
 *   for a profile that names a credential_process. It brings dgram and the socket list along.
 * - `node:fs/promises`: @smithy/core's config takes `readFile` at its top level and reads the
 *   shared config files (~/.aws/config, ~/.aws/credentials) with it on every run that asks
 *   AWS. The module brings readline, the REPL's history and the file watchers along (about
 *   2.3 ms in plain Node 24, against 1.6 ms for the same two reads through `node:fs`).
 *   Two providers' top levels take it as `require('node:fs').promises`, so `node:fs` has a
 *   stand-in too, whose `promises` is that of `node:fs/promises`; and @smithy/core's serde
 *   takes `ReadStream` from `node:fs` at its top level (to recognise a file stream given as a
 *   request body), a getter that loads Node's file streams and, with them, fs/promises.
 * A stand-in is a Proxy: reading any member loads the real module and gives its member, except
 * for the members named here, which the SDK reads at its top level. Those are themselves
 * deferred: a function calling the real one (whose util.promisify form is the real one's too:
 * exec's resolves { stdout, stderr }), or an object reading the real one's members. So a use
 * nobody foresaw only loads the module sooner; it never sees a different value. One member is
 * given by `node:fs` instead ('callback'): fs/promises' `readFile` of a path (a string, Buffer
 * or URL) is `node:fs`'s `readFile` promisified, the same options and the same errors; a
 * FileHandle, which only the promise API has, goes to the real one. A member can be another
 * built-in's stand-in ('stand-in:<built-in>'), or a class ('class'): a Proxy of a function that
 * forwards calls, `new` and every question to the real class, so `instanceof` sees the real
 * class's prototype.
 */
const DEFERRED_MEMBERS = {
  http2: { constants: 'object' },
  zlib: { crc32: 'function' },
  child_process: { exec: 'function' },
  'fs/promises': { readFile: 'callback' },
  fs: { promises: 'stand-in:fs/promises', ReadStream: 'class' },
};

/** A deferred member's source (see DEFERRED_MEMBERS). */
function deferredMember(member, kind) {
  const name = JSON.stringify(member);
  if (kind === 'function') return `withCustomPromisify(function (...args) { return load()[${name}].apply(this, args); }, ${name})`;
  if (kind === 'object') return `new Proxy({}, forward(() => load()[${name}]))`;
  // A bound function is callable and constructible and has no own `prototype` (a plain function's
  // is not configurable, which the forwarded descriptors could not report).
  if (kind === 'class')
    return (
      `((real) => { const proxy = new Proxy(function () {}.bind(), { ...forward(real), ` +
      `apply: (_, self, args) => Reflect.apply(real(), self, args), ` +
      `construct: (_, args, newTarget) => Reflect.construct(real(), args, newTarget === proxy ? real() : newTarget) }); return proxy; })(() => load()[${name}])`
    );
  if (kind === 'callback')
    return (
      `function (path, ...rest) { return typeof path === 'string' || path instanceof Uint8Array || path instanceof URL ` +
      `? process.getBuiltinModule('node:util').promisify(process.getBuiltinModule('node:fs')[${name}])(path, ...rest) : load()[${name}](path, ...rest); }`
    );
  // resolved by lazyBuiltins again, to that built-in's stand-in
  if (kind.startsWith('stand-in:')) return `require(${JSON.stringify(`node:${kind.slice('stand-in:'.length)}`)})`;
  throw new Error(`DEFERRED_MEMBERS: unknown kind ${kind} for ${member}`);
}

/** The source of a built-in's stand-in (see DEFERRED_MEMBERS). */
function standIn(builtin) {
  const deferred = Object.entries(DEFERRED_MEMBERS[builtin]).map(([member, kind]) => `  ${JSON.stringify(member)}: ${deferredMember(member, kind)},`);
  return [
    `const load = () => process.getBuiltinModule(${JSON.stringify(`node:${builtin}`)});`,
    '/** Proxy traps that forward every question about the object to target(). */',
    'const forward = (target) => ({',
    '  get: (_, key) => target()[key],',
    '  has: (_, key) => key in target(),',
    '  ownKeys: () => Reflect.ownKeys(target()),',
    '  getOwnPropertyDescriptor: (_, key) => {',
    '    const d = Reflect.getOwnPropertyDescriptor(target(), key);',
    '    return d === undefined ? undefined : { ...d, configurable: true };',
    '  },',
    '});',
    "/** util.promisify of the deferred function gives the real one's promisified form (exec's resolves { stdout, stderr }). */",
    "const PROMISIFY_CUSTOM = Symbol.for('nodejs.util.promisify.custom');",
    'const withCustomPromisify = (fn, member) =>',
    '  Object.defineProperty(fn, PROMISIFY_CUSTOM, { get: () => load()[member][PROMISIFY_CUSTOM], configurable: true });',
    `const deferred = {\n${deferred.join('\n')}\n};`,
    'module.exports = new Proxy({}, { ...forward(load), get: (_, key) => (Object.hasOwn(deferred, key) ? deferred[key] : load()[key]) });',
    '',
  ].join('\n');
}

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const names = Object.keys(DEFERRED_MEMBERS);
    b.onResolve({ filter: new RegExp(`^(node:)?(${names.join('|')})$`) }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: standIn(args.path), loader: 'js' }));
  },
};

async function buildAll(outDir) {
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir, { withFileTypes: true }).filter((e) => e.isFile())) {
    if (f.name.startsWith(`${MAIN}.`) && f.name.endsWith('.cjs')) rmSync(join(outDir, f.name));
  }
  await build({
    ...common,
    entryPoints: ['agent/src/main.ts'],
    outfile: join(outDir, `${MAIN}.cjs`),
    define: { __AGENT_VERSION__: JSON.stringify(pkg.version) },
    plugins: [zodMiniOnly, chunkImports],
  });
  importsWithoutCopies(join(outDir, `${MAIN}.cjs`));
  const shared = new Map();
  for (const [name, pkgs] of Object.entries(CHUNKS)) {
    const sharedChunk = SHARED_WITH[name];
    if (sharedChunk === undefined) {
      await buildChunk(outDir, name, pkgs);
      continue;
    }
    const specifiers = await importsOutside(name, pkgs);
    await buildChunk(outDir, name, pkgs, [servedBy(sharedChunk, pkgs)]);
    shared.set(sharedChunk, new Set([...(shared.get(sharedChunk) ?? []), ...specifiers]));
  }
  for (const [name, specifiers] of shared) await buildChunk(outDir, name, [...specifiers].sort());
}

/**
 * The entry of a chunk: an object of functions, one per package, each requiring it on first call.
 * For AWS clients, ESM instead, so the client can be tree-shaken: each function gives the
 * client's list (CLIENT_LISTS), whose own imports evaluate when the chunk does.
 */
function chunkEntry(name, pkgs) {
  if (pkgs.every((p) => CLIENT_LISTS[p] !== undefined)) {
    const contents = pkgs
      .map(
        (p, i) =>
          `import * as list${i} from ${JSON.stringify(`./${CLIENT_LISTS[p]}`)};\nconst load${i} = () => list${i};\nexport { load${i} as ${JSON.stringify(p)} };\n`,
      )
      .join('');
    return { contents, resolveDir: process.cwd(), sourcefile: `chunk-${name}.mjs`, loader: 'js' };
  }
  const contents = `module.exports = {\n${pkgs.map((p) => `  ${JSON.stringify(p)}: () => require(${JSON.stringify(p)}),\n`).join('')}};\n`;
  return { contents, resolveDir: process.cwd(), sourcefile: `chunk-${name}.cjs`, loader: 'js' };
}

/** In a client's chunk: the client resolves to its ESM build, the one esbuild can tree-shake; any other package stays CommonJS (commonJsOnly). */
const esmClients = {
  name: 'esm-clients',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${Object.keys(CLIENT_LISTS).map(escapeRegExp).join('|')})$`) }, (args) => {
      const dir = join(process.cwd(), 'node_modules', args.path);
      const { module } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (typeof module !== 'string') return { errors: [{ text: `${args.path} publishes no ESM build ("module" in its package.json)` }] };
      return { path: join(dir, module) };
    });
  },
};

/**
 * A client's schemas module (`dist-es/schemas/schemas_0.js`) defines every operation's and
 * shape's schema as a top-level array, and the client's commands reach theirs from there, so
 * esbuild can drop the schemas no listed command reaches: except that the arrays hold object
 * literals with computed keys naming the module's own string constants (`{ [_ht]: [...] }`,
 * `{ [_hQ]: _nT }`, `_ht` being `const _ht = "http"`), and esbuild keeps a computed key it cannot
 * see is a primitive, with the whole schema around it. Each such key is given the literal its
 * constant holds, the same value where it is written, and the unreached schemas go: all of
 * EKS's 384 but those of DescribeCluster and the errors, and most of EC2's 1.3 MB module.
 */
const CLIENT_SCHEMAS = /[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const schemasWithLiteralKeys = {
  name: 'schemas-with-literal-keys',
  setup(b) {
    b.onLoad({ filter: CLIENT_SCHEMAS }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const constants = new Map();
      for (const m of text.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(m[1], m[2]);
      return { contents: text.replace(/\[(_\w+)\]:/g, (key, name) => (constants.has(name) ? `[${constants.get(name)}]:` : key)), loader: 'js' };
    });
  },
};

/** The build options of a chunk but its output: its entry, resolution and stand-ins. */
const chunkOptions = (name, pkgs, plugins) => ({
  ...common,
  stdin: chunkEntry(name, pkgs),
  // https-proxy-agent and socks-proxy-agent publish ESM only (an "import" export condition); esbuild converts them.
  ...(name === 'proxy' || name === 'socks' ? { conditions: ['import'] } : {}),
  ...(name.startsWith('aws') ? commonJsOnly : {}),
  plugins: name.startsWith('aws') ? [esmClients, schemasWithLiteralKeys, lazyBuiltins, ...plugins] : plugins,
});

async function buildChunk(outDir, name, pkgs, plugins = []) {
  await build({ ...chunkOptions(name, pkgs, plugins), outfile: join(outDir, chunkFile(name)) });
  importsWithoutCopies(join(outDir, chunkFile(name)));
}

/**
 * esbuild's __toESM, as esbuild writes it (target node20, minifySyntax): what ESM code gets when
 * it imports a CommonJS module (our imports of yaml, ipaddr.js and Node's built-ins; a client's
 * imports of the shared AWS packages; `await import()` of a chunk).
 */
const ESBUILD_TO_ESM =
  /__toESM = \(mod, isNodeMode, target\) => \(target = mod != null \? __create\(__getProtoOf\(mod\)\) : \{\}, __copyProps\(\n(?:\s*\/\/[^\n]*\n)*\s*isNodeMode \|\| !mod \|\| !mod\.__esModule \? __defProp\(target, "default", \{ value: mod, enumerable: !0 \}\) : target,\n\s*mod\n\)\)/;
/**
 * The same, with nothing copied: the module's exports are the new object's prototype, so every
 * name resolves through the prototype chain, and `default` is set as esbuild sets it.
 */
const TO_ESM_BY_PROTOTYPE =
  '__toESM = (mod, isNodeMode, target) => (target = mod != null && (typeof mod == "object" || typeof mod == "function") ? __create(mod) : {}, ' +
  'isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: !0 }) : target)';

/**
 * Rewrites a build output's __toESM so that importing a CommonJS module copies nothing. esbuild's
 * defines a getter on a new object for every own property of the module's exports, at every
 * importing module, and every later read goes through one: @aws-sdk/core and @smithy/core were
 * copied 35 times over by the EKS client's chunk, yaml 5 and ipaddr.js 4 times by the bundle.
 * What differs: the names are inherited, not own, so enumerating such an import finds none
 * (nothing here enumerates one; the tests run against the bundle and the executables). Fails
 * the build if esbuild writes its helper differently, rather than leave the copies in.
 */
function importsWithoutCopies(file) {
  const text = readFileSync(file, 'utf8');
  if (!text.includes('__toESM(')) return;
  const found = text.match(new RegExp(ESBUILD_TO_ESM.source, 'g')) ?? [];
  if (found.length !== 1) throw new Error(`${file}: esbuild's __toESM helper found ${found.length} times, not once as written for; see importsWithoutCopies`);
  writeFileSync(file, text.replace(ESBUILD_TO_ESM, TO_ESM_BY_PROTOTYPE));
}

/** A bare import of another package (not a Node builtin, not one of `own`), e.g. "@smithy/core/schema". */
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const foreign = (own) => (args) => !args.path.startsWith('.') && !args.path.startsWith('/') && !isBuiltin(args.path) && !own.includes(packageOf(args.path));

/** Every other package's specifier that the chunk `name` of `pkgs` imports (what it takes from the shared one). */
async function importsOutside(name, pkgs) {
  const found = new Set();
  const isForeign = foreign(pkgs);
  const collect = {
    name: 'collect-foreign-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!isForeign(args)) return undefined;
        found.add(args.path);
        return { path: args.path, external: true };
      });
    },
  };
  await build({ ...chunkOptions(name, pkgs, [collect]), write: false, outfile: 'imports.cjs' });
  return found;
}

/**
 * In a client's chunk: every other package comes from the shared chunk, so one copy is loaded
 * (and the client's imports of it copy nothing: importsWithoutCopies).
 */
function servedBy(sharedChunk, own) {
  const isForeign = foreign(own);
  return {
    name: 'served-by-shared-chunk',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => (isForeign(args) ? { path: args.path, namespace: 'shared' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./${chunkFile(sharedChunk)}`)})[${JSON.stringify(args.path)}]();`,
        loader: 'js',
      }));
      externalChunkFiles(b);
    },
  };
}

await buildAll('dist');
