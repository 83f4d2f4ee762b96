/**
 * The ground truth of the rides example's views: the raw records' columns (as produced, `time` an ISO-8601 string
 * or epoch milliseconds, `promo` possibly absent) and one plain DuckDB query per view, written by hand from the
 * view definitions and sharing no code with them.
 */
import {
  bucketStartSql,
  isoToEpochMsSql,
  lowerQuantileSql,
  type OracleDefinition,
  ViewOracle,
} from '../../libs/views/test/support/oracle.ts';

/** The event time in epoch ms, whichever way a record wrote it. */
const time = `CASE WHEN TRY_CAST("time" AS BIGINT) IS NOT NULL THEN CAST("time" AS BIGINT) ELSE ${isoToEpochMsSql('"time"')} END`;

const quantileColumns = (column: string, name: string) =>
  [0.5, 0.95, 0.99]
    .map((q) => `${lowerQuantileSql(column, q)} AS ${name}_p${Math.round(q * 100)}`)
    .join(', ');

/** Table `ride_events` of raw records, and the SQL of the example's three views. */
export const RIDES_ORACLE: OracleDefinition = {
  tables: {
    ride_events: {
      time: 'VARCHAR',
      city: 'VARCHAR',
      fareCents: 'BIGINT',
      durationS: 'DOUBLE',
      promo: 'VARCHAR',
    },
  },
  views: {
    rides_by_city_hourly: `
      SELECT city AS key, ${bucketStartSql(time, 3_600_000)} AS bucketStartMs,
        count(*) AS rides, sum(fareCents) AS revenueCents, avg(durationS) AS meanDurationS,
        count(promo) AS withPromo
      FROM ride_events GROUP BY ALL ORDER BY key, bucketStartMs`,
    fares_by_city_daily: `
      SELECT city AS key, ${bucketStartSql(time, 86_400_000)} AS bucketStartMs,
        count(*) AS rides, ${quantileColumns('fareCents', 'fareCents')}, ${quantileColumns('durationS', 'durationS')},
        min(durationS) AS shortestS, max(durationS) AS longestS
      FROM ride_events WHERE fareCents > 0 GROUP BY ALL ORDER BY key, bucketStartMs`,
    promos_daily: `
      SELECT promo AS key, ${bucketStartSql(time, 86_400_000)} AS bucketStartMs,
        count(*) AS rides, sum(fareCents) AS revenueCents, count(DISTINCT city) AS cities
      FROM ride_events WHERE promo IS NOT NULL GROUP BY ALL ORDER BY key, bucketStartMs`,
  },
};

/**
 * An oracle holding the given raw ride records; close it when done.
 *
 * @example
 * ```ts
 * const oracle = await ridesOracle(records);
 * try { await oracle.rows('rides_by_city_hourly'); } finally { oracle.close(); }
 * ```
 */
export async function ridesOracle(records: Iterable<object>): Promise<ViewOracle> {
  const oracle = await ViewOracle.create(RIDES_ORACLE);
  try {
    await oracle.load('ride_events', records);
  } catch (error) {
    oracle.close();
    throw error;
  }
  return oracle;
}
