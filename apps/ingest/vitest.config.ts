import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'ingest',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests (test/*.int.test.ts) produce to the local stack's Kafka; this brings the stack up when needed.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts'],
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
