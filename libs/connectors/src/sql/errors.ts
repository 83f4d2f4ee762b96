/**
 * The error type of the SQL connectors (`SqlContext`, `runLakeSql`): a closed set of `OXBOW_SQL_*` codes, so the
 * CLI and the API can answer each by its code (a bad query is the caller's fault, a time limit is not).
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code a {@link SqlError} can carry. */
export const SQL_ERROR_CODES = [
  /**
   * The query does not parse or bind (unknown table or column, a type error found before running), is not
   * exactly one statement, or is a statement the caller does not allow (`runLakeSql` runs `SELECT`s only).
   */
  'OXBOW_SQL_INVALID',
  /** The query ran past its time limit and was interrupted. */
  'OXBOW_SQL_TIMEOUT',
  /** The caller's abort signal stopped the query. */
  'OXBOW_SQL_CANCELLED',
  /** An RDD could not become a table: a bad name, values of mixed types, an empty RDD with no known columns. */
  'OXBOW_SQL_TABLE',
  /** The query failed while running (a conversion error, out of memory, an unreadable file). */
  'OXBOW_SQL_FAILED',
] as const;

/** A code from {@link SQL_ERROR_CODES}. */
export type SqlErrorCode = (typeof SQL_ERROR_CODES)[number];

/**
 * An error of a SQL query over RDDs or over the lake. `message` is one line, starting with DuckDB's own
 * explanation when DuckDB raised it.
 *
 * @example
 * try {
 *   await runLakeSql(config, 'SELECT nope FROM http_logs', { project });
 * } catch (error) {
 *   if (SqlError.is(error, 'OXBOW_SQL_INVALID')) console.error(error.message); // Binder Error: … "nope" …
 * }
 */
export class SqlError extends OxbowError<SqlErrorCode> {}
