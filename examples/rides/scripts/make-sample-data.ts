/**
 * Writes the example's seeded sample data, `data/rides/ride_events.jsonl`: rides generated from the schema's field
 * types (the project gives no generator), from a fixed seed, so the same bytes on every run. `oxbow produce --file`
 * replays it; the example's tests read it as a fixture.
 *
 * ```sh
 * node examples/rides/scripts/make-sample-data.ts          # (re)write the file
 * node examples/rides/scripts/make-sample-data.ts --check  # exit 1 if it differs from its plan
 * ```
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject, type SamplePlan, writeSampleData } from '@oxbow/views';
import { RIDES_PROJECT } from '../index.ts';

/** Where the sample goes: `data/rides/` at the repository root. */
export const SAMPLE_DIRECTORY = fileURLToPath(new URL('../../../data/rides/', import.meta.url));

/** About four hours of rides from 22:00 UTC, so they span two UTC days. */
export const SAMPLE_PLANS: readonly SamplePlan[] = [
  { topic: 'ride_events', count: 1500, seed: 42, startMs: Date.UTC(2026, 10, 24, 22), ratePerSec: 0.15 },
];

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const project = await loadProject(RIDES_PROJECT);
  const differing = writeSampleData(project, SAMPLE_DIRECTORY, SAMPLE_PLANS, { check });
  for (const path of differing)
    console.log(`${check ? 'differs' : 'wrote'}: ${relative(process.cwd(), path)}`);
  if (differing.length === 0) console.log('sample data: up to date');
  if (check && differing.length > 0) process.exitCode = 1;
}
