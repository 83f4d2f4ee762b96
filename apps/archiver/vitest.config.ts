import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'archiver',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests (test/*.int.test.ts) run against the local stack; this brings it up when needed.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts'],
    hookTimeout: 180_000,
    testTimeout: 120_000,
    // The integration suites share two cores with the rest of the machine: one file at a time.
    fileParallelism: false,
  },
});
