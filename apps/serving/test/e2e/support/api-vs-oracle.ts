import { PAGE_VIEWS_HLL_PRECISION, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { webAnalyticsOracle } from '@oxbow/example-web-analytics/oracle';
import { loadProject } from '@oxbow/views';
import { expect } from 'vitest';
import {
  type DistinctCell,
  expectDistinctWithin,
} from '../../../../../libs/views/test/support/distinct-tolerance.ts';
import type { OracleRow } from '../../../../../libs/views/test/support/oracle.ts';
import { expectPresentedValue } from '../../../../../libs/views/test/support/presented-value-checks.ts';

/** The example project the stack runs (the bundled default). */
const project = await loadProject(WEB_ANALYTICS_PROJECT);

/** The views compared, with the field `/top` ranks by (to list the API's keys). */
const COMPARED_VIEWS = {
  page_views_hourly: 'hits',
  country_daily: 'hits',
  status_minutely: 'hits',
  sensor_hourly: 'count',
} as const;
type ComparedView = keyof typeof COMPARED_VIEWS;

const lowerQuantile = (column: string, q: number) =>
  `list_sort(list(${column}))[CAST(floor(${q} * (count(*) - 1)) AS BIGINT) + 1]`;

/** Ground truth of each key's total over all time (the same aggregates as the oracle's per-bucket SQL). */
const TOTAL_SQL: Readonly<Record<ComparedView, string>> = {
  page_views_hourly: `
    SELECT path AS key, count(*) AS hits, count(*) FILTER (WHERE status >= 500) AS errors, sum(bytes) AS bytes,
      count(DISTINCT userId) AS uniqueUsers, ${lowerQuantile('latencyMs', 0.5)} AS p50,
      ${lowerQuantile('latencyMs', 0.95)} AS p95, ${lowerQuantile('latencyMs', 0.99)} AS p99
    FROM http_logs GROUP BY ALL ORDER BY key`,
  country_daily: `
    SELECT country AS key, count(*) AS hits, count(DISTINCT userId) AS uniqueUsers
    FROM http_logs GROUP BY ALL ORDER BY key`,
  status_minutely: `
    SELECT CAST(status // 100 AS VARCHAR) || 'xx' AS key, count(*) AS hits FROM http_logs GROUP BY ALL ORDER BY key`,
  sensor_hourly: `
    SELECT sensorId AS key, count(*) AS count, avg(temperature) AS temperature, min(temperature) AS min,
      max(temperature) AS max
    FROM sensor_readings GROUP BY ALL ORDER BY key`,
};

type Value = Record<string, unknown>;
interface KeyAnswer {
  readonly buckets: ReadonlyArray<{ bucket: string; value: Value }>;
  readonly total: Value;
}

/** Distinct-user estimates with their exact counts, checked together at the end. */
type DistinctCells = DistinctCell[];

/** Runs `work` over `items` with at most `width` in flight. */
async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** What one comparison covered. */
export interface Comparison {
  readonly keys: number;
  readonly cells: number;
  readonly httpEvents: number;
  readonly sensorEvents: number;
}

/**
 * Asserts that the API at `baseUrl` equals the oracle over `http` and `sensors` for every view, key and bucket
 * and every key's total; `label` prefixes failure messages.
 */
export async function expectApiEqualsOracle(
  baseUrl: string,
  http: readonly object[],
  sensors: readonly object[],
  label: string,
): Promise<Comparison> {
  const oracle = await webAnalyticsOracle({ http_logs: http, sensor_readings: sensors });
  try {
    let keys = 0;
    let cells = 0;
    for (const [view, by] of Object.entries(COMPARED_VIEWS) as Array<[ComparedView, string]>) {
      const truthByKey = new Map<string, OracleRow[]>();
      for (const row of await oracle.rows(view)) {
        const list = truthByKey.get(row.key) ?? [];
        list.push(row);
        truthByKey.set(row.key, list);
      }
      const totals = new Map((await oracle.query(TOTAL_SQL[view])).map((row) => [row.key, row]));
      const top = await getJson<{ keys: Array<{ key: string }> }>(
        `${baseUrl}/v1/views/${view}/top?by=${by}&limit=1000`,
      );
      expect(top.keys.map((k) => k.key).sort(), `${label}: ${view} keys`).toEqual(
        [...truthByKey.keys()].sort(),
      );
      const distinct: DistinctCells = [];
      await inParallel([...truthByKey.entries()], 6, async ([key, truth]) => {
        const answer = await getJson<KeyAnswer>(`${baseUrl}/v1/views/${view}?key=${encodeURIComponent(key)}`);
        const where = `${label}: ${view} ${key}`;
        expect(
          answer.buckets.map((b) => Date.parse(b.bucket)),
          `${where} buckets`,
        ).toEqual(truth.map((row) => row.bucketStartMs));
        answer.buckets.forEach((bucket, index) => {
          expectPresentedValue(
            project.view(view),
            bucket.value,
            truth[index] as OracleRow,
            `${where} @ ${bucket.bucket}`,
            (cell) => distinct.push(cell),
          );
        });
        expectPresentedValue(
          project.view(view),
          answer.total,
          totals.get(key) as OracleRow,
          `${where} total`,
          (cell) => distinct.push(cell),
        );
        cells += truth.length;
      });
      if (view === 'page_views_hourly') expectDistinctWithin(distinct, PAGE_VIEWS_HLL_PRECISION);
      if (view === 'country_daily') expectDistinctWithin(distinct, 14);
      keys += truthByKey.size;
    }
    return { keys, cells, httpEvents: http.length, sensorEvents: sensors.length };
  } finally {
    oracle.close();
  }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200)
    throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
