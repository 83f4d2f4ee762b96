import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'serving',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests (test/*.int.test.ts) use the local stack's Redis; this brings the stack up when needed.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts'],
    hookTimeout: 120_000,
  },
});
