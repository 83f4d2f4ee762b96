import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-rides',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
