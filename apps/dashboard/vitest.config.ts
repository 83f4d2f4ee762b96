import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'dashboard',
    include: ['web/**/*.test.ts', 'test/**/*.test.ts'],
    // The end-to-end test serves the built page over the local stack's Redis: bring the stack up, build the page.
    globalSetup: ['../../tools/testing/src/stack-global-setup.ts', './test/support/build-dashboard-setup.ts'],
    hookTimeout: 180_000,
    testTimeout: 180_000,
    // The page renders after its API calls: on a busy machine that can take seconds (conditions, not speed).
    expect: { poll: { timeout: 60_000, interval: 100 } },
  },
});
