import { defineConfig } from 'vitest/config';

// unit/, integration/ and e2e/ run in one `vitest run`; e2e tests spawn the built CLI (dist/), which
// `npm test` builds first.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
