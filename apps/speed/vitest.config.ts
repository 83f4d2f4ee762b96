import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'speed',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests (test/*.int.test.ts) run against the local stack; this brings it up when needed.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts'],
    hookTimeout: 120_000,
    testTimeout: 60_000,
    // The integration tests share two cores with other work: run the files one after another.
    fileParallelism: false,
  },
});
