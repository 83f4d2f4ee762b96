/**
 * The built dashboard (`@oxbow/dashboard`, `npm run build:dashboard`): the files of its bundle, read once into
 * memory (a few hundred KiB) so the serving app can answer `GET /` and its assets without a file handler.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the dashboard's bundle is built in the workspace: `apps/dashboard/dist` (from `src/` or `dist/`). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

/** One file of the bundle. */
export interface DashboardFile {
  /** The URL path it is served at: `/` for `index.html`, else `/<path in the bundle>`. */
  readonly url: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** Whether its name carries a content hash (Vite's `assets/`): cacheable for ever. */
  readonly immutable: boolean;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/**
 * The files of the bundle in `dir`, or `undefined` when it has not been built (no `index.html`).
 *
 * @example
 * const files = readDashboardFiles(DEFAULT_DASHBOARD_DIR); // [{ url: '/', … }, { url: '/assets/index-3f2a.js', … }]
 */
export function readDashboardFiles(dir: string): DashboardFile[] | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files: DashboardFile[] = [];
  for (const path of filesUnder(dir)) {
    const name = relative(dir, path).split(sep).join('/');
    files.push({
      url: name === 'index.html' ? '/' : `/${name}`,
      contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      body: readFileSync(path),
      immutable: name.startsWith('assets/'),
    });
  }
  return files;
}
