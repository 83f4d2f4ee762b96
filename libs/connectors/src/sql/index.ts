/**
 * SQL with DuckDB over RDDs: `SqlContext`, the `TableCatalog` of `rdd.toTable`.
 */
export { SQL_ERROR_CODES, SqlError, type SqlErrorCode } from './errors.ts';
export type { SqlResult } from './run-query.ts';
export {
  type RegisterTableOptions,
  SqlContext,
  type SqlContextOptions,
  type SqlQueryOptions,
} from './sql-context.ts';
export {
  type JsonValue,
  type SqlColumn,
  type SqlRow,
  type SqlValue,
  sqlRowToJson,
  sqlValueToJson,
} from './sql-values.ts';
export { SQL_COLUMN_TYPES, type SqlColumnType, type SqlTableSchema } from './table-layout.ts';
