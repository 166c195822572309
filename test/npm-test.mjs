// `npm test`: builds the bundle, then the x64 executable when this machine can (it needs
// llvm-strip), and runs the unit project. The integration tests run what ships, the executable,
// when it was built from this bundle (test/support/agent.ts); without llvm-strip they run the
// bundle under this Node, and this says so on one line rather than quietly testing less.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { installLine, missing } from './prereqs.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(['scripts/build.mjs']);
const absent = missing('exe-x64');
if (absent.length === 0) {
  run(['scripts/build-exe.mjs', '--no-bundle', '--quiet', '--arch', 'x64']);
  console.log('npm test: integration tests run the x64 executable (dist/eks-node-agent-linux-x64)');
} else {
  console.log(
    `npm test: ${absent.join(', ')} not found, so integration tests run the JS bundle under this Node instead of the x64 executable (to test that too: ${installLine(absent)})`,
  );
}
run([fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url)), 'run', '--project', 'unit', ...process.argv.slice(2)]);
