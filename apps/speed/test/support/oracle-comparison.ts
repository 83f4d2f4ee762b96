/**
 * The speed layer's increments against the DuckDB oracle of the web-analytics example
 * (`@oxbow/example-web-analytics/oracle`, over libs/views/test/support): the increments of a view
 * read back from Redis and merged per (key, bucket) — the answer the serving layer gives when no manifest covers
 * their epochs — compared cell by cell with the oracle's rows over the same records.
 */

import type { RedisClient } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';
import { WEB_ANALYTICS_ORACLE } from '@oxbow/example-web-analytics/oracle';
import type { Project } from '@oxbow/views';
import { type OracleDefinition, ViewOracle } from '../../../../libs/views/test/support/oracle.ts';
import { expectRowsMatchOracle } from '../../../../libs/views/test/support/presented-value-checks.ts';
import type { AnyView } from '../../src/increments.ts';
import { realtimeRows } from './speed-test-env.ts';

/**
 * Loads the produced records into an oracle of the web-analytics example (plus `extraViews`: name → SQL over
 * tables `http_logs` and `sensor_readings`).
 */
export async function oracleOf(
  http: readonly object[],
  sensors: readonly object[],
  extraViews: Readonly<Record<string, string>> = {},
): Promise<ViewOracle> {
  const definition: OracleDefinition = {
    tables: WEB_ANALYTICS_ORACLE.tables,
    views: { ...WEB_ANALYTICS_ORACLE.views, ...extraViews },
  };
  const oracle = await ViewOracle.create(definition);
  await oracle.load('http_logs', http);
  await oracle.load('sensor_readings', sensors);
  return oracle;
}

/**
 * Asserts that the realtime rows of `view` equal the oracle's rows of `oracleView` (default the view's name) on
 * every key and bucket; returns the number of cells.
 */
export async function expectViewMatchesOracle(
  redis: RedisClient,
  layout: RedisLayout,
  oracle: ViewOracle,
  view: AnyView,
  oracleView: string = view.name,
): Promise<number> {
  const rows = await realtimeRows(redis, layout, view);
  return expectRowsMatchOracle(view, rows, await oracle.rows(oracleView), view.name);
}

/** {@link expectViewMatchesOracle} for every view of `project`; returns the number of cells compared. */
export async function expectAllViewsMatchOracle(
  redis: RedisClient,
  layout: RedisLayout,
  oracle: ViewOracle,
  project: Project,
): Promise<number> {
  let cells = 0;
  for (const view of project.views) {
    cells += await expectViewMatchesOracle(redis, layout, oracle, view);
  }
  return cells;
}
