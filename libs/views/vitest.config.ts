import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'views',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
