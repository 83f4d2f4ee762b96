/**
 * Reads Parquet files through a {@link FileSystem} with hyparquet (chosen in
 * docs/decisions/0003-parquet-library.md), one row group at a time. Small files are fetched in one read;
 * larger ones are read by byte ranges (footer, then column chunks), so s3:// and hdfs:// need no local copy.
 */
import {
  type AsyncBuffer,
  cachedAsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
import { ConnectorError } from '../errors.ts';
import type { FileSystem } from '../storage/file-system.ts';
import { PAGE_DECOMPRESSORS } from './codecs.ts';
import {
  defineParquetSchema,
  type ParquetField,
  type ParquetSchema,
  parquetTypeOf,
  type RowOf,
} from './schema.ts';

/** Options of {@link readParquet}. */
export interface ReadParquetOptions<Fields extends readonly ParquetField[]> {
  /**
   * The schema the caller expects (usually the newest one). Columns it has but the file lacks read as
   * `undefined` when optional (schema evolution) and fail when required; types must match.
   */
  schema?: ParquetSchema<Fields>;
  /** Only these columns (default: all columns of `schema`, or of the file). */
  columns?: readonly string[];
  /** Files up to this size are fetched with one read instead of ranged reads. Default 64 MiB. */
  wholeFileBelowBytes?: number;
}

const DEFAULT_WHOLE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The rows of a Parquet file, row group by row group, as objects keyed by column name.
 *
 * @example
 * for await (const row of readParquet(fs, 'epoch=1/p0.parquet', { schema, columns: ['status'] })) {
 *   counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
 * }
 */
export async function* readParquet<const Fields extends readonly ParquetField[] = readonly ParquetField[]>(
  fs: FileSystem,
  path: string,
  options: ReadParquetOptions<Fields> = {},
): AsyncIterable<RowOf<Fields>> {
  const { file, metadata } = await openParquet(fs, path, options.wholeFileBelowBytes);
  const fileSchema = schemaOfMetadata(metadata, path);
  const wanted = selectColumns(fileSchema, options, path);
  const present = wanted.filter((column) => column.inFile).map((column) => column.name);
  const absent = wanted.filter((column) => !column.inFile).map((column) => column.name);
  let rowStart = 0;
  for (const rowGroup of metadata.row_groups) {
    const rowEnd = rowStart + Number(rowGroup.num_rows);
    let decoded: Record<string, unknown>[];
    try {
      decoded =
        present.length === 0
          ? Array.from({ length: rowEnd - rowStart }, () => ({}))
          : await parquetReadObjects({
              file,
              metadata,
              columns: present,
              rowStart,
              rowEnd,
              compressors: PAGE_DECOMPRESSORS,
            });
    } catch (error) {
      if (ConnectorError.is(error)) throw error;
      throw new ConnectorError('OXBOW_PARQUET_IO', `cannot decode ${path}: ${String(error)}`, {
        cause: error,
      });
    }
    for (const source of decoded) {
      const row: Record<string, unknown> = {};
      for (const name of present) row[name] = source[name] ?? null;
      for (const name of absent) row[name] = undefined;
      yield row as RowOf<Fields>;
    }
    rowStart = rowEnd;
  }
}

/** All rows of a Parquet file in one array (see {@link readParquet}). */
export async function readParquetRows<const Fields extends readonly ParquetField[] = readonly ParquetField[]>(
  fs: FileSystem,
  path: string,
  options: ReadParquetOptions<Fields> = {},
): Promise<RowOf<Fields>[]> {
  const rows: RowOf<Fields>[] = [];
  for await (const row of readParquet(fs, path, options)) rows.push(row);
  return rows;
}

/** What a file's footer says: its schema in Oxbow terms, row count, row groups and codecs. */
export interface ParquetFileInfo {
  readonly schema: ParquetSchema;
  readonly rows: number;
  readonly rowGroups: readonly { readonly rows: number; readonly codecs: readonly string[] }[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** Reads only the footer of a Parquet file. */
export async function readParquetInfo(fs: FileSystem, path: string): Promise<ParquetFileInfo> {
  const { metadata } = await openParquet(fs, path, 0);
  return {
    schema: schemaOfMetadata(metadata, path),
    rows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.map((group) => ({
      rows: Number(group.num_rows),
      codecs: [...new Set(group.columns.map((column) => column.meta_data?.codec ?? 'UNKNOWN'))],
    })),
    metadata: Object.fromEntries(
      (metadata.key_value_metadata ?? []).map(({ key, value }) => [key, value ?? '']),
    ),
  };
}

/** Opens a Parquet file of `fs` for hyparquet: its bytes (whole or by ranges) and its footer. */
export async function openParquet(
  fs: FileSystem,
  path: string,
  wholeFileBelowBytes = DEFAULT_WHOLE_FILE_BYTES,
): Promise<{ file: AsyncBuffer; metadata: FileMetaData }> {
  const { size } = await fs.stat(path);
  let file: AsyncBuffer;
  if (size <= wholeFileBelowBytes) {
    const bytes = await fs.read(path);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    file = { byteLength: buffer.byteLength, slice: (start, end) => buffer.slice(start, end) };
  } else {
    file = cachedAsyncBuffer({
      byteLength: size,
      slice: async (start, end) => {
        const bytes = await fs.readRange(path, start, (end ?? size) - start);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      },
    });
  }
  try {
    return { file, metadata: await parquetMetadataAsync(file) };
  } catch (error) {
    if (ConnectorError.is(error)) throw error;
    throw new ConnectorError('OXBOW_PARQUET_IO', `${path} is not a readable Parquet file: ${String(error)}`, {
      cause: error,
    });
  }
}

/** The flat Oxbow schema of a file; nested or unsupported columns are an error. */
function schemaOfMetadata(metadata: FileMetaData, path: string): ParquetSchema {
  const [root, ...elements] = metadata.schema;
  if (root === undefined || elements.length !== (root.num_children ?? 0)) {
    throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `${path}: nested Parquet schemas are not supported`);
  }
  return defineParquetSchema(
    elements.map((element) => {
      const type = parquetTypeOf(element);
      if (type === undefined) {
        throw new ConnectorError(
          'OXBOW_PARQUET_SCHEMA',
          `${path}: column "${element.name}" has an unsupported type ${element.type}/${element.converted_type ?? '-'}`,
        );
      }
      return { name: element.name, type, optional: element.repetition_type !== 'REQUIRED' };
    }),
  );
}

function selectColumns(
  fileSchema: ParquetSchema,
  options: ReadParquetOptions<readonly ParquetField[]>,
  path: string,
): { name: string; inFile: boolean }[] {
  const inFile = new Map(fileSchema.fields.map((field) => [field.name, field]));
  const expected = options.schema?.fields ?? fileSchema.fields;
  const byName = new Map(expected.map((field) => [field.name, field]));
  const names = options.columns ?? expected.map((field) => field.name);
  return names.map((name) => {
    const field = byName.get(name);
    if (field === undefined) {
      throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `${path}: no column "${name}" in the schema`);
    }
    const actual = inFile.get(name);
    if (actual === undefined) {
      if (!field.optional) {
        throw new ConnectorError(
          'OXBOW_PARQUET_SCHEMA',
          `${path}: required column "${name}" is missing from the file`,
        );
      }
      return { name, inFile: false };
    }
    if (actual.type !== field.type) {
      throw new ConnectorError(
        'OXBOW_PARQUET_SCHEMA',
        `${path}: column "${name}" is ${actual.type} in the file but ${field.type} in the schema`,
      );
    }
    return { name, inFile: true };
  });
}
