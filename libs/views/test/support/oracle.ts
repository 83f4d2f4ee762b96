/**
 * The ground-truth oracle views are checked against: an in-memory DuckDB that loads raw records (as produced to
 * Kafka) into tables of given column types and runs plain SQL over them. It shares no code with the pipeline:
 * DuckDB parses the JSON and the timestamps, buckets with integer arithmetic and counts distinct values exactly.
 * It knows no domain: each project (the examples, the test fixtures) writes its views' SQL and its tables'
 * columns, and may name them in an {@link OracleDefinition} so `rows(view)` runs a view's SQL by name.
 *
 * Quantile rank: the sketch guarantees its estimate against the lower quantile x_⌊q·(n−1)⌋ of the sorted values
 * (DDSketch's definition). DuckDB's `quantile_disc` picks a different element for small groups (for n = 10 and
 * q = 0.95 it returns x₉, the lower quantile is x₈), so {@link lowerQuantileSql} indexes the sorted list itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/** One oracle row: the key, the bucket start in epoch ms, and the view's fields as exact numbers. */
export interface OracleRow {
  readonly key: string;
  readonly bucketStartMs: number;
  readonly [field: string]: string | number | boolean | null;
}

/** A table's columns: name → DuckDB type (`'VARCHAR'`, `'BIGINT'`, `'DOUBLE'`, `'BOOLEAN'`, …), in order. */
export type OracleColumns = Readonly<Record<string, string>>;

/** What an oracle knows of a project: its tables' columns and its views' SQL, by name. */
export interface OracleDefinition {
  /** Table name → its columns (a table per topic, usually named as the topic). */
  readonly tables: Readonly<Record<string, OracleColumns>>;
  /**
   * View name → a query over the tables giving one row per key and bucket, ordered by key then bucket: columns
   * `key`, `bucketStartMs` and one per field, named as the field (quantiles: `<field>_p50`, `_p95`, `_p99`).
   */
  readonly views: Readonly<Record<string, string>>;
}

/**
 * SQL of the lower quantile x_⌊q·(n−1)⌋ of the non-null values of `column` over a group (the rank the quantile
 * sketch guarantees; `NULL` when there are none).
 *
 * @example
 * ```ts
 * `SELECT city AS key, ${lowerQuantileSql('fareCents', 0.95)} AS fare_p95 FROM rides GROUP BY ALL`
 * ```
 */
export function lowerQuantileSql(column: string, q: number): string {
  return `list_sort(list(${column}) FILTER (WHERE ${column} IS NOT NULL))[CAST(floor(${q} * (count(${column}) - 1)) AS BIGINT) + 1]`;
}

/**
 * SQL of the start (epoch ms) of the `bucketMs`-long bucket holding `epochMsSql`, aligned to the Unix epoch.
 *
 * @example
 * ```ts
 * bucketStartSql(isoToEpochMsSql('ts'), 3_600_000); // '(epoch_ms(CAST(ts AS TIMESTAMPTZ)) // 3600000) * 3600000'
 * ```
 */
export function bucketStartSql(epochMsSql: string, bucketMs: number): string {
  return `((${epochMsSql}) // ${bucketMs}) * ${bucketMs}`;
}

/** SQL of the epoch milliseconds of an ISO-8601 text column (parsed by DuckDB, not by the pipeline). */
export function isoToEpochMsSql(column: string): string {
  return `epoch_ms(CAST(${column} AS TIMESTAMPTZ))`;
}

const quoted = (text: string, quote: string) => `${quote}${text.replaceAll(quote, quote + quote)}${quote}`;

/** An in-memory DuckDB of raw records, with the session time zone at UTC. */
export class ViewOracle {
  private readonly instance: DuckDBInstance;
  private readonly connection: DuckDBConnection;
  private readonly directory: string;
  private readonly definition: OracleDefinition;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, definition: OracleDefinition) {
    this.instance = instance;
    this.connection = connection;
    this.definition = definition;
    this.directory = mkdtempSync(join(tmpdir(), 'oxbow-oracle-'));
  }

  /**
   * Opens an empty in-memory database. `definition` names the tables' columns (for {@link ViewOracle.load}) and
   * the views' SQL (for {@link ViewOracle.rows}).
   */
  static async create(definition: OracleDefinition = { tables: {}, views: {} }): Promise<ViewOracle> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    return new ViewOracle(instance, connection, definition);
  }

  /**
   * Loads raw records into `table`, replacing it: written as NDJSON and read with DuckDB's `read_json` with the
   * given columns (default: the definition's), so a field missing from a record is `NULL`.
   */
  async load(table: string, records: Iterable<object>, columns?: OracleColumns): Promise<void> {
    const types = columns ?? this.definition.tables[table];
    if (types === undefined || Object.keys(types).length === 0) {
      throw new Error(`no columns for oracle table "${table}"`);
    }
    const file = join(this.directory, `${encodeURIComponent(table)}.ndjson`);
    const lines: string[] = [];
    for (const record of records) lines.push(JSON.stringify(record));
    writeFileSync(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    const struct = Object.entries(types)
      .map(([name, type]) => `${quoted(name, "'")}: ${quoted(type, "'")}`)
      .join(', ');
    await this.connection.run(
      `CREATE OR REPLACE TABLE ${quoted(table, '"')} AS SELECT * FROM read_json(${quoted(file, "'")}, ` +
        `format = 'newline_delimited', columns = {${struct}})`,
    );
  }

  /** The ground-truth rows of a view of the definition, ordered by key and bucket. */
  async rows(viewName: string): Promise<OracleRow[]> {
    const sql = this.definition.views[viewName];
    if (sql === undefined) throw new Error(`no oracle SQL for view "${viewName}"`);
    return this.query(sql);
  }

  /** Runs any SQL and returns its rows, with bigints (counts, sums of integers) turned into numbers. */
  async query(sql: string): Promise<OracleRow[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS().map((row) => {
      const converted: Record<string, string | number | boolean | null> = {};
      for (const [name, value] of Object.entries(row)) {
        converted[name] =
          typeof value === 'bigint' ? Number(value) : (value as string | number | boolean | null);
      }
      return converted as OracleRow;
    });
  }

  /** Closes the database and removes its temporary files. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
