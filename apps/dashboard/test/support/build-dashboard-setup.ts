/**
 * Vitest global setup: builds the dashboard's bundle from the current sources (a few seconds), so the serving app
 * serves at `/` the page these tests are about, never a stale `dist/`.
 */
import { buildDashboard } from '../../src/index.ts';

export default async function setup(): Promise<void> {
  await buildDashboard();
}
