/**
 * The hand-written DuckDB SQL peer of the batch benchmark: every view of the web-analytics example as plain DuckDB
 * SQL over the lake's Parquet files (approximate distinct counts and quantiles, like the views' sketches), each
 * materialized with `CREATE TABLE … AS` in a DuckDB database file, in a process of its own
 * (`duckdb-sql-process.ts`). `ts` is the event time in epoch milliseconds.
 */
import { fileURLToPath } from 'node:url';
import { NODE, runMeasured, tablesOf } from './measured-process.ts';
import type { EngineRun, ViewTotals } from './results.ts';

const CHILD = fileURLToPath(new URL('./duckdb-sql-process.ts', import.meta.url));

/** The SQL of each view over the topics' `read_parquet(…)` expressions. */
export function ceilingSql(sources: {
  readonly http: string;
  readonly sensors: string;
}): Record<string, string> {
  const { http, sensors } = sources;
  return {
    page_views_hourly: `
      SELECT path AS key, ts - ts % 3600000 AS bucket,
             count(*) AS hits,
             count(*) FILTER (WHERE status >= 500) AS errors,
             sum(bytes) AS bytes,
             approx_count_distinct(userId) AS uniqueUsers,
             approx_quantile(latencyMs, [0.5, 0.95, 0.99]) AS latencyMs
      FROM ${http} GROUP BY ALL`,
    country_daily: `
      SELECT country AS key, ts - ts % 86400000 AS bucket,
             count(*) AS hits, approx_count_distinct(userId) AS uniqueUsers
      FROM ${http} GROUP BY ALL`,
    status_minutely: `
      SELECT (status // 100)::VARCHAR || 'xx' AS key, ts - ts % 60000 AS bucket, count(*) AS hits
      FROM ${http} GROUP BY ALL`,
    sensor_hourly: `
      SELECT sensorId AS key, ts - ts % 3600000 AS bucket,
             count(*) AS count, avg(temperature) AS temperature, min(temperature) AS min, max(temperature) AS max
      FROM ${sensors} GROUP BY ALL`,
  };
}

/** What the DuckDB SQL process reports. */
export interface DuckDbSqlResult {
  readonly version: string;
  readonly threads: number;
}

/**
 * Runs the hand-written SQL over `<lakeDir>/events/<topic>/*\/*.parquet` with `threads` threads in its own process,
 * writing the tables to `databaseFile` (replaced).
 *
 * @example
 * ```ts
 * const { run } = await runDuckDbSql(lake.dir, '/tmp/views.duckdb', 2);
 * ```
 */
export async function runDuckDbSql(
  lakeDir: string,
  databaseFile: string,
  threads: number,
  eventsRead: number,
): Promise<{ run: EngineRun; version: string }> {
  const measured = await runMeasured<DuckDbSqlResult>(NODE, [CHILD, lakeDir, databaseFile, String(threads)]);
  const { result } = measured;
  return {
    version: result.version,
    run: {
      name: 'DuckDB SQL, hand-written, → DuckDB file',
      wallSeconds: measured.wallSeconds,
      cpuSeconds: measured.cpuSeconds,
      peakRssBytes: measured.peakRssBytes,
      eventsRead,
      note: `node start + DuckDB ${result.version} (${threads} threads): one CREATE TABLE AS per view into a database file, closed (checkpointed)`,
      views: tablesOf<ViewTotals[]>(measured.stdout, 'the DuckDB SQL process'),
    },
  };
}
