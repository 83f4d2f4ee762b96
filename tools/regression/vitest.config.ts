import { defineProject } from 'vitest/config';

/**
 * The fault suites CI runs with `npm test` (`*.fault.test.ts`): failpoints in the speed layer's and the archiver's
 * sinks, Redis killed with AOF. The slower ones run with `npm run test:regression` (vitest.regression.config.ts).
 */
export default defineProject({
  test: {
    name: 'faults',
    include: ['test/**/*.fault.test.ts'],
    globalSetup: ['../testing/src/stack-global-setup.ts'],
    hookTimeout: 120_000,
    testTimeout: 300_000,
    // Each test runs apps as processes on two shared cores: one file at a time.
    fileParallelism: false,
  },
});
