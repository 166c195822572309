import { defineConfig } from 'vitest/config';

/*
 * Three projects, one per npm script, split by what the tests need beyond Node.js and npm:
 *   unit   (`npm test`)           nothing else: passes on a fresh machine, as any user
 *   tools  (`npm run test:tools`) *.tools.test.ts: kubectl, containerd, systemd-analyze, ...
 *   exe    (`npm run test:exe`)   test/exe: both executables, arm64 under qemu
 * test/prereqs.mjs lists each script's tools and checks them before vitest starts.
 */
const TOOLS = ['**/*.tools.test.ts'];
const EXE = ['test/exe/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['agent/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/system/**', 'node_modules/**', ...TOOLS, ...EXE],
        },
      },
      { extends: true, test: { name: 'tools', include: TOOLS, exclude: ['node_modules/**'] } },
      { extends: true, test: { name: 'exe', include: EXE } },
    ],
  },
});
