import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['agent/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/system/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
