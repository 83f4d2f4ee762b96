/**
 * Runs one SQL statement on a DuckDB connection with the limits every caller wants: exactly one statement, a
 * row limit read from a streaming result (the query is not rewritten), a time limit and an abort signal that
 * interrupt DuckDB, and DuckDB's errors turned into {@link SqlError}s by phase (before running: the query's
 * fault; while running: a failure). DuckDB itself is imported when first needed, so importing
 * `@oxbow/connectors` does not load the native module.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import { SqlError } from './errors.ts';
import { fromDuckDB, type SqlColumn, type SqlRow } from './sql-values.ts';

type DuckDBModule = typeof import('@duckdb/node-api');
let duckdbModule: Promise<DuckDBModule> | undefined;

/** `@duckdb/node-api`, imported once, on first use. */
export function duckdb(): Promise<DuckDBModule> {
  duckdbModule ??= import('@duckdb/node-api');
  return duckdbModule;
}

/** An in-memory DuckDB database and one connection to it. */
export interface DuckDBSession {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
}

/** Opens an in-memory database with `settings` (DuckDB configuration options, e.g. `{ threads: '2' }`). */
export async function openSession(settings: Readonly<Record<string, string>> = {}): Promise<DuckDBSession> {
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(':memory:', { ...settings });
  try {
    return { instance, connection: await instance.connect() };
  } catch (error) {
    instance.closeSync();
    throw error;
  }
}

/** Closes the connection and the database. */
export function closeSession(session: DuckDBSession): void {
  session.connection.closeSync();
  session.instance.closeSync();
}

/** Limits of one query. */
export interface QueryLimits {
  /** Rows returned at most; the result says whether more were left out. Default: all rows. */
  readonly limit?: number;
  /** Interrupts the query after this many milliseconds (`OXBOW_SQL_TIMEOUT`). Default: no limit. */
  readonly timeoutMs?: number;
  /** Interrupts the query when aborted (`OXBOW_SQL_CANCELLED`). */
  readonly signal?: AbortSignal;
}

/** What a query returned. */
export interface SqlResult {
  readonly columns: readonly SqlColumn[];
  readonly rows: SqlRow[];
  /** True when the row limit left rows out. */
  readonly truncated: boolean;
}

/**
 * A deadline and an abort signal over a stretch of work (setting up tables, then the query): `check()` throws
 * once either has fired, and while a DuckDB statement runs the connection is interrupted (again every 50 ms, as
 * an interrupt that lands before the statement starts is not kept).
 */
export class QueryStop {
  readonly #timeoutMs: number | undefined;
  readonly #signal: AbortSignal | undefined;
  #reason: 'timeout' | 'cancelled' | undefined;
  #connection: DuckDBConnection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #repeat: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#fire('cancelled');

  constructor(limits: QueryLimits) {
    this.#timeoutMs = limits.timeoutMs;
    this.#signal = limits.signal;
    if (limits.timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.#fire('timeout'), limits.timeoutMs);
    }
    if (limits.signal?.aborted) this.#reason = 'cancelled';
    else limits.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Why the work was stopped, if it was. */
  get reason(): 'timeout' | 'cancelled' | undefined {
    return this.#reason;
  }

  /** Throws the stop error once the deadline passed or the signal aborted. */
  check(): void {
    if (this.#reason !== undefined) throw this.error();
  }

  /** The error for the reason the work was stopped. */
  error(cause?: unknown): SqlError {
    return this.#reason === 'cancelled'
      ? new SqlError('OXBOW_SQL_CANCELLED', 'the query was cancelled', { cause })
      : new SqlError('OXBOW_SQL_TIMEOUT', `the query ran past its time limit of ${this.#timeoutMs} ms`, {
          cause,
        });
  }

  /** Runs `body` (DuckDB work on `connection`), interrupting it when the work is stopped. */
  async during<T>(connection: DuckDBConnection, body: () => Promise<T>): Promise<T> {
    this.check();
    this.#connection = connection;
    if (this.#reason !== undefined) connection.interrupt();
    try {
      return await body();
    } finally {
      this.#connection = undefined;
    }
  }

  /** Stops the timers and the signal listener. */
  dispose(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#repeat);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #fire(reason: 'timeout' | 'cancelled'): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#connection?.interrupt();
    this.#repeat = setInterval(() => this.#connection?.interrupt(), 50);
    this.#repeat.unref();
  }
}

/** DuckDB's message, first line only (the rest is a caret under the query text), without the API's prefix. */
function duckdbMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0]?.trim() ?? text;
  return line.replace(/^Failed to (extract statements|prepare statement): /, '');
}

/** Options of {@link runQuery}. */
export interface RunQueryOptions {
  /** Rows returned at most (default all). */
  readonly limit?: number;
  /** Refuse every statement but `SELECT` (and what DuckDB runs as one: `SHOW`, `DESCRIBE`, `SUMMARIZE`, `FROM t`). */
  readonly selectOnly?: boolean;
}

/**
 * Runs `query` (exactly one statement) on `connection`, under `stop`. A query that does not parse or bind, or
 * is more than one statement (or, with `selectOnly`, not a `SELECT`) is `OXBOW_SQL_INVALID`; a failure while it
 * runs is `OXBOW_SQL_FAILED`; a stop is `OXBOW_SQL_TIMEOUT` or `OXBOW_SQL_CANCELLED`.
 */
export async function runQuery(
  connection: DuckDBConnection,
  query: string,
  stop: QueryStop,
  options: RunQueryOptions = {},
): Promise<SqlResult> {
  const { JSDuckDBValueConverter, StatementType } = await duckdb();
  let prepared: DuckDBPreparedStatement | undefined;
  try {
    prepared = await stop.during(connection, async () => {
      let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
      try {
        extracted = await connection.extractStatements(query);
      } catch (error) {
        throw invalid(error, stop);
      }
      if (extracted.count !== 1) {
        throw new SqlError(
          'OXBOW_SQL_INVALID',
          extracted.count === 0 ? 'the query is empty' : `expected one statement, got ${extracted.count}`,
        );
      }
      try {
        return await extracted.prepare(0);
      } catch (error) {
        throw invalid(error, stop);
      }
    });
    if (options.selectOnly === true && prepared.statementType !== StatementType.SELECT) {
      const kind = StatementType[prepared.statementType] ?? String(prepared.statementType);
      throw new SqlError('OXBOW_SQL_INVALID', `only SELECT queries are allowed, not ${kind}`);
    }
    const statement = prepared;
    return await stop.during(connection, async () => {
      try {
        const result = await statement.stream();
        const names = result.deduplicatedColumnNames();
        const types = result.columnTypes().map(String);
        const columns = names.map((name, index) => ({ name, type: types[index] ?? 'UNKNOWN' }));
        const limit = options.limit ?? Number.POSITIVE_INFINITY;
        const rows: SqlRow[] = [];
        let truncated = false;
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          for (const cells of chunk.convertRows(JSDuckDBValueConverter)) {
            if (rows.length >= limit) {
              truncated = true;
              break;
            }
            const row: SqlRow = {};
            cells.forEach((cell, index) => {
              row[names[index] ?? `column${index}`] = fromDuckDB(cell);
            });
            rows.push(row);
          }
          if (truncated) break;
        }
        return { columns, rows, truncated };
      } catch (error) {
        if (stop.reason !== undefined) throw stop.error(error);
        if (error instanceof SqlError) throw error;
        throw new SqlError('OXBOW_SQL_FAILED', duckdbMessage(error), { cause: error });
      }
    });
  } finally {
    prepared?.destroySync();
  }
}

function invalid(error: unknown, stop: QueryStop): SqlError {
  if (stop.reason !== undefined) return stop.error(error);
  return new SqlError('OXBOW_SQL_INVALID', duckdbMessage(error), { cause: error });
}
