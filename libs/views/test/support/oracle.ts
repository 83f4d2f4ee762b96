/**
 * The ground-truth oracle of the views: the same raw records, loaded into DuckDB and aggregated by plain SQL.
 * It shares no code with the pipeline: DuckDB parses the timestamps, buckets with integer arithmetic, counts
 * distinct users exactly and picks quantiles from the sorted values.
 *
 * Quantile rank: the sketch guarantees its estimate against the lower quantile x_⌊q·(n−1)⌋ of the sorted values
 * (DDSketch's definition). DuckDB's `quantile_disc` picks a different element for small groups (for n = 10 and
 * q = 0.95 it returns x₉, the lower quantile is x₈), so the oracle indexes the sorted list itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/** One oracle row: the key, the bucket start in epoch ms, and the view's fields as exact numbers. */
export interface OracleRow {
  readonly key: string;
  readonly bucketStartMs: number;
  readonly [field: string]: string | number | null;
}

const HTTP_COLUMNS = `{ts: 'VARCHAR', host: 'VARCHAR', method: 'VARCHAR', path: 'VARCHAR', status: 'INTEGER',
  bytes: 'BIGINT', latencyMs: 'DOUBLE', userId: 'VARCHAR', country: 'VARCHAR', userAgent: 'VARCHAR'}`;
const SENSOR_COLUMNS = `{ts: 'VARCHAR', sensorId: 'VARCHAR', site: 'VARCHAR', temperature: 'DOUBLE', humidity: 'DOUBLE'}`;

const lowerQuantile = (column: string, q: number) =>
  `list_sort(list(${column}))[CAST(floor(${q} * (count(*) - 1)) AS BIGINT) + 1]`;

const bucket = (ms: number) => `(epoch_ms(CAST(ts AS TIMESTAMPTZ)) // ${ms}) * ${ms}`;

/** The SQL of each view's ground truth, over tables `http_logs` and `sensor_readings` of raw records. */
export const ORACLE_SQL: Readonly<Record<string, string>> = {
  page_views_hourly: `
    SELECT path AS key, ${bucket(3_600_000)} AS bucketStartMs,
      count(*) AS hits,
      count(*) FILTER (WHERE status >= 500) AS errors,
      sum(bytes) AS bytes,
      count(DISTINCT userId) AS uniqueUsers,
      ${lowerQuantile('latencyMs', 0.5)} AS p50,
      ${lowerQuantile('latencyMs', 0.95)} AS p95,
      ${lowerQuantile('latencyMs', 0.99)} AS p99
    FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
  country_daily: `
    SELECT country AS key, ${bucket(86_400_000)} AS bucketStartMs,
      count(*) AS hits, count(DISTINCT userId) AS uniqueUsers
    FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
  status_minutely: `
    SELECT CAST(status // 100 AS VARCHAR) || 'xx' AS key, ${bucket(60_000)} AS bucketStartMs, count(*) AS hits
    FROM http_logs GROUP BY ALL ORDER BY key, bucketStartMs`,
  sensor_hourly: `
    SELECT sensorId AS key, ${bucket(3_600_000)} AS bucketStartMs,
      count(*) AS count, avg(temperature) AS temperature, min(temperature) AS min, max(temperature) AS max
    FROM sensor_readings GROUP BY ALL ORDER BY key, bucketStartMs`,
};

/**
 * The oracle SQL of a view.
 *
 * @example
 * ```ts
 * await oracle.query(oracleSql('page_views_hourly'));
 * ```
 */
export function oracleSql(viewName: string): string {
  const sql = ORACLE_SQL[viewName];
  if (sql === undefined) throw new Error(`no oracle SQL for view "${viewName}"`);
  return sql;
}

/** An in-memory DuckDB holding raw records in `http_logs` and `sensor_readings`. */
export class ViewOracle {
  private readonly instance: DuckDBInstance;
  private readonly connection: DuckDBConnection;
  private readonly directory: string;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.instance = instance;
    this.connection = connection;
    this.directory = mkdtempSync(join(tmpdir(), 'oxbow-oracle-'));
  }

  /** Opens an empty in-memory database with its session time zone at UTC. */
  static async create(): Promise<ViewOracle> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    return new ViewOracle(instance, connection);
  }

  /** Loads raw HTTP log records (as produced to Kafka) into table `http_logs`, replacing it. */
  async loadHttpLogs(records: Iterable<object>): Promise<void> {
    await this.load('http_logs', HTTP_COLUMNS, records);
  }

  /** Loads raw sensor readings into table `sensor_readings`, replacing it. */
  async loadSensorReadings(records: Iterable<object>): Promise<void> {
    await this.load('sensor_readings', SENSOR_COLUMNS, records);
  }

  /** The ground-truth rows of a view, ordered by key and bucket; numbers as JS numbers. */
  async rows(viewName: string): Promise<OracleRow[]> {
    return this.query(oracleSql(viewName));
  }

  /** Runs any SQL and returns its rows with bigints turned into numbers. */
  async query(sql: string): Promise<OracleRow[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS().map((row) => {
      const converted: Record<string, string | number | null> = {};
      for (const [name, value] of Object.entries(row)) {
        converted[name] = typeof value === 'bigint' ? Number(value) : (value as string | number | null);
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

  private async load(table: string, columns: string, records: Iterable<object>): Promise<void> {
    const file = join(this.directory, `${table}.ndjson`);
    const lines: string[] = [];
    for (const record of records) lines.push(JSON.stringify(record));
    writeFileSync(file, `${lines.join('\n')}\n`);
    await this.connection.run(
      `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = ${columns})`,
    );
  }
}
