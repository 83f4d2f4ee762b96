import type { RedisLayout } from '@oxbow/contracts';
import type { ViewName, ViewRow } from '@oxbow/views';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { distinctTolerance } from '../../../../libs/views/test/support/distinct-tolerance.ts';
import { type OracleRow, ViewOracle } from '../../../../libs/views/test/support/oracle.ts';
import { expectPresentedValue } from '../../../../libs/views/test/support/presented-value-checks.ts';
import { realtimeRows } from './speed-test-env.ts';

const cell = (row: { key: string; bucketStartMs: number }) => `${row.key} @ ${row.bucketStartMs}`;

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
    expectPresentedValue(viewName, row.value, expected, where, ([estimate, exact], precision) => {
      expect(Math.abs(estimate - exact), `${where}: users ${estimate} vs ${exact}`).toBeLessThanOrEqual(
        distinctTolerance(exact, precision),
      );
    });
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
