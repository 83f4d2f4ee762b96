/**
 * The ceiling of the batch benchmark: the three http views as hand-written DuckDB SQL over the lake's Parquet
 * files, each materialized with `CREATE TABLE … AS` in an in-memory database (approximate distinct counts and
 * quantiles, like the views' sketches). `ts` is the event time in epoch milliseconds.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { ViewTotals } from './results.ts';

/** The SQL of each http view over `source` (a `read_parquet(…)` expression). */
export function ceilingSql(source: string): Record<string, string> {
  return {
    page_views_hourly: `
      SELECT path AS key, ts - ts % 3600000 AS bucket,
             count(*) AS hits,
             count(*) FILTER (WHERE status >= 500) AS errors,
             sum(bytes) AS bytes,
             approx_count_distinct(userId) AS uniqueUsers,
             approx_quantile(latencyMs, [0.5, 0.95, 0.99]) AS latencyMs
      FROM ${source} GROUP BY ALL`,
    country_daily: `
      SELECT country AS key, ts - ts % 86400000 AS bucket,
             count(*) AS hits, approx_count_distinct(userId) AS uniqueUsers
      FROM ${source} GROUP BY ALL`,
    status_minutely: `
      SELECT (status // 100)::VARCHAR || 'xx' AS key, ts - ts % 60000 AS bucket, count(*) AS hits
      FROM ${source} GROUP BY ALL`,
  };
}

/** Timings and totals of one DuckDB run. */
export interface DuckDbRun {
  readonly seconds: number;
  readonly version: string;
  readonly threads: number;
  readonly views: readonly (ViewTotals & { readonly seconds: number })[];
}

/** Computes the views with DuckDB over `<lakeDir>/events/http_logs/*\/*.parquet` with `threads` threads. */
export async function runDuckDbCeiling(lakeDir: string, threads: number): Promise<DuckDbRun> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await instance.connect();
  try {
    const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0]);
    const source = `read_parquet('${lakeDir.replaceAll("'", "''")}/events/http_logs/*/*.parquet')`;
    const views: (ViewTotals & { seconds: number })[] = [];
    const start = performance.now();
    for (const [name, sql] of Object.entries(ceilingSql(source))) {
      const viewStart = performance.now();
      await connection.run(`CREATE TABLE ${name} AS ${sql}`);
      const seconds = (performance.now() - viewStart) / 1000;
      const [row] = (
        await connection.runAndReadAll(`SELECT count(*)::BIGINT, sum(hits)::BIGINT FROM ${name}`)
      ).getRows();
      views.push({ name, rows: Number(row?.[0]), hits: Number(row?.[1]), seconds });
    }
    return { seconds: (performance.now() - start) / 1000, version, threads, views };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
