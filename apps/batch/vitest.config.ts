import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'batch',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The S3 run test needs the local stack (S3Proxy); this brings it up when it is not running.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts'],
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
