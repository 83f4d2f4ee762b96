import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-web-analytics',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
