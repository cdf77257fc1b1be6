import { configDefaults, defineConfig } from 'vitest/config';

// Every test runs on the embedded PostgreSQL (one throwaway cluster per run, started by
// postgres.global-setup.ts); when TEST_DATABASE_URL points at a PostgreSQL server (.ci/run starts
// Debian's), the whole suite runs a second time against it. ONESTORY_TEST_PGLITE=1 adds a pass on
// PGlite, the ONESTORY_EMBEDDED=pglite fallback.
const backends = [
  'embedded',
  ...(process.env.TEST_DATABASE_URL ? ['postgres'] : []),
  ...(process.env.ONESTORY_TEST_PGLITE ? ['pglite'] : []),
];

export default defineConfig({
  test: {
    projects: backends.map((db) => ({
      test: {
        name: db,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
        // The embedded server's own tests (start, stop, a second owner, commands beside a running
        // server) start clusters of their own, whatever the back end: they run in one project only.
        exclude: [...configDefaults.exclude, ...(db === 'embedded' ? [] : ['src/db/embedded.database.test.ts'])],
        env: { ONESTORY_TEST_DB: db, LOG_LEVEL: 'silent' },
        globalSetup: ['src/testing/postgres.global-setup.ts'],
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
