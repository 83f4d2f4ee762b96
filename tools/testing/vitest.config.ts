import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'testing-tools',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
