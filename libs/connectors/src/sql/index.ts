/**
 * SQL with DuckDB: over RDDs (`SqlContext`, the `TableCatalog` of `rdd.toTable`) and over the lake
 * (`runLakeSql`: topics and batch views, with row and time limits).
 */
export { SQL_ERROR_CODES, SqlError, type SqlErrorCode } from './errors.ts';
export {
  LAKE_SQL_DEFAULTS,
  type LakeSqlBinding,
  type LakeSqlColumn,
  type LakeSqlConfig,
  type LakeSqlOptions,
  type LakeSqlProject,
  type LakeSqlResult,
  type LakeSqlTable,
  runLakeSql,
} from './lake-sql.ts';
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
