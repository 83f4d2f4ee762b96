import { defineConfig } from 'vitest/config';

/**
 * One vitest run over every project, so `npm test` ends with a single summary.
 * Each project keeps its own `vitest.config.ts` (also used by its Nx `test` target).
 */
export default defineConfig({
  test: {
    projects: [
      'libs/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'tools/*/vitest.config.ts',
      'examples/*/vitest.config.ts',
    ],
    reporters: ['default', './tools/testing/src/closing-line-reporter.ts'],
  },
});
