/**
 * The sample data in data/web-analytics/ as fixtures: the files are exactly what the seeded script makes, every
 * line parses with its topic's schema, and every view over the sample equals the oracle over the same lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataflowContext } from '@oxbow/dataflow';
import { aggregateView, loadProject, type Project, presentViewRows, writeSampleData } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { expectRowsMatchOracle } from '../../../libs/views/test/support/presented-value-checks.ts';
import { WEB_ANALYTICS_PROJECT } from '../index.ts';
import { webAnalyticsOracle } from '../oracle.ts';
import { SAMPLE_DIRECTORY, SAMPLE_PLANS } from '../scripts/make-sample-data.ts';

/** After every sample time, so none is in the future. */
const NOW = Date.UTC(2026, 11, 1);

const linesOf = (topic: string) =>
  readFileSync(join(SAMPLE_DIRECTORY, `${topic}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line !== '');

const ctx = new DataflowContext({ parallelism: 1 });
let project: Project;
let oracle: ViewOracle;

beforeAll(async () => {
  project = await loadProject(WEB_ANALYTICS_PROJECT);
  oracle = await webAnalyticsOracle({
    http_logs: linesOf('http_logs').map((line) => JSON.parse(line) as object),
    sensor_readings: linesOf('sensor_readings').map((line) => JSON.parse(line) as object),
  });
});

afterAll(async () => {
  oracle?.close();
  await ctx.stop();
});

describe('data/web-analytics', () => {
  it('holds what make-sample-data.ts makes from its seeds (run it after changing a generator)', () => {
    expect(writeSampleData(project, SAMPLE_DIRECTORY, SAMPLE_PLANS, { check: true })).toEqual([]);
  });

  it.each(['http_logs', 'sensor_readings'])('%s: small, and every line parses with the schema', (topic) => {
    const lines = linesOf(topic);
    expect(lines.length).toBeGreaterThan(500);
    expect(lines.length).toBeLessThanOrEqual(2000);
    expect(lines.join('\n').length).toBeLessThan(1_000_000);
    const schema = project.schemaOf(topic);
    const invalid = lines.filter((line) => !schema.parse(line, { now: NOW }).ok);
    expect(invalid).toEqual([]);
  });

  it('every view over the sample equals the oracle over the same lines, over two UTC days', async () => {
    for (const view of project.views) {
      const schema = project.schemaOf(view.topic);
      const events = linesOf(view.topic).map((line) => {
        const result = schema.parse(line, { now: NOW });
        if (!result.ok) throw new Error(result.reasons.join('; '));
        return result.event;
      });
      const rows = presentViewRows(view, await aggregateView(view, ctx.parallelize(events, 3)).collect());
      const cells = expectRowsMatchOracle(view, rows, await oracle.rows(view.name));
      expect(cells, view.name).toBeGreaterThan(3);
    }
    const days = new Set((await oracle.rows('country_daily')).map((row) => row.bucketStartMs));
    expect(days.size).toBe(2);
  });
});
