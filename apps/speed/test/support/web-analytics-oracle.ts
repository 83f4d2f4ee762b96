/**
 * The oracle of the web-analytics example's views (for the speed tests): its tables' raw columns and each view's
 * SQL, written by hand from the view definitions (sharing no code with them).
 */
import {
  bucketStartSql,
  isoToEpochMsSql,
  lowerQuantileSql,
  type OracleDefinition,
} from '../../../../libs/views/test/support/oracle.ts';

const ts = isoToEpochMsSql('ts');

/** Raw records as produced (`ts` an ISO-8601 string). */
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
