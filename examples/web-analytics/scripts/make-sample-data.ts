/**
 * Writes the example's seeded sample data: `data/web-analytics/http_logs.jsonl` and `sensor_readings.jsonl`,
 * made by the project's generators from fixed seeds (the same bytes on every run). `oxbow produce --file` replays
 * them; the example's tests read them as fixtures.
 *
 * ```sh
 * node examples/web-analytics/scripts/make-sample-data.ts          # (re)write the files
 * node examples/web-analytics/scripts/make-sample-data.ts --check  # exit 1 if a file differs from its plan
 * ```
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject, type SamplePlan, writeSampleData } from '@oxbow/views';
import { WEB_ANALYTICS_PROJECT } from '../index.ts';

/** Where the samples go: `data/web-analytics/` at the repository root. */
export const SAMPLE_DIRECTORY = fileURLToPath(new URL('../../../data/web-analytics/', import.meta.url));

/** The first production time of the samples: 22:30 UTC, so they span two UTC days. */
export const SAMPLE_START_MS = Date.UTC(2026, 10, 24, 22, 30);

/** What each sample holds: about three hours of HTTP logs and five of sensor readings. */
export const SAMPLE_PLANS: readonly SamplePlan[] = [
  { topic: 'http_logs', count: 1500, seed: 2026, startMs: SAMPLE_START_MS, ratePerSec: 0.2 },
  { topic: 'sensor_readings', count: 1000, seed: 7, startMs: SAMPLE_START_MS, ratePerSec: 0.1 },
];

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const project = await loadProject(WEB_ANALYTICS_PROJECT);
  const differing = writeSampleData(project, SAMPLE_DIRECTORY, SAMPLE_PLANS, { check });
  for (const path of differing)
    console.log(`${check ? 'differs' : 'wrote'}: ${relative(process.cwd(), path)}`);
  if (differing.length === 0) console.log('sample data: up to date');
  if (check && differing.length > 0) process.exitCode = 1;
}
