/**
 * `SqlContext`: DuckDB SQL over RDDs (Spark's `SparkSession.sql` over temporary views). RDDs registered as tables
 * (`rdd.toTable(sql, name)` or `sql.registerTable(name, rdd, { schema })`) are collected and loaded into an
 * in-memory DuckDB database with its appender when a query names them; `sql.sql(query)` returns an RDD whose
 * rows the query computes when a job needs them, so it composes with every RDD operator and, inside a stream,
 * with `dstream.transform((rdd) => …)` per micro-batch.
 */
import type { DataflowContext, RDD, TableCatalog } from '@oxbow/dataflow';
import { SqlError } from './errors.ts';
import { closeSession, type DuckDBSession, duckdb, openSession, QueryStop, runQuery } from './run-query.ts';
import { mentions, quoteIdentifier, type SqlRow } from './sql-values.ts';
import { cellsOf, inferLayout, type SqlTableSchema, type TableLayout } from './table-layout.ts';

/** Options of a {@link SqlContext}. */
export interface SqlContextOptions {
  /**
   * DuckDB configuration options of the in-memory database, as strings (e.g. `{ threads: '2', memory_limit:
   * '1GB' }`). Default: DuckDB's (all cores, 80 % of memory).
   */
  readonly settings?: Readonly<Record<string, string>>;
}

/** Options of {@link SqlContext.registerTable}. */
export interface RegisterTableOptions {
  /**
   * The table's columns and types, in order. Kept for the name: later registrations under the same name (say,
   * `toTable` per micro-batch) use it too. Without one, columns and types are inferred from the rows.
   */
  readonly schema?: SqlTableSchema;
}

/** Options of {@link SqlContext.sql}. */
export interface SqlQueryOptions {
  /** Partitions of the result RDD: the rows in order, cut into equal slices. Default 1. */
  readonly numPartitions?: number;
  /** Interrupts the query after this many milliseconds (`OXBOW_SQL_TIMEOUT`). Default: no limit. */
  readonly timeoutMs?: number;
}

interface Registered {
  readonly name: string;
  readonly rdd: RDD<unknown>;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * SQL over RDDs, run by an in-memory DuckDB database on the driver.
 *
 * - **Tables**: `rdd.toTable(sql, name)` (from `@oxbow/dataflow`) or {@link SqlContext.registerTable}. Objects fill
 *   columns by field, tuples give `_1`, `_2`, …, other values one `value` column; types come from the schema
 *   option or the values (see `inferLayout`). A table is read from its RDD (one `collect` job) the first time a
 *   query names it after it was registered, and loaded with DuckDB's appender; it stays loaded until it is
 *   registered again.
 * - **Queries**: {@link SqlContext.sql} returns an `RDD<SqlRow>` at once. The query runs when a job first needs
 *   one of its partitions, over the tables as they were registered when `sql` was called, and its rows serve
 *   every partition of that run; an RDD read again later runs the query again, as any RDD recomputes its lineage.
 *   Rows are plain objects: BIGINT and wider integers are `number` when they are safe integers and `bigint`
 *   otherwise, timestamps `Date`, BLOBs bytes, LISTs arrays, STRUCTs objects, JSON its text.
 * - One query runs at a time per context. The query is checked when it runs: the action of the job that runs it
 *   rejects with a `SqlError` (`OXBOW_SQL_INVALID`, `OXBOW_SQL_TABLE`, `OXBOW_SQL_FAILED`, `OXBOW_SQL_TIMEOUT`).
 *
 * @example
 * ```ts
 * const ctx = new DataflowContext({ parallelism: 1 });
 * const sql = new SqlContext(ctx);
 * ctx.parallelize([{ user: 'u1', ms: 120 }, { user: 'u2', ms: 80 }, { user: 'u1', ms: 40 }]).toTable(sql, 'requests');
 * const slow = sql.sql('SELECT user, count(*) AS n, avg(ms) AS ms FROM requests GROUP BY user ORDER BY user');
 * await slow.collect(); // [{ user: 'u1', n: 2, ms: 80 }, { user: 'u2', n: 1, ms: 80 }]
 * await sql.close();
 * ```
 */
export class SqlContext implements TableCatalog {
  /** The context the result RDDs belong to. */
  readonly dataflow: DataflowContext;
  readonly #settings: Readonly<Record<string, string>>;
  /** Registered tables by lower-case name (DuckDB compares names case-insensitively). */
  readonly #tables = new Map<string, Registered>();
  readonly #schemas = new Map<string, SqlTableSchema>();
  readonly #layouts = new Map<string, TableLayout>();
  /** Which RDD each DuckDB table holds now. */
  readonly #loaded = new Map<string, RDD<unknown>>();
  #session: Promise<DuckDBSession> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(dataflow: DataflowContext, options: SqlContextOptions = {}) {
    this.dataflow = dataflow;
    this.#settings = options.settings ?? {};
  }

  /**
   * Makes `rdd` the table `name` (a SQL identifier: letters, digits and `_`, not starting with a digit),
   * replacing what was registered under that name. Throws `OXBOW_SQL_TABLE` for a bad name or schema.
   *
   * @example
   * sql.registerTable('pairs', counts, { schema: { word: 'VARCHAR', n: 'BIGINT' } }); // RDD<[string, number]>
   */
  registerTable(name: string, rdd: RDD<unknown>, options: RegisterTableOptions = {}): void {
    this.#assertOpen();
    if (!TABLE_NAME.test(name)) {
      throw new SqlError(
        'OXBOW_SQL_TABLE',
        `table name ${JSON.stringify(name)}: expected letters, digits and _ (not starting with a digit), at most 63`,
      );
    }
    const key = name.toLowerCase();
    if (options.schema !== undefined) {
      inferLayout(name, [], options.schema); // checks the schema now
      this.#schemas.set(key, options.schema);
    }
    this.#tables.set(key, { name, rdd });
  }

  /** Forgets the table `name`; false when there was none. */
  dropTable(name: string): boolean {
    const key = name.toLowerCase();
    this.#schemas.delete(key);
    this.#layouts.delete(key);
    return this.#tables.delete(key);
  }

  /** The names of the registered tables. */
  tableNames(): string[] {
    return [...this.#tables.values()].map((table) => table.name);
  }

  /**
   * The rows of `query` (one DuckDB statement) over the registered tables, as an RDD (see the class notes for
   * when it runs and what rows look like).
   *
   * @example
   * const perUser = sql.sql('SELECT user, sum(ms) AS ms FROM requests GROUP BY user').map((row) => [row.user, row.ms]);
   */
  sql(query: string, options: SqlQueryOptions = {}): RDD<SqlRow> {
    this.#assertOpen();
    const numPartitions = options.numPartitions ?? 1;
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new SqlError(
        'OXBOW_SQL_INVALID',
        `numPartitions must be a positive integer, got ${numPartitions}`,
      );
    }
    const tables = new Map(this.#tables);
    // One run of the query serves each partition once; a partition asked for again starts the next run.
    let run: { rows: Promise<SqlRow[]>; unread: Set<number> } | undefined;
    return this.dataflow.fromSource<SqlRow>({
      name: `sql(${query.replace(/\s+/g, ' ').trim().slice(0, 60)})`,
      numPartitions,
      read: async (partition) => {
        if (run === undefined || !run.unread.has(partition)) {
          const started = {
            rows: this.#execute(query, tables, options.timeoutMs),
            unread: new Set(Array.from({ length: numPartitions }, (_, index) => index)),
          };
          started.rows.catch(() => {
            if (run === started) run = undefined;
          });
          run = started;
        }
        const current = run;
        current.unread.delete(partition);
        if (current.unread.size === 0 && run === current) run = undefined;
        const rows = await current.rows;
        const start = Math.floor((partition * rows.length) / numPartitions);
        const end = Math.floor(((partition + 1) * rows.length) / numPartitions);
        return rows.slice(start, end);
      },
    });
  }

  /** Waits for the running query, then closes the DuckDB database; later queries fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    const session = await this.#session?.catch(() => undefined);
    if (session !== undefined) closeSession(session);
    this.#session = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new SqlError('OXBOW_SQL_INVALID', 'the SqlContext is closed');
  }

  /** Runs `query` over `tables` (the registrations when `sql` was called). */
  async #execute(
    query: string,
    tables: ReadonlyMap<string, Registered>,
    timeoutMs: number | undefined,
  ): Promise<SqlRow[]> {
    const named = [...tables].filter(([, table]) => mentions(query, table.name));
    // Tables are collected outside the lock: a table may itself be the result of a query of this context.
    const collected = new Map<string, readonly unknown[]>();
    for (;;) {
      const missing = named.filter(
        ([key, table]) => this.#loaded.get(key) !== table.rdd && !collected.has(key),
      );
      for (const [key, table] of missing) collected.set(key, await table.rdd.collect());
      const result = await this.#locked(async () => {
        const stale = named.filter(
          ([key, table]) => this.#loaded.get(key) !== table.rdd && !collected.has(key),
        );
        if (stale.length > 0) return undefined; // replaced by another query meanwhile: collect and try again
        const session = await this.#open();
        const stop = new QueryStop(timeoutMs === undefined ? {} : { timeoutMs });
        try {
          for (const [key, table] of named) {
            const elements = collected.get(key);
            if (elements !== undefined && this.#loaded.get(key) !== table.rdd) {
              await this.#load(session, key, table, elements);
            }
          }
          for (const key of [...this.#loaded.keys()]) {
            if (!tables.has(key) && mentions(query, key)) {
              await session.connection.run(`DROP TABLE IF EXISTS ${quoteIdentifier(key)}`);
              this.#loaded.delete(key);
            }
          }
          return (await runQuery(session.connection, query, stop)).rows;
        } finally {
          stop.dispose();
        }
      });
      if (result !== undefined) return result;
    }
  }

  async #load(session: DuckDBSession, key: string, table: Registered, elements: readonly unknown[]) {
    const layout = inferLayout(table.name, elements, this.#schemas.get(key), this.#layouts.get(key));
    const { DuckDBDataChunkWriter, JSToDuckDBValueConverter } = await duckdb();
    const { connection } = session;
    const columns = layout.columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`);
    this.#loaded.delete(key);
    await connection.run(`CREATE OR REPLACE TABLE ${quoteIdentifier(key)} (${columns.join(', ')})`);
    const appender = await connection.createAppender(key);
    try {
      const writer = DuckDBDataChunkWriter.forAppender(appender, { converter: JSToDuckDBValueConverter });
      for (const cells of cellsOf(table.name, elements, layout)) writer.appendRow(cells);
      writer.flush();
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    this.#layouts.set(key, layout);
    this.#loaded.set(key, table.rdd);
  }

  #open(): Promise<DuckDBSession> {
    this.#session ??= openSession(this.#settings);
    return this.#session;
  }

  /** Runs `body` after every earlier locked body (one DuckDB statement sequence at a time). */
  #locked<T>(body: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(body, body);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
