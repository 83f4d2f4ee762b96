/**
 * The declarative path: a view computed by DuckDB SQL straight over the lake's Parquet files, SQL doing the
 * grouping and the view's own aggregator building the states (`zero`, `append`, `codec`), so their bytes equal the
 * RDD path's.
 *
 * No view has a plan for now: plans were written per view of the bundled example, and views are now the user's
 * code. Compiling a plan from a view definition (its key field, bucket, filter and fields' `inputs` and
 * `parameters`) is left to a later change; until then `--engine auto` computes every view with the RDD engine
 * and `--engine duckdb` is refused (`OXBOW_BATCH_NO_SQL_PLAN`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import type { ViewCell } from './batch-view-job.ts';

/** Computes one view from local Parquet files with DuckDB. */
export type SqlPlan = (connection: DuckDBConnection, files: readonly string[]) => Promise<ViewCell[]>;

/**
 * The SQL plan of `view`, or `undefined` when it has none (currently every view; see the module comment).
 *
 * @example
 * ```ts
 * const plan = sqlPlanOf(project.view('rides_hourly')); // undefined: computed with the RDD engine
 * ```
 */
export function sqlPlanOf(_view: ViewDefinition<AnyEvent>): SqlPlan | undefined {
  return undefined;
}

/** True when `view` has a SQL plan. */
export function hasSqlPlan(view: ViewDefinition<AnyEvent>): boolean {
  return sqlPlanOf(view) !== undefined;
}
