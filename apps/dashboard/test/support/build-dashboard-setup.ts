/**
 * Vitest global setup: builds the dashboard's bundle when `dist/` has none (the serving app serves it at `/`).
 */
import { ensureDashboardBuilt } from '../../src/index.ts';

export default async function setup(): Promise<void> {
  if (await ensureDashboardBuilt()) console.log('dashboard: built apps/dashboard/dist');
}
