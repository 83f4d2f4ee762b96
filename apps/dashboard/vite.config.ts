import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Builds `web/` into `dist/`, served by the serving app at `/` (assets under `/assets/`). */
export default defineConfig({
  root: fileURLToPath(new URL('web', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 300,
  },
});
