/**
 * The ground truth of the web-analytics example's views: the raw records' columns (as produced to Kafka, `ts` an
 * ISO-8601 string) and one plain DuckDB query per view, written by hand from the view definitions and sharing no
 * code with them. The example's tests, and the apps' tests that run this example, compare every view with it.
 */
import {
  bucketStartSql,
  isoToEpochMsSql,
  lowerQuantileSql,
  type OracleDefinition,
  ViewOracle,
} from '../../libs/views/test/support/oracle.ts';

const ts = isoToEpochMsSql('ts');

/** Tables `http_logs` and `sensor_readings` of raw records, and the SQL of the example's four views. */
export const WEB_ANALYTICS_ORACLE: OracleDefinition = {
  tables: {
    http_logs: {
      ts: 'VARCHAR',
      host: 'VARCHAR',
      method: 'VARCHAR',
      path: 'VARCHAR',
      status: 'INTEGER',
      bytes: 'BIGINT',
      latencyMs: 'DOUBLE',
      userId: 'VARCHAR',
      country: 'VARCHAR',
      userAgent: 'VARCHAR',
    },
    sensor_readings: {
      ts: 'VARCHAR',
      sensorId: 'VARCHAR',
      site: 'VARCHAR',
      temperature: 'DOUBLE',
      humidity: 'DOUBLE',
    },
  },
  views: {
    page_views_hourly: `
      SELECT path AS key, ${bucketStartSql(ts, 3_600_000)} AS bucketStartMs,
        count(*) AS hits,
        count(*) FILTER (WHERE status >= 500) AS errors,
        sum(bytes) AS bytes,
        count(DISTINCT userId) AS uniqueUsers,
        ${lowerQuantileSql('latencyMs', 0.5)} AS latencyMs_p50,
        ${lowerQuantileSql('latencyMs', 0.95)} AS latencyMs_p95,
        ${lowerQuantileSql('latencyMs', 0.99)} AS latencyMs_p99
      FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
    country_daily: `
      SELECT country AS key, ${bucketStartSql(ts, 86_400_000)} AS bucketStartMs,
        count(*) AS hits, count(DISTINCT userId) AS uniqueUsers
      FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
    status_minutely: `
      SELECT CAST(status // 100 AS VARCHAR) || 'xx' AS key, ${bucketStartSql(ts, 60_000)} AS bucketStartMs,
        count(*) AS hits
      FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
    sensor_hourly: `
      SELECT sensorId AS key, ${bucketStartSql(ts, 3_600_000)} AS bucketStartMs,
        count(*) AS count, avg(temperature) AS temperature, min(temperature) AS min, max(temperature) AS max
      FROM sensor_readings GROUP BY ALL ORDER BY key, bucketStartMs`,
  },
};

/** Raw records of the example's topics, as produced. */
export interface WebAnalyticsRecords {
  readonly http_logs?: Iterable<object>;
  readonly sensor_readings?: Iterable<object>;
}

/**
 * An oracle holding the given raw records (an absent topic gives an empty table); close it when done.
 *
 * @example
 * ```ts
 * const oracle = await webAnalyticsOracle({ http_logs: logs, sensor_readings: readings });
 * try { await oracle.rows('page_views_hourly'); } finally { oracle.close(); }
 * ```
 */
export async function webAnalyticsOracle(records: WebAnalyticsRecords): Promise<ViewOracle> {
  const oracle = await ViewOracle.create(WEB_ANALYTICS_ORACLE);
  try {
    await oracle.load('http_logs', records.http_logs ?? []);
    await oracle.load('sensor_readings', records.sensor_readings ?? []);
  } catch (error) {
    oracle.close();
    throw error;
  }
  return oracle;
}
