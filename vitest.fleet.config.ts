import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The fleet test starts real server processes on PostgreSQL: CI runs it on its own (npm run test:fleet).
export default defineConfig({
  resolve: base.resolve,
  test: { include: ['test/fleet/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
});
