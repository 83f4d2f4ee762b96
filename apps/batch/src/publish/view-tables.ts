/**
 * Writes one batch-view version locally: a DuckDB database with a table per view (`key VARCHAR, bucket BIGINT,
 * state BLOB`, then the presented fields; primary key, hence an index, on `(key, bucket)`), and each table as
 * a Parquet file (zstd), exported by DuckDB so the `state` column stays a binary BLOB.
 */
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Aggregator } from '@oxbow/dataflow';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import type { ViewCell } from '../compute/batch-view-job.ts';

/** The name of the DuckDB file of a version. */
export const DUCKDB_FILE = 'views.duckdb';

/** One presented column of a view table. */
export interface PresentedColumn {
  readonly name: string;
  /** `BIGINT` for counts, `DOUBLE` for numbers, `VARCHAR` (JSON text) for lists and values of unknown kinds. */
  readonly type: 'BIGINT' | 'DOUBLE' | 'VARCHAR';
  /** Reads the column's value from a presented value. */
  readonly pick: (value: unknown) => unknown;
}

type AnyView = Pick<ViewDefinition<AnyEvent>, 'name' | 'fields'> & {
  readonly aggregator: Aggregator<never, unknown, unknown>;
};

/** The parts a `quantiles` field presents, each its own column (`<field>_p50`, …). */
const QUANTILE_PARTS = ['p50', 'p95', 'p99'] as const;

/** Kinds whose presented value is one number, stored as `DOUBLE`. */
const NUMBER_KINDS: ReadonlySet<string> = new Set(['sum', 'distinct', 'mean', 'min', 'max']);

const fieldOf = (name: string) => (presented: unknown) => (presented as Record<string, unknown>)[name];

/**
 * The presented columns of a view, from its fields' kinds (never from the view's name): a `count` is
 * `<field> BIGINT`; a `sum`, `distinct`, `mean`, `min` or `max` is `<field> DOUBLE`; `quantiles` are
 * `<field>_p50/_p95/_p99 DOUBLE`; anything else (`topK`, `distinctSet`, a user's own aggregator) is
 * `<field> VARCHAR` holding the presented value as JSON. A name that clashes (DuckDB compares names case-insensitively)
 * with `key`, `bucket`, `state` or an earlier column gets `_` appended until it does not.
 *
 * @example
 * ```ts
 * presentedColumns(project.view('rides_by_city')).map((c) => `${c.name} ${c.type}`);
 * // ['rides BIGINT', 'revenue DOUBLE', 'drivers DOUBLE', 'fare_p50 DOUBLE', 'fare_p95 DOUBLE', …]
 * ```
 */
export function presentedColumns(view: AnyView): PresentedColumn[] {
  const columns: PresentedColumn[] = [];
  for (const field of view.fields) {
    const pick = fieldOf(field.name);
    if (field.kind === 'count') columns.push({ name: field.name, type: 'BIGINT', pick });
    else if (NUMBER_KINDS.has(field.kind)) columns.push({ name: field.name, type: 'DOUBLE', pick });
    else if (field.kind === 'quantiles') {
      for (const part of QUANTILE_PARTS) {
        columns.push({
          name: `${field.name}_${part}`,
          type: 'DOUBLE',
          pick: (presented) => (pick(presented) as Record<string, unknown> | undefined)?.[part],
        });
      }
    } else {
      columns.push({
        name: field.name,
        type: 'VARCHAR',
        pick: (presented) => {
          const value = pick(presented);
          return value === undefined ? undefined : JSON.stringify(value, jsonValue);
        },
      });
    }
  }
  const taken = new Set(['key', 'bucket', 'state']);
  return columns.map((column) => {
    let name = column.name;
    while (taken.has(name.toLowerCase())) name = `${name}_`;
    taken.add(name.toLowerCase());
    return name === column.name ? column : { ...column, name };
  });
}

/** JSON of presented values: bigints as numbers when safe (else strings), sets and maps as arrays. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value];
  return value;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function writeTable(connection: DuckDBConnection, view: AnyView, cells: readonly ViewCell[]) {
  const codec = view.aggregator.codec;
  const columns = presentedColumns(view);
  const table = quote(view.name);
  await connection.run(
    `CREATE TABLE ${table} (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL${columns
      .map((column) => `, ${quote(column.name)} ${column.type}`)
      .join('')}, PRIMARY KEY (key, bucket))`,
  );
  const sorted = [...cells].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const appender = await connection.createAppender(view.name);
  for (const [key, bucket, state] of sorted) {
    const presented = view.aggregator.present(codec.deserialize(state));
    appender.appendVarchar(key);
    appender.appendBigInt(BigInt(bucket));
    appender.appendBlob(state);
    for (const column of columns) {
      const value = column.pick(presented);
      if (column.type === 'VARCHAR') {
        if (typeof value === 'string') appender.appendVarchar(value);
        else appender.appendNull();
      } else if (typeof value !== 'number' || !Number.isFinite(value)) appender.appendNull();
      else if (column.type === 'BIGINT') appender.appendBigInt(BigInt(Math.round(value)));
      else appender.appendDouble(value);
    }
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
}

/** What {@link writeViewTables} produced, in `directory`. */
export interface LocalVersion {
  readonly duckdbFile: string;
  /** Per view: its Parquet file and row count. */
  readonly views: ReadonlyArray<{
    readonly name: string;
    readonly parquetFile: string;
    readonly rows: number;
  }>;
}

/**
 * Writes the DuckDB database and one Parquet file per view into `directory` (a local temporary directory).
 *
 * @example
 * const local = await writeViewTables(tmp, [{ view: project.view('rides_by_city'), cells }]);
 */
export async function writeViewTables(
  directory: string,
  results: ReadonlyArray<{ readonly view: AnyView; readonly cells: readonly ViewCell[] }>,
): Promise<LocalVersion> {
  const duckdbFile = join(directory, DUCKDB_FILE);
  const instance = await DuckDBInstance.create(duckdbFile);
  const connection = await instance.connect();
  const views: Array<{ name: string; parquetFile: string; rows: number }> = [];
  try {
    for (const { view, cells } of results) {
      await writeTable(connection, view, cells);
      const parquetFile = join(directory, `${view.name}.parquet`);
      await connection.run(
        `COPY (SELECT * FROM ${quote(view.name)} ORDER BY key, bucket) TO ${literal(parquetFile)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      views.push({ name: view.name, parquetFile, rows: cells.length });
    }
    await connection.run('CHECKPOINT');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { duckdbFile, views };
}
