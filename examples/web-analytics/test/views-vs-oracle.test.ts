/**
 * Every view of the example, loaded through loadProject from oxbow.project.ts and computed by aggregateView over
 * generated events, equals the DuckDB oracle on every key and bucket: exactly for counts, sums and extremes, to
 * 1e-9 for means, within the sketches' stated error for distinct users and latency quantiles.
 */
import { DataflowContext } from '@oxbow/dataflow';
import {
  type AnyEvent,
  aggregateView,
  loadProject,
  type Project,
  presentViewRows,
  type ViewRow,
} from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewOracle } from '../../../libs/views/test/support/oracle.ts';
import { expectRowsMatchOracle } from '../../../libs/views/test/support/presented-value-checks.ts';
import { WEB_ANALYTICS_PROJECT } from '../index.ts';
import { WEB_ANALYTICS_ORACLE, webAnalyticsOracle } from '../oracle.ts';
import { generateHttpLogs } from '../src/http-log-generator.ts';
import { generateSensorReadings } from '../src/sensor-reading-generator.ts';

/** 22:40 UTC, so the events span two UTC days (and late events reach back two hours more). */
const START_MS = Date.UTC(2026, 10, 23, 22, 40);
const NOW = START_MS + 7 * 86_400_000;

const httpRecords = [...generateHttpLogs({ count: 30_000, seed: 2026, startMs: START_MS, ratePerSec: 6 })];
const sensorRecords = [
  ...generateSensorReadings({ count: 10_000, seed: 7, startMs: START_MS, ratePerSec: 2 }),
];

const ctx = new DataflowContext({ parallelism: 1 });
let project: Project;
let oracle: ViewOracle;
const events = new Map<string, AnyEvent[]>();

beforeAll(async () => {
  project = await loadProject(WEB_ANALYTICS_PROJECT);
  for (const [topic, records] of [
    ['http_logs', httpRecords],
    ['sensor_readings', sensorRecords],
  ] as const) {
    const schema = project.schemaOf(topic);
    events.set(
      topic,
      records.map((record) => {
        const result = schema.parse(JSON.stringify(record), { now: NOW });
        if (!result.ok) throw new Error(`generated record is invalid: ${result.reasons.join('; ')}`);
        return result.event;
      }),
    );
  }
  oracle = await webAnalyticsOracle({ http_logs: httpRecords, sensor_readings: sensorRecords });
});

afterAll(async () => {
  oracle?.close();
  await ctx.stop();
});

async function viewRows(name: string): Promise<ViewRow<Record<string, number>>[]> {
  const view = project.view(name);
  const states = await aggregateView(view, ctx.parallelize(events.get(view.topic) ?? [], 4)).collect();
  return presentViewRows(view, states) as ViewRow<Record<string, number>>[];
}

async function expectViewMatchesOracle(name: string): Promise<ViewRow<Record<string, number>>[]> {
  const rows = await viewRows(name);
  expectRowsMatchOracle(project.view(name), rows, await oracle.rows(name));
  return rows;
}

describe('the web-analytics views against the DuckDB oracle', () => {
  it('page_views_hourly: hits, errors and bytes exact; users and latency within the sketch bounds', async () => {
    const rows = await expectViewMatchesOracle('page_views_hourly');
    expect(rows.length).toBeGreaterThan(500);
    expect(rows.reduce((total, row) => total + (row.value.hits ?? 0), 0)).toBe(httpRecords.length);
    expect(rows.reduce((total, row) => total + (row.value.errors ?? 0), 0)).toBeGreaterThan(0);
  });

  it('country_daily: hits exact and users within the HyperLogLog bounds, over two UTC days', async () => {
    const rows = await expectViewMatchesOracle('country_daily');
    expect(new Set(rows.map((row) => row.bucketStartMs)).size).toBe(2);
  });

  it('status_minutely: hits per status class and minute exact', async () => {
    const rows = await expectViewMatchesOracle('status_minutely');
    expect(new Set(rows.map((row) => row.key))).toEqual(new Set(['2xx', '3xx', '4xx', '5xx']));
  });

  it('sensor_hourly: count, min and max exact; mean equal up to float rounding', async () => {
    const rows = await expectViewMatchesOracle('sensor_hourly');
    expect(rows.length).toBeGreaterThan(100);
  });

  it('compares every view of the project', () => {
    expect(project.views.map((view) => view.name).sort()).toEqual(
      Object.keys(WEB_ANALYTICS_ORACLE.views).sort(),
    );
  });
});
