import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'ml',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
