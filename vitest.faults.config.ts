import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// Faults: Herald's production build against a PostgreSQL and a Redis of the suite's own, which it
// stops, kills, freezes and locks (never the shared ones). CI runs it on its own (npm run test:faults).
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
