/**
 * Runs the compiled views of one topic (`view-plan.ts`) with the run's DuckDB instance: one distinct pass per tuple
 * input (the distinct values a key, filter or hashed value is computed from), then **one** streaming scan of the
 * topic's Parquet files (only the columns the views read) whose column vectors the columnar fold
 * (`columnar-fold.ts`) turns into every view's states.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import { type AbsoluteRange, type ComputedCell, TopicFold } from './columnar-fold.ts';
import { quoteIdentifier } from './sql-expression.ts';
import type { TupleSource, ViewPlan } from './view-plan.ts';

/** What scanning one topic gave. */
export interface TopicScanResult {
  readonly views: ReadonlyArray<{ readonly view: ViewDefinition<AnyEvent>; readonly cells: ComputedCell[] }>;
  /** Rows read from the lake (events of the topic in the files). */
  readonly rows: number;
  readonly files: number;
  /** Milliseconds of the distinct passes and of the scan. */
  readonly distinctMs: number;
  readonly scanMs: number;
}

/** A view whose distinct tuples collide under DuckDB's 64-bit hash: it must run on the RDD path. */
export class TupleHashCollision extends Error {
  readonly views: readonly string[];

  constructor(views: readonly string[]) {
    super(`two distinct tuples share a 64-bit hash in views ${views.join(', ')}`);
    this.name = 'TupleHashCollision';
    this.views = views;
  }
}

/** `read_parquet` of local files, by column name across files of older schemas. */
export function parquetSource(paths: readonly string[]): string {
  const list = paths.map((path) => `'${path.replaceAll("'", "''")}'`).join(', ');
  return `read_parquet([${list}], union_by_name = true, hive_partitioning = false)`;
}

/** The typed array behind a DuckDB vector of fixed-width values (a copy when the vector does not expose it). */
function itemsOf<T extends Float64Array | Uint8Array | Uint32Array | BigUint64Array>(
  vector: DuckDBVector,
  type: new (length: number) => T,
  size: number,
): T {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof type) return items as T;
  const copy = new type(size);
  for (let row = 0; row < size; row++) {
    const value = vector.getItem(row);
    (copy as unknown as Array<unknown>)[row] =
      type === (BigUint64Array as unknown) ? BigInt(value as bigint) : Number(value ?? Number.NaN);
  }
  return copy;
}

function splitHash(hash: unknown): readonly [number, number] {
  const value = BigInt(hash as bigint);
  return [Number(value & 0xffff_ffffn), Number(value >> 32n)];
}

/**
 * Computes the compiled views `plans` (all of one topic) over the local Parquet files `paths` (in lake order) with
 * `connection`; `keepPartials` keeps each cell's per-file partial sums (incremental runs), `keepItemCounts` each
 * top-K field's exact item counts (the parts of a split run).
 * Throws {@link TupleHashCollision} naming the views to recompute on the RDD path in the (astronomically rare)
 * case two distinct tuples share a hash.
 *
 * @example
 * ```ts
 * const { views, rows } = await scanTopic(connection, plans, ['/lake/events/rides/epoch=1/part-0-0-9.parquet']);
 * ```
 */
export async function scanTopic(
  connection: DuckDBConnection,
  plans: readonly ViewPlan[],
  paths: readonly string[],
  options: { readonly keepPartials?: boolean; readonly keepItemCounts?: boolean } = {},
): Promise<TopicScanResult> {
  const fold = new TopicFold(plans, options);
  if (paths.length === 0) {
    return {
      views: plans.map((plan) => ({ view: plan.view, cells: [] })),
      rows: 0,
      files: 0,
      distinctMs: 0,
      scanMs: 0,
    };
  }
  const source = parquetSource(paths);
  const time = quoteIdentifier(plans[0]?.timeColumn ?? 'ts');
  const distinctStarted = performance.now();
  // Bounds: rows, event-time range, and per number column the range of its absolute values.
  const numbers = fold.numberColumns;
  const [bounds] = (
    await connection.runAndReadAll(
      `SELECT count(*)::DOUBLE, min(${time})::DOUBLE, max(${time})::DOUBLE${numbers
        .map(
          (_, index) =>
            `, min(abs(n${index})) FILTER (WHERE isfinite(n${index}) AND n${index} <> 0), max(abs(n${index})) FILTER (WHERE isfinite(n${index}))`,
        )
        .join(
          '',
        )} FROM (SELECT ${[time, ...numbers.map((sql, index) => `CAST(${sql} AS DOUBLE) AS n${index}`)].join(', ')} FROM ${source})`,
    )
  ).getRowsJS();
  const total = Number(bounds?.[0] ?? 0);
  if (total === 0) {
    return {
      views: plans.map((plan) => ({ view: plan.view, cells: [] })),
      rows: 0,
      files: paths.length,
      distinctMs: 0,
      scanMs: 0,
    };
  }
  const ranges = numbers.map((_, index): AbsoluteRange | undefined => {
    const smallest = bounds?.[3 + 2 * index];
    const largest = bounds?.[4 + 2 * index];
    return typeof smallest === 'number' && typeof largest === 'number' ? [smallest, largest] : undefined;
  });
  // The distinct tuples of every tuple input, in one grouping-sets pass; hashed after grouping (few rows).
  const sources = fold.tupleSources;
  if (sources.length > 0) {
    const expressions = [...new Set(sources.flatMap((tuple) => tuple.sql))];
    const column = (sql: string) => `e${expressions.indexOf(sql)}`;
    const all = expressions.map((_, index) => `e${index}`);
    const sets = sources.map((tuple) => `(${tuple.sql.map(column).join(', ')})`);
    const hashes = sources.map((tuple) => `hash(${tuple.sql.map(column).join(', ')})`);
    const rows = (
      await connection.runAndReadAll(
        `SELECT g, ${hashes.join(', ')}, ${all.join(', ')} FROM (SELECT GROUPING(${all.join(', ')}) AS g, ${all.join(', ')} FROM (SELECT ${expressions
          .map((sql, index) => `${sql} AS e${index}`)
          .join(', ')} FROM ${source}) GROUP BY GROUPING SETS (${sets.join(', ')}))`,
      )
    ).getRowsJS();
    // GROUPING() sets the bit of every column a set does not group by (the first column is the highest bit).
    const maskOf = (tuple: TupleSource) =>
      all.reduce(
        (mask, name, index) =>
          tuple.sql.some((sql) => column(sql) === name) ? mask : mask | (1 << (all.length - 1 - index)),
        0,
      );
    const first = 1 + sources.length;
    for (const [slot, tuple] of sources.entries()) {
      const mask = maskOf(tuple);
      const positions = tuple.sql.map((sql) => first + expressions.indexOf(sql));
      const mine = rows.filter((row) => Number(row[0]) === mask);
      const values = mine.map((row) => positions.map((position) => row[position] ?? null));
      if (
        !fold.setTuples(
          slot,
          mine.map((row) => splitHash(row[1 + slot])),
          values,
        )
      ) {
        throw new TupleHashCollision(plans.map((plan) => plan.view.name));
      }
    }
  }
  fold.prepare(Number(bounds?.[1]), Number(bounds?.[2]), ranges);
  const distinctMs = performance.now() - distinctStarted;

  const scanStarted = performance.now();
  const layout = fold.layout;
  const tupleIds = Array.from({ length: layout.tuples }, () => new Int32Array(4096));
  const tables = Array.from({ length: layout.tuples }, (_, slot) => fold.tableOf(slot));
  const result = await connection.stream(`SELECT ${fold.selectList(time).join(', ')} FROM ${source}`);
  for (;;) {
    const chunk: DuckDBDataChunk | null = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const size = chunk.rowCount;
    let column = 0;
    const at = () => chunk.getColumnVector(column++);
    const timeColumn = itemsOf(at(), Float64Array, size);
    const file = itemsOf(at(), Uint32Array, size);
    const numbers: Float64Array[] = [];
    for (let index = 0; index < layout.numbers; index++) numbers.push(itemsOf(at(), Float64Array, size));
    const flags: Uint8Array[] = [];
    for (let index = 0; index < layout.flags; index++) flags.push(itemsOf(at(), Uint8Array, size));
    for (let index = 0; index < layout.tuples; index++) {
      const hashes = itemsOf(at(), BigUint64Array, size);
      const words = new Uint32Array(hashes.buffer, hashes.byteOffset, size * 2);
      (tables[index] as (typeof tables)[number]).ids.lookup(words, size, tupleIds[index] as Int32Array);
    }
    fold.fold({ size, time: timeColumn, file, numbers, flags, tuples: tupleIds });
  }
  const views = [...fold.results()];
  return { views, rows: fold.rows, files: paths.length, distinctMs, scanMs: performance.now() - scanStarted };
}
