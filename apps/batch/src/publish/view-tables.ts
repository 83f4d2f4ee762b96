/**
 * Writes one batch-view version locally: a DuckDB database with a table per view (`key VARCHAR, bucket BIGINT,
 * state BLOB`, then the presented fields; primary key, hence an index, on `(key, bucket)`), and each table as
 * a Parquet file (zstd), exported by DuckDB so the `state` column stays a binary BLOB.
 */
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Aggregator } from '@oxbow/dataflow';
import type { ViewDefinition } from '@oxbow/views';
import type { ViewCell } from '../compute/batch-view-job.ts';

/** The name of the DuckDB file of a version. */
export const DUCKDB_FILE = 'views.duckdb';

/** One presented column of a view table. */
export interface PresentedColumn {
  readonly name: string;
  readonly type: 'BIGINT' | 'DOUBLE';
  /** Reads the column's value from a presented value. */
  readonly pick: (value: unknown) => unknown;
}

type AnyView = Pick<ViewDefinition<never, unknown, unknown>, 'name' | 'fields'> & {
  readonly aggregator: Aggregator<never, unknown, unknown>;
};

/**
 * The presented columns of a view: one per field (`hits BIGINT`, `uniqueUsers DOUBLE`), and one per part of a
 * field whose value is a record (`latencyMs_p50 DOUBLE`, …). Counts are BIGINT, everything else DOUBLE.
 *
 * @example
 * presentedColumns(VIEWS.status_minutely).map((c) => `${c.name} ${c.type}`); // ['hits BIGINT']
 */
export function presentedColumns(view: AnyView, sample?: unknown): PresentedColumn[] {
  const shape = (sample ?? view.aggregator.present(view.aggregator.zero)) as Record<string, unknown>;
  const columns: PresentedColumn[] = [];
  for (const field of view.fields) {
    const value = shape[field.name];
    if (value !== null && typeof value === 'object') {
      for (const part of Object.keys(value)) {
        columns.push({
          name: `${field.name}_${part}`,
          type: 'DOUBLE',
          pick: (presented) =>
            (presented as Record<string, Record<string, unknown> | undefined>)[field.name]?.[part],
        });
      }
    } else {
      columns.push({
        name: field.name,
        type: field.kind === 'count' ? 'BIGINT' : 'DOUBLE',
        pick: (presented) => (presented as Record<string, unknown>)[field.name],
      });
    }
  }
  return columns;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function writeTable(connection: DuckDBConnection, view: AnyView, cells: readonly ViewCell[]) {
  const codec = view.aggregator.codec;
  const first = cells[0];
  const columns = presentedColumns(
    view,
    first ? view.aggregator.present(codec.deserialize(first[2])) : undefined,
  );
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
      if (typeof value !== 'number' || Number.isNaN(value)) appender.appendNull();
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
 * const local = await writeViewTables(tmp, [{ view: VIEWS.status_minutely, cells }]);
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
