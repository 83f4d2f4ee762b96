/**
 * `TableCatalog`: where `rdd.toTable(catalog, name)` registers an RDD as a SQL table. The engine itself runs no
 * SQL and does no I/O; a catalog with a SQL engine behind it implements this interface (the DuckDB-backed
 * `SqlContext` of `@oxbow/connectors`), so the RDD API does not depend on one.
 */
import type { RDD } from './rdd.ts';

/**
 * A set of named tables whose contents are RDDs, read by the catalog when a query needs them (Spark's temporary
 * views of a `SparkSession`).
 *
 * @example
 * ```ts
 * // With the DuckDB catalog of @oxbow/connectors:
 * const sql = new SqlContext(ctx);
 * clicks.toTable(sql, 'clicks');
 * const perUser = sql.sql('SELECT user, count(*) AS n FROM clicks GROUP BY user');
 * ```
 */
export interface TableCatalog {
  /**
   * Makes `rdd` the contents of the table `name`, replacing a table registered under that name before. Called
   * by {@link RDD.toTable}; registering does not run a job (the catalog reads the RDD when a query uses it).
   */
  registerTable(name: string, rdd: RDD<unknown>): void;
}
