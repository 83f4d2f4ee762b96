/**
 * The independent verifier of the fault suites (docs/reliability.md): plain DuckDB SQL over the records a test
 * produced to Kafka against what the pipeline holds afterwards, ending in one verdict —
 * `ALL-RECORDS-DELIVERED`, or `MORE` / `LESS` (or `MORE-AND-LESS`) with the keys that differ.
 *
 * It shares no code with the pipeline: DuckDB parses the produced JSON and reads the lake's Parquet files itself,
 * and the test writes both sides' SQL. What a "key" is belongs to the test: a whole record (every field joined)
 * when comparing the lake record by record, or a view's key and bucket with its count when comparing the speed
 * layer's increments, which the test reads out of Redis and hands over as rows.
 *
 * @example
 * ```ts
 * const report = await deliveryVerdict({
 *   produced: { columns: { path: 'VARCHAR', ts: 'VARCHAR' }, records: events },
 *   expected: `SELECT path AS key, count(*) AS n FROM produced GROUP BY ALL`,
 *   delivered: { parquet: lakeFiles, sql: `SELECT path AS key, count(*) AS n FROM lake GROUP BY ALL` },
 * });
 * expect(report.verdict, report.summary).toBe('ALL-RECORDS-DELIVERED');
 * ```
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** The outcome of one comparison. */
export type DeliveryVerdict = 'ALL-RECORDS-DELIVERED' | 'MORE' | 'LESS' | 'MORE-AND-LESS';

/** A key whose delivered count differs from the expected one. */
export interface DeliveryDifference {
  readonly key: string;
  readonly expected: number;
  readonly delivered: number;
}

/** What {@link deliveryVerdict} found. */
export interface DeliveryReport {
  readonly verdict: DeliveryVerdict;
  /** Sum of `n` over the expected side. */
  readonly expectedTotal: number;
  /** Sum of `n` over the delivered side. */
  readonly deliveredTotal: number;
  /** Distinct keys on either side. */
  readonly keys: number;
  /** Keys delivered more often than expected (duplicates, or records nobody produced). */
  readonly more: readonly DeliveryDifference[];
  /** Keys delivered less often than expected (lost records). */
  readonly less: readonly DeliveryDifference[];
  /** One line with the verdict and the totals, then up to 20 differing keys. */
  readonly summary: string;
}

/** What the pipeline holds, as the verifier reads it. */
export type DeliveredSide =
  /** Rows `(key, n)` the test read out of the pipeline (say, a view's counts from Redis). */
  | { readonly rows: ReadonlyArray<{ readonly key: string; readonly n: number }> }
  /**
   * Parquet files (absolute paths) read by DuckDB as table `lake` (`union_by_name`), and SQL over `lake` giving
   * `(key, n)`. No files: the delivered side is empty.
   */
  | { readonly parquet: readonly string[]; readonly sql: string };

/** One comparison: the produced records, the SQL of what should be delivered, and what was. */
export interface DeliveryCheck {
  /**
   * The records produced to Kafka, as table `produced` (one row each; written as NDJSON and read by DuckDB's
   * `read_json` with these columns, name → DuckDB type, so a missing field is `NULL`).
   */
  readonly produced: {
    readonly columns: Readonly<Record<string, string>>;
    readonly records: Iterable<object>;
  };
  /** SQL over `produced` giving `(key, n)`: what the pipeline should hold. Several rows of one key are summed. */
  readonly expected: string;
  readonly delivered: DeliveredSide;
}

const quoted = (text: string, quote: string) => `${quote}${text.replaceAll(quote, quote + quote)}${quote}`;

/** SQL of a whole record as one key: every column's text joined by `|` (`NULL` as `∅`), in the given order. */
export function recordKeySql(columns: readonly string[]): string {
  return `concat_ws('|', ${columns.map((c) => `coalesce(CAST(${quoted(c, '"')} AS VARCHAR), '∅')`).join(', ')})`;
}

/**
 * Compares what the pipeline holds with what it should hold, per key, in an in-memory DuckDB (session time zone
 * UTC). Keys present on one side only count as 0 on the other.
 */
export async function deliveryVerdict(check: DeliveryCheck): Promise<DeliveryReport> {
  const directory = mkdtempSync(join(tmpdir(), 'oxbow-verdict-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const producedFile = join(directory, 'produced.ndjson');
    writeNdjson(producedFile, check.produced.records);
    const struct = Object.entries(check.produced.columns)
      .map(([name, type]) => `${quoted(name, "'")}: ${quoted(type, "'")}`)
      .join(', ');
    await connection.run(
      `CREATE TABLE produced AS SELECT * FROM read_json(${quoted(producedFile, "'")}, ` +
        `format = 'newline_delimited', columns = {${struct}})`,
    );
    let deliveredSql: string;
    const delivered = check.delivered;
    if ('rows' in delivered) {
      const rowsFile = join(directory, 'delivered.ndjson');
      writeNdjson(rowsFile, delivered.rows);
      await connection.run(
        `CREATE TABLE delivered_rows AS SELECT * FROM read_json(${quoted(rowsFile, "'")}, ` +
          `format = 'newline_delimited', columns = {'key': 'VARCHAR', 'n': 'BIGINT'})`,
      );
      deliveredSql = 'SELECT key, n FROM delivered_rows';
    } else if (delivered.parquet.length === 0) {
      deliveredSql = 'SELECT CAST(NULL AS VARCHAR) AS key, CAST(0 AS BIGINT) AS n WHERE false';
    } else {
      const files = delivered.parquet.map((file) => quoted(file, "'")).join(', ');
      await connection.run(
        `CREATE VIEW lake AS SELECT * FROM read_parquet([${files}], union_by_name = true)`,
      );
      deliveredSql = delivered.sql;
    }
    const reader = await connection.runAndReadAll(`
      WITH expected AS (SELECT CAST(key AS VARCHAR) AS key, sum(n) AS n FROM (${check.expected}) GROUP BY 1),
           delivered AS (SELECT CAST(key AS VARCHAR) AS key, sum(n) AS n FROM (${deliveredSql}) GROUP BY 1)
      SELECT coalesce(expected.key, delivered.key) AS key,
             CAST(coalesce(expected.n, 0) AS BIGINT) AS expected,
             CAST(coalesce(delivered.n, 0) AS BIGINT) AS delivered
      FROM expected FULL OUTER JOIN delivered ON expected.key = delivered.key
      ORDER BY key`);
    const more: DeliveryDifference[] = [];
    const less: DeliveryDifference[] = [];
    let expectedTotal = 0;
    let deliveredTotal = 0;
    let keys = 0;
    for (const row of reader.getRowObjectsJS()) {
      const difference = {
        key: String(row.key),
        expected: Number(row.expected),
        delivered: Number(row.delivered),
      };
      keys++;
      expectedTotal += difference.expected;
      deliveredTotal += difference.delivered;
      if (difference.delivered > difference.expected) more.push(difference);
      else if (difference.delivered < difference.expected) less.push(difference);
    }
    const verdict: DeliveryVerdict =
      more.length === 0 && less.length === 0
        ? 'ALL-RECORDS-DELIVERED'
        : less.length === 0
          ? 'MORE'
          : more.length === 0
            ? 'LESS'
            : 'MORE-AND-LESS';
    const lines = [
      `${verdict}: ${deliveredTotal} delivered of ${expectedTotal} expected over ${keys} keys` +
        (more.length + less.length > 0 ? ` (${more.length} keys more, ${less.length} keys less)` : ''),
      ...[...less, ...more]
        .slice(0, 20)
        .map((d) => `  ${d.key}: expected ${d.expected}, delivered ${d.delivered}`),
    ];
    return { verdict, expectedTotal, deliveredTotal, keys, more, less, summary: lines.join('\n') };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(directory, { recursive: true, force: true });
  }
}

function writeNdjson(file: string, records: Iterable<object>): void {
  const lines: string[] = [];
  for (const record of records) lines.push(JSON.stringify(record));
  writeFileSync(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}
