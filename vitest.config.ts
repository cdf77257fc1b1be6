import { defineConfig } from 'vitest/config';

// Every test runs on embedded PGlite; when TEST_DATABASE_URL points at a PostgreSQL server
// (.ci/run starts one), the whole suite runs a second time against it.
const backends = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];

export default defineConfig({
  test: {
    projects: backends.map((db) => ({
      test: {
        name: db,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
        env: { ONESTORY_TEST_DB: db, LOG_LEVEL: 'silent' },
        testTimeout: 60_000,
        hookTimeout: 120_000,
        pool: 'forks',
      },
    })),
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
