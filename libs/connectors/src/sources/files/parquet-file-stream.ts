/** `parquetFileStream`: the rows of new Parquet files in a directory, read with the Parquet reader of this library. */
import type { StreamingContext } from '@oxbow/dataflow';
import { readParquet } from '../../parquet/reader.ts';
import type { ParquetField, ParquetSchema, RowOf } from '../../parquet/schema.ts';
import { type DirectoryLocation, FileInputDStream, type FileStreamOptions } from './file-input-dstream.ts';

/** Options of {@link parquetFileStream}. */
export interface ParquetFileStreamOptions extends FileStreamOptions {
  /** Only these columns (default all columns of the schema). */
  readonly columns?: readonly string[];
}

/**
 * Rows of new Parquet files under a location, typed by `schema` (schema evolution as in `readParquet`: a column
 * the file lacks reads as undefined when optional). Only `*.parquet` files are taken unless `filter` says
 * otherwise. A file that does not decode is retried, then skipped (`metrics().skippedFiles`).
 *
 * @example
 * ```ts
 * const schema = defineParquetSchema([{ name: 'ts', type: 'timestamp' }, { name: 'status', type: 'int32' }] as const);
 * const rows = parquetFileStream(ssc, 'hdfs://127.0.0.1:29870/landing/http_logs/', schema);
 * rows.filter((row) => row.status >= 500).count().print();
 * ```
 */
export function parquetFileStream<const Fields extends readonly ParquetField[]>(
  ssc: StreamingContext,
  location: DirectoryLocation,
  schema: ParquetSchema<Fields>,
  options: ParquetFileStreamOptions = {},
): FileInputDStream<RowOf<Fields>> {
  const filter =
    options.filter ??
    ((file) => {
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      return name.endsWith('.parquet') && !name.startsWith('.') && !name.startsWith('_');
    });
  return new FileInputDStream<RowOf<Fields>>(
    ssc,
    location,
    async (fs, file) => {
      const rows: RowOf<Fields>[] = [];
      for await (const row of readParquet(fs, file.path, {
        schema,
        ...(options.columns === undefined ? {} : { columns: options.columns }),
      })) {
        rows.push(row);
      }
      return rows;
    },
    { ...options, filter },
  );
}
