import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'connectors',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests (test/*.int.test.ts) run against the local stack; this brings it up when needed.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts'],
    // The integration suite starts a JVM (HDFS) and talks to S3: generous hook and test timeouts.
    hookTimeout: 180_000,
    testTimeout: 60_000,
  },
});
