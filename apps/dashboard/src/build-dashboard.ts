/**
 * Builds the dashboard's bundle (`web/` → `dist/`) with Vite, as `npm run build:dashboard` does; `oxbow start`
 * and the dashboard's tests build it when it is missing. The build output is not committed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard package's directory. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Where the bundle is built: `apps/dashboard/dist` (the serving app's default dashboard directory). */
export const DASHBOARD_DIST_DIR = join(PACKAGE_DIR, 'dist');

/** Whether the bundle exists (its `index.html`). */
export function isDashboardBuilt(distDir: string = DASHBOARD_DIST_DIR): boolean {
  return existsSync(join(distDir, 'index.html'));
}

/**
 * Builds the bundle into `DASHBOARD_DIST_DIR` (a few seconds) with the package's `vite.config.ts`.
 *
 * @example
 * await buildDashboard(); // apps/dashboard/dist/index.html, dist/assets/index-<hash>.js
 */
export async function buildDashboard(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(PACKAGE_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

/**
 * Builds the bundle when it is missing; returns whether it built it.
 *
 * @example
 * if (await ensureDashboardBuilt()) console.log('dashboard built');
 */
export async function ensureDashboardBuilt(): Promise<boolean> {
  if (isDashboardBuilt()) return false;
  await buildDashboard();
  return true;
}
