/**
 * Every view, computed by aggregateView over generated events, equals the DuckDB oracle on every key and bucket:
 * exactly for counts, sums, means and extremes; within the sketches' stated error for distinct users and
 * latency quantiles.
 */
import { DataflowContext } from '@oxbow/dataflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpLogEvent, parseHttpLog } from '../src/events/http-log.ts';
import { parseSensorReading, type SensorReadingEvent } from '../src/events/sensor-reading.ts';
import { generateHttpLogs } from '../src/generator/http-logs.ts';
import { generateSensorReadings } from '../src/generator/sensor-readings.ts';
import { aggregateView, presentViewRows, type ViewRow } from '../src/views/aggregate-view.ts';
import { PAGE_VIEWS_HLL_PRECISION } from '../src/views/http-views.ts';
import { VIEWS } from '../src/views/registry.ts';
import type { TimedEvent, ViewDefinition } from '../src/views/view-definition.ts';
import { expectDistinctWithin } from './support/distinct-tolerance.ts';
import { type OracleRow, ViewOracle } from './support/oracle.ts';
import { expectQuantilesWithin } from './support/presented-value-checks.ts';

/** 22:40 UTC, so the events span two UTC days (and late events reach back two hours more). */
const START_MS = Date.UTC(2026, 10, 23, 22, 40);
const NOW = START_MS + 7 * 86_400_000;

const httpRecords = [...generateHttpLogs({ count: 30_000, seed: 2026, startMs: START_MS, ratePerSec: 6 })];
const sensorRecords = [
  ...generateSensorReadings({ count: 10_000, seed: 7, startMs: START_MS, ratePerSec: 2 }),
];

function parseAll<E>(records: readonly object[], parse: (text: string) => { ok: boolean; event?: E }): E[] {
  return records.map((record) => {
    const result = parse(JSON.stringify(record));
    if (!result.ok || result.event === undefined)
      throw new Error(`generated record is invalid: ${JSON.stringify(record)}`);
    return result.event;
  });
}

const httpEvents = parseAll<HttpLogEvent>(httpRecords, (text) => parseHttpLog(text, { now: NOW }));
const sensorEvents = parseAll<SensorReadingEvent>(sensorRecords, (text) =>
  parseSensorReading(text, { now: NOW }),
);

const ctx = new DataflowContext({ parallelism: 1 });
let oracle: ViewOracle;

beforeAll(async () => {
  oracle = await ViewOracle.create();
  await oracle.loadHttpLogs(httpRecords);
  await oracle.loadSensorReadings(sensorRecords);
});

afterAll(async () => {
  oracle?.close();
  await ctx.stop();
});

async function viewRows<E extends TimedEvent, S, O>(
  view: ViewDefinition<E, S, O>,
  events: E[],
): Promise<ViewRow<O>[]> {
  return presentViewRows(view, await aggregateView(view, ctx.parallelize(events, 4)).collect());
}

const cell = (row: { key: string; bucketStartMs: number }) =>
  `${row.key} @ ${new Date(row.bucketStartMs).toISOString()}`;

/** Checks both sides have the same (key, bucket) cells, in the same order, and returns them paired. */
function paired<O>(rows: ViewRow<O>[], truth: OracleRow[]): Array<[ViewRow<O>, OracleRow]> {
  expect(rows.map(cell)).toEqual(truth.map(cell));
  return rows.map((row, index) => [row, truth[index] as OracleRow]);
}

describe('views against the DuckDB oracle', () => {
  it('page_views_hourly: hits, errors and bytes exact; users and latency within the sketch bounds', async () => {
    const rows = await viewRows(VIEWS.page_views_hourly, httpEvents);
    const pairs = paired(rows, await oracle.rows('page_views_hourly'));
    expect(pairs.length).toBeGreaterThan(500);
    const distinct: Array<[number, number, string]> = [];
    for (const [row, truth] of pairs) {
      const where = cell(row);
      expect({ hits: row.value.hits, errors: row.value.errors, bytes: row.value.bytes }, where).toEqual({
        hits: truth.hits,
        errors: truth.errors,
        bytes: truth.bytes,
      });
      distinct.push([row.value.uniqueUsers, truth.uniqueUsers as number, where]);
      expectQuantilesWithin(row.value.latencyMs, truth, where);
    }
    expectDistinctWithin(distinct, PAGE_VIEWS_HLL_PRECISION);
    expect(pairs.reduce((total, [row]) => total + row.value.hits, 0)).toBe(httpEvents.length);
  });

  it('country_daily: hits exact and users within 3 standard errors, over two UTC days', async () => {
    const rows = await viewRows(VIEWS.country_daily, httpEvents);
    const pairs = paired(rows, await oracle.rows('country_daily'));
    expect(new Set(rows.map((row) => row.bucketStartMs)).size).toBe(2);
    for (const [row, truth] of pairs) expect(row.value.hits, cell(row)).toBe(truth.hits);
    expectDistinctWithin(
      pairs.map(([row, truth]) => [row.value.uniqueUsers, truth.uniqueUsers as number, cell(row)]),
      14,
    );
  });

  it('status_minutely: hits per status class and minute exact', async () => {
    const rows = await viewRows(VIEWS.status_minutely, httpEvents);
    const truth = await oracle.rows('status_minutely');
    expect(
      rows.map((row) => ({ key: row.key, bucketStartMs: row.bucketStartMs, hits: row.value.hits })),
    ).toEqual(truth);
    expect(new Set(rows.map((row) => row.key))).toEqual(new Set(['2xx', '3xx', '4xx', '5xx']));
  });

  it('sensor_hourly: count, min and max exact; mean equal up to float rounding', async () => {
    const rows = await viewRows(VIEWS.sensor_hourly, sensorEvents);
    const pairs = paired(rows, await oracle.rows('sensor_hourly'));
    expect(pairs.length).toBeGreaterThan(100);
    for (const [row, truth] of pairs) {
      const where = cell(row);
      expect({ count: row.value.count, min: row.value.min, max: row.value.max }, where).toEqual({
        count: truth.count,
        min: truth.min,
        max: truth.max,
      });
      expect(row.value.temperature, where).toBeCloseTo(truth.temperature as number, 9);
    }
  });
});
