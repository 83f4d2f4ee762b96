/**
 * Writes one batch-view version locally: a DuckDB database with a table per view (`key VARCHAR, bucket BIGINT,
 * state BLOB`, then the presented fields; primary key, hence an index, on `(key, bucket)`), and each table as
 * a Parquet file (zstd), exported by DuckDB so the `state` column stays a binary BLOB. In an incremental run the
 * untouched rows of the previous version are copied by DuckDB from its Parquet file, never through JavaScript.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Aggregator } from '@oxbow/dataflow';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';

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

/** One row of a view table: key, bucket start, the state's codec bytes and the value it presents. */
export interface TableCell {
  readonly key: string;
  readonly bucket: number;
  readonly state: Uint8Array;
  /** `aggregator.present(state)`, computed beside the state (the table's columns are read from it). */
  readonly value: unknown;
}

/** What to write for one view. */
export interface ViewTable {
  readonly view: AnyView;
  /** The cells computed by this run (every cell, or in an incremental run the touched ones, merged). */
  readonly cells: readonly TableCell[];
  /**
   * An incremental run: the previous version's Parquet table of the view (a local path), whose rows are copied
   * unchanged except those of `cells`.
   */
  readonly copyFrom?: string;
}

function compareCells(a: TableCell, b: TableCell): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.bucket - b.bucket;
}

async function writeTable(connection: DuckDBConnection, table: ViewTable): Promise<number> {
  const { view, cells } = table;
  const columns = presentedColumns(view);
  const name = `version.${quote(view.name)}`;
  await connection.run(
    `CREATE TABLE ${name} (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL${columns
      .map((column) => `, ${quote(column.name)} ${column.type}`)
      .join('')}, PRIMARY KEY (key, bucket))`,
  );
  const appender = await connection.createAppender(view.name, 'main', 'version');
  for (const { key, bucket, state, value } of [...cells].sort(compareCells)) {
    appender.appendVarchar(key);
    appender.appendBigInt(BigInt(bucket));
    appender.appendBlob(state);
    for (const column of columns) {
      const picked = column.pick(value);
      if (column.type === 'VARCHAR') {
        if (typeof picked === 'string') appender.appendVarchar(picked);
        else appender.appendNull();
      } else if (typeof picked !== 'number' || !Number.isFinite(picked)) appender.appendNull();
      else if (column.type === 'BIGINT') appender.appendBigInt(BigInt(Math.round(picked)));
      else appender.appendDouble(picked);
    }
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
  let rows = cells.length;
  if (table.copyFrom !== undefined) {
    const copied = await connection.runAndReadAll(
      `INSERT INTO ${name} BY NAME SELECT * FROM read_parquet(${literal(table.copyFrom)}, hive_partitioning = false) AS previous
       WHERE NOT EXISTS (SELECT 1 FROM ${name} AS computed
                         WHERE computed.key = previous.key AND computed.bucket = previous.bucket)`,
    );
    rows += Number(copied.getRowsJS()[0]?.[0] ?? 0);
  }
  return rows;
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
 * Writes the DuckDB database and one Parquet file per view into `directory` (a local temporary directory), with
 * `connection` (the run's DuckDB instance: the database is attached to it as `version` while it is written).
 * Rows are appended from each cell's bytes and presented value, never decoded again.
 *
 * @example
 * const local = await writeViewTables(connection, tmp, [{ view: project.view('rides_by_city'), cells }]);
 */
export async function writeViewTables(
  connection: DuckDBConnection,
  directory: string,
  tables: readonly ViewTable[],
): Promise<LocalVersion> {
  const duckdbFile = join(directory, DUCKDB_FILE);
  const views: Array<{ name: string; parquetFile: string; rows: number }> = [];
  await connection.run(`ATTACH ${literal(duckdbFile)} AS version`);
  try {
    for (const table of tables) {
      const rows = await writeTable(connection, table);
      const parquetFile = join(directory, `${table.view.name}.parquet`);
      await connection.run(
        `COPY (SELECT * FROM version.${quote(table.view.name)} ORDER BY key, bucket) TO ${literal(parquetFile)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      views.push({ name: table.view.name, parquetFile, rows });
    }
    await connection.run('CHECKPOINT version');
  } finally {
    await connection.run('DETACH version');
  }
  return { duckdbFile, views };
}
