import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) against a real server process: CI runs it on its own (npm run test:browser).
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
