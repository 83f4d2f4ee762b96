/**
 * Compares the realtime answer of every view in Redis with the DuckDB oracle of libs/views (plain SQL over the
 * produced records; it shares no code with the pipeline): counts, sums, min and max exactly, means to 1e-9,
 * distinct users and latency quantiles within the sketches' stated bounds.
 */
import type { QuantileSummary } from '@oxbow/dataflow';
import { PAGE_VIEWS_HLL_PRECISION, type ViewName, type ViewRow } from '@oxbow/views';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { distinctTolerance } from '../../../../libs/views/test/support/distinct-tolerance.ts';
import { type OracleRow, ViewOracle } from '../../../../libs/views/test/support/oracle.ts';
import type { RedisLayout } from '../../src/redis-layout.ts';
import { realtimeRows } from './speed-test-env.ts';

const cell = (row: { key: string; bucketStartMs: number }) => `${row.key} @ ${row.bucketStartMs}`;

function distinctWithin(estimate: number, exact: number, precision: number, where: string): void {
  expect(Math.abs(estimate - exact), `${where}: users ${estimate} vs ${exact}`).toBeLessThanOrEqual(
    distinctTolerance(exact, precision),
  );
}

function quantilesWithin(summary: QuantileSummary, truth: OracleRow, where: string): void {
  for (const q of ['p50', 'p95', 'p99'] as const) {
    const exact = truth[q] as number;
    expect(Math.abs((summary[q] as number) - exact), `${where} ${q}`).toBeLessThanOrEqual(
      0.01 * Math.abs(exact) + 1e-9,
    );
  }
}

/** Loads the produced records into an oracle. */
export async function oracleOf(http: readonly object[], sensors: readonly object[]): Promise<ViewOracle> {
  const oracle = await ViewOracle.create();
  await oracle.loadHttpLogs(http);
  await oracle.loadSensorReadings(sensors);
  return oracle;
}

/** Asserts that the realtime rows of `viewName` equal the oracle's on every key and bucket; returns the cells. */
export async function expectViewMatchesOracle(
  redis: Redis,
  layout: RedisLayout,
  oracle: ViewOracle,
  viewName: ViewName,
): Promise<number> {
  const rows = await realtimeRows(redis, layout, viewName);
  const truth = await oracle.rows(viewName);
  expect(rows.map(cell), viewName).toEqual(truth.map(cell));
  rows.forEach((row: ViewRow<Record<string, unknown>>, index) => {
    const expected = truth[index] as OracleRow;
    const where = `${viewName} ${cell(row)}`;
    const v = row.value;
    switch (viewName) {
      case 'page_views_hourly':
        expect({ hits: v.hits, errors: v.errors, bytes: v.bytes }, where).toEqual({
          hits: expected.hits,
          errors: expected.errors,
          bytes: expected.bytes,
        });
        distinctWithin(
          v.uniqueUsers as number,
          expected.uniqueUsers as number,
          PAGE_VIEWS_HLL_PRECISION,
          where,
        );
        quantilesWithin(v.latencyMs as QuantileSummary, expected, where);
        break;
      case 'country_daily':
        expect(v.hits, where).toBe(expected.hits);
        distinctWithin(v.uniqueUsers as number, expected.uniqueUsers as number, 14, where);
        break;
      case 'status_minutely':
        expect(v.hits, where).toBe(expected.hits);
        break;
      case 'sensor_hourly':
        expect({ count: v.count, min: v.min, max: v.max }, where).toEqual({
          count: expected.count,
          min: expected.min,
          max: expected.max,
        });
        expect(v.temperature as number, where).toBeCloseTo(expected.temperature as number, 9);
        break;
    }
  });
  return rows.length;
}

/** {@link expectViewMatchesOracle} for every view; returns the number of cells compared. */
export async function expectAllViewsMatchOracle(
  redis: Redis,
  layout: RedisLayout,
  oracle: ViewOracle,
): Promise<number> {
  let cells = 0;
  for (const name of ['page_views_hourly', 'country_daily', 'status_minutely', 'sensor_hourly'] as const) {
    cells += await expectViewMatchesOracle(redis, layout, oracle, name);
  }
  return cells;
}
