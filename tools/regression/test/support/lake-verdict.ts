/**
 * The verifier's verdict on the archiver: the produced HTTP logs against the rows of the lake's part files of a
 * topic, record by record (every field, the event time as epoch milliseconds), both read by DuckDB — the JSON as
 * produced, the Parquet files as the archiver published them. Hidden temporaries of a writer (`.part-…`) are not
 * matched by the glob, exactly as readers skip them.
 */
import { join } from 'node:path';
import { type DeliveryReport, deliveryVerdict, recordKeySql } from '@oxbow/testing-tools';

/** The fields of an HTTP log the lake keeps, the event time as epoch milliseconds. */
const FIELDS = [
  'tsMs',
  'host',
  'method',
  'path',
  'status',
  'bytes',
  'latencyMs',
  'userId',
  'country',
  'userAgent',
];
const PRODUCED_COLUMNS = {
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
};

/** Compares `events` (HTTP logs as produced) with the part files of `topic` in the lake directory `lakeDir`. */
export function lakeVerdict(
  lakeDir: string,
  topic: string,
  events: readonly object[],
): Promise<DeliveryReport> {
  return deliveryVerdict({
    produced: { columns: PRODUCED_COLUMNS, records: events },
    expected: `SELECT ${recordKeySql(FIELDS)} AS key, count(*) AS n
      FROM (SELECT *, epoch_ms(CAST(ts AS TIMESTAMPTZ)) AS tsMs FROM produced) GROUP BY ALL`,
    delivered: {
      parquet: [join(lakeDir, 'events', topic, 'epoch=*', 'part-*.parquet')],
      sql: `SELECT ${recordKeySql(FIELDS)} AS key, count(*) AS n
        FROM (SELECT CAST(ts AS BIGINT) AS tsMs, * EXCLUDE (ts) FROM lake) GROUP BY ALL`,
    },
  });
}
