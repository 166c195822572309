// Bundles the agent into CommonJS: the input of both `node dist/eks-node-agent.cjs` and the
// single executable. CommonJS because Node's SEA loader runs only CommonJS mains.
//
// The packages only some runs need are left out of the main bundle and put in chunks beside it
// (dist/eks-node-agent.<chunk>.cjs), loaded on their first dynamic import. Why: start-up cost
// and memory grow with the source V8 holds, run or not, and the AWS SDK alone is 1.6 of the
// 2.4 MB a single minified bundle had; `version` and an `init` with complete user data need none
// of it. The sources are unchanged (`await import('@aws-sdk/client-eks')`): in the bundle that
// import becomes `require('./eks-node-agent.aws.cjs')['@aws-sdk/client-eks']()`, and the chunk
// bundles the package behind that function, so packages of one chunk share their dependencies
// (the SDK clients share @smithy/*) and each evaluates only when asked for.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const MAIN = 'eks-node-agent';
/** chunk name -> the packages it holds (each imported dynamically somewhere in agent/src) */
const CHUNKS = {
  aws: ['@aws-sdk/client-eks', '@aws-sdk/client-ec2', '@aws-sdk/client-sts'],
  cel: ['@bufbuild/cel'],
  exec: ['execa'],
  // only when the node sits behind an HTTP proxy
  proxy: ['https-proxy-agent'],
};
const chunkFile = (name) => `${MAIN}.${name}.cjs`;

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

/** In the main bundle: a dynamic import of a chunked package is served by its chunk. */
const chunkImports = {
  name: 'chunk-imports',
  setup(b) {
    const filter = new RegExp(`^(${[...chunkOf.keys()].map(escape).join('|')})$`);
    b.onResolve({ filter }, (args) => {
      if (args.kind !== 'dynamic-import') {
        return { errors: [{ text: `${args.path} is in the "${chunkOf.get(args.path)}" chunk: import it only with await import()` }] };
      }
      return { path: args.path, namespace: 'chunk' };
    });
    b.onLoad({ filter: /.*/, namespace: 'chunk' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./${chunkFile(chunkOf.get(args.path))}`)})[${JSON.stringify(args.path)}]();`,
      loader: 'js',
    }));
    // The chunk file itself is loaded at run time, from beside the main bundle.
    b.onResolve({ filter: new RegExp(`^\\./${escapeRegExp(MAIN)}\\.[a-z]+\\.cjs$`) }, (args) => ({ path: args.path, external: true }));
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
    plugins: [chunkImports],
  });
  for (const [name, pkgs] of Object.entries(CHUNKS)) {
    const contents = `module.exports = {\n${pkgs.map((p) => `  ${JSON.stringify(p)}: () => require(${JSON.stringify(p)}),\n`).join('')}};\n`;
    await build({
      ...common,
      stdin: { contents, resolveDir: process.cwd(), sourcefile: `chunk-${name}.cjs`, loader: 'js' },
      outfile: join(outDir, chunkFile(name)),
      // https-proxy-agent publishes ESM only (an "import" export condition); esbuild converts it.
      ...(name === 'proxy' ? { conditions: ['import'] } : {}),
    });
  }
}

await buildAll('dist');
