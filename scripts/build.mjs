// Bundles the agent into one CommonJS file: the input of both `node dist/eks-node-agent.cjs`
// and the single executable. CommonJS because Node's SEA loader runs only CommonJS mains.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['agent/src/main.ts'],
  outfile: 'dist/eks-node-agent.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  legalComments: 'none',
  // Keep the output byte-identical between builds: no absolute paths, no timestamps.
  sourcesContent: false,
  define: { __AGENT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
