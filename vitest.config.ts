import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/*
 * Three projects, one per npm script, split by what the tests need beyond Node.js and npm:
 *   unit   (`npm test`)           nothing else: passes on a fresh machine, as any user
 *   tools  (`npm run test:tools`) *.tools.test.ts: kubectl, containerd, systemd-analyze, ...
 *   exe    (`npm run test:exe`)   test/exe: both executables, arm64 under qemu
 * test/prereqs.mjs lists each script's tools and checks them before vitest starts.
 */
/*
 * Test files at a time. Vitest's default leaves one CPU free (one file at a time on this 2-CPU
 * machine and CI's), but most files here wait on the processes they start and the emulators
 * they talk to, so a file per CPU keeps both busy: `npm test`'s unit project took 273 s with
 * one, 162 s with two and 146 s with three (2026-12-07; three loaded the machine to 4.3, so
 * not taken). Two is the floor; eight a ceiling for larger machines, not measured.
 */
const WORKERS = Math.min(8, Math.max(2, availableParallelism()));
const TOOLS = ['**/*.tools.test.ts'];
const EXE = ['test/exe/**/*.test.ts'];

export default defineConfig({
  test: {
    maxWorkers: WORKERS,
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
