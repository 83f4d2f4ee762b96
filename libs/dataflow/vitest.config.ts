import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'dataflow',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
