import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:regression`: every fault and regression suite of this directory — the CI ones
 * (`*.fault.test.ts`, also in `npm test`) and the slow ones (`*.slow.test.ts`, only here). Not a project of the
 * root vitest.config.ts, so `npm test` never runs the slow suites.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    name: 'regression',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../testing/src/stack-global-setup.ts'],
    hookTimeout: 120_000,
    testTimeout: 900_000,
    fileParallelism: false,
    reporters: ['default', '../testing/src/closing-line-reporter.ts'],
  },
});
