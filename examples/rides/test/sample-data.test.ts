/**
 * The sample data in data/rides/ as a fixture: exactly what the seeded script makes from the schema, every line a
 * valid ride, and every view over it equal to the oracle over the same lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataflowContext } from '@oxbow/dataflow';
import { aggregateView, loadProject, type Project, presentViewRows, writeSampleData } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { expectRowsMatchOracle } from '../../../libs/views/test/support/presented-value-checks.ts';
import { RIDES_PROJECT } from '../index.ts';
import { ridesOracle } from '../oracle.ts';
import { SAMPLE_DIRECTORY, SAMPLE_PLANS } from '../scripts/make-sample-data.ts';

/** After every sample time, so none is in the future. */
const NOW = Date.UTC(2026, 11, 1);

const lines = readFileSync(join(SAMPLE_DIRECTORY, 'ride_events.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

const ctx = new DataflowContext({ parallelism: 1 });
let project: Project;
let oracle: ViewOracle;

beforeAll(async () => {
  project = await loadProject(RIDES_PROJECT);
  oracle = await ridesOracle(lines.map((line) => JSON.parse(line) as object));
});

afterAll(async () => {
  oracle?.close();
  await ctx.stop();
});

describe('data/rides/ride_events.jsonl', () => {
  it('holds what make-sample-data.ts makes from its seed (run it after changing the schema)', () => {
    expect(writeSampleData(project, SAMPLE_DIRECTORY, SAMPLE_PLANS, { check: true })).toEqual([]);
  });

  it('is small, and every line parses as a ride', () => {
    expect(lines.length).toBeGreaterThan(500);
    expect(lines.length).toBeLessThanOrEqual(2000);
    expect(lines.join('\n').length).toBeLessThan(1_000_000);
    const schema = project.schemaOf('ride_events');
    expect(lines.filter((line) => !schema.parse(line, { now: NOW }).ok)).toEqual([]);
  });

  it('gives every view equal to the oracle over the same lines', async () => {
    const schema = project.schemaOf('ride_events');
    const events = lines.map((line) => {
      const result = schema.parse(line, { now: NOW });
      if (!result.ok) throw new Error(result.reasons.join('; '));
      return result.event;
    });
    for (const view of project.views) {
      const rows = presentViewRows(view, await aggregateView(view, ctx.parallelize(events, 3)).collect());
      expect(expectRowsMatchOracle(view, rows, await oracle.rows(view.name)), view.name).toBeGreaterThan(3);
    }
  });
});
