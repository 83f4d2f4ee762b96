/**
 * Reads chosen columns of a Parquet file as they are stored, binary ones included (`BYTE_ARRAY` without a string
 * annotation, e.g. DuckDB's `BLOB`, as `Uint8Array`), which the typed reader ({@link readParquet}) refuses: for
 * files Oxbow did not write with its own schema, such as the batch layer's view tables (`key`, `bucket`, `state`).
 */
import { parquetReadObjects } from 'hyparquet';
import { ConnectorError } from '../errors.ts';
import type { FileSystem } from '../storage/file-system.ts';
import { PAGE_DECOMPRESSORS } from './codecs.ts';
import { openParquet } from './reader.ts';

/**
 * The rows of `columns` of a Parquet file, row group by row group: strings as `string`, 64-bit integers as
 * `bigint`, unannotated byte arrays as `Uint8Array`, nulls as `null`.
 *
 * @example
 * for await (const row of readParquetColumns(lake, 'views/v=…/page_views_hourly.parquet', ['key', 'bucket', 'state'])) {
 *   states.set(`${row.key}@${row.bucket}`, codec.deserialize(row.state as Uint8Array));
 * }
 */
export async function* readParquetColumns(
  fs: FileSystem,
  path: string,
  columns: readonly string[],
): AsyncIterable<Readonly<Record<string, unknown>>> {
  const { file, metadata } = await openParquet(fs, path);
  const names = new Set(metadata.schema.slice(1).map((element) => element.name));
  const missing = columns.filter((column) => !names.has(column));
  if (missing.length > 0) {
    throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `${path}: no column ${missing.join(', ')}`);
  }
  let rowStart = 0;
  for (const rowGroup of metadata.row_groups) {
    const rowEnd = rowStart + Number(rowGroup.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({
        file,
        metadata,
        columns: [...columns],
        rowStart,
        rowEnd,
        compressors: PAGE_DECOMPRESSORS,
        utf8: false,
      });
    } catch (error) {
      throw new ConnectorError('OXBOW_PARQUET_IO', `cannot decode ${path}: ${String(error)}`, {
        cause: error,
      });
    }
    yield* rows;
    rowStart = rowEnd;
  }
}
