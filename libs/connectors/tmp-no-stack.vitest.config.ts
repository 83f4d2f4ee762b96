import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { root: '/work/main/libs/connectors', include: ['src/storage/**/*.test.ts', 'src/parquet/**/*.test.ts', 'test/filesystem.int.test.ts'], hookTimeout: 180_000, testTimeout: 60_000 } });
