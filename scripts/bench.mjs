// `npm run bench` entry: the benchmark is TypeScript (it starts the test emulators, which are
// TypeScript), so run it through tsx; see scripts/bench.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./bench.ts', import.meta.url));
// Resolved from here, so the bench runs from any working directory.
const tsx = import.meta.resolve('tsx');
const res = spawnSync(process.execPath, ['--import', tsx, script, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exitCode = res.status ?? 1;
