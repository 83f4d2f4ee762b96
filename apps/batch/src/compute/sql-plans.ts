/**
 * The declarative path: views whose parts are plain aggregations, computed by DuckDB SQL straight over the lake's
 * Parquet files. SQL does the grouping and counting; the states are then built by the view's own aggregator
 * (`zero`, `append`, `codec`), so their bytes are identical to the RDD path's. `apps/batch/test` proves it.
 *
 * Views with a plan: `status_minutely` (a count) and `country_daily` (a count and a HyperLogLog: SQL lists each
 * group's distinct users, which the aggregator hashes; HyperLogLog registers keep maxima, so adding each user
 * once gives the same registers as adding every event). `page_views_hourly` (quantile sketch) and
 * `sensor_hourly` (floating-point mean, whose sum depends on the order of additions) have none.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { countryDaily, type HttpLogEvent, statusMinutely, type ViewName } from '@oxbow/views';
import type { ViewCell } from './batch-view-job.ts';

/** Computes one view from local Parquet files with DuckDB. */
export type SqlPlan = (connection: DuckDBConnection, files: readonly string[]) => Promise<ViewCell[]>;

function parquetList(files: readonly string[]): string {
  return `read_parquet([${files.map((file) => `'${file.replaceAll("'", "''")}'`).join(', ')}])`;
}

/** SQL of `bucketStart(tsMs, bucketMs)`: buckets aligned to the Unix epoch, also for negative times. */
function bucketSql(bucketMs: number): string {
  return `(tsMs - (((tsMs % ${bucketMs}) + ${bucketMs}) % ${bucketMs}))`;
}

async function rowsOf(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

const statusMinutelyPlan: SqlPlan = async (connection, files) => {
  const { aggregator, bucketMs } = statusMinutely;
  const rows = await rowsOf(
    connection,
    `SELECT CAST(status // 100 AS VARCHAR) || 'xx' AS key, ${bucketSql(bucketMs)} AS bucket, count(*) AS hits
     FROM ${parquetList(files)} GROUP BY ALL`,
  );
  return rows.map((row): ViewCell => {
    const state = aggregator.zero;
    state.hits = Number(row.hits);
    return [String(row.key), Number(row.bucket), aggregator.codec.serialize(state)];
  });
};

const countryDailyPlan: SqlPlan = async (connection, files) => {
  const { aggregator, bucketMs } = countryDaily;
  const rows = await rowsOf(
    connection,
    `SELECT country AS key, ${bucketSql(bucketMs)} AS bucket, count(*) AS hits, list(DISTINCT userId) AS users
     FROM ${parquetList(files)} GROUP BY ALL`,
  );
  return rows.map((row): ViewCell => {
    let state = aggregator.zero;
    for (const userId of row.users as string[]) {
      state = aggregator.append(state, { userId } as HttpLogEvent);
    }
    state.hits = Number(row.hits);
    return [String(row.key), Number(row.bucket), aggregator.codec.serialize(state)];
  });
};

/** The views the DuckDB engine can compute, and how. */
export const SQL_PLANS: Readonly<Partial<Record<ViewName, SqlPlan>>> = {
  status_minutely: statusMinutelyPlan,
  country_daily: countryDailyPlan,
};

/** True when `view` has a SQL plan. */
export function hasSqlPlan(view: ViewName): boolean {
  return SQL_PLANS[view] !== undefined;
}
