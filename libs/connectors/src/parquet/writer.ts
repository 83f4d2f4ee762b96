/**
 * Writes Parquet files through a {@link FileSystem} with hyparquet-writer (chosen in
 * docs/decisions/0003-parquet-library.md): rows are buffered into row groups, each encoded row group is
 * streamed to the file system at once, and the file appears atomically when the writer is closed.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { ConnectorError } from '../errors.ts';
import type { FileSystem } from '../storage/file-system.ts';
import { PAGE_COMPRESSORS, PARQUET_CODEC_NAMES, type ParquetCodec } from './codecs.ts';
import {
  encodeColumn,
  type InputRowOf,
  type ParquetField,
  type ParquetSchema,
  toSchemaElements,
} from './schema.ts';

/** Options of a Parquet writer. */
export interface ParquetWriteOptions {
  /** Page compression. Default `zstd` (smallest files, as fast as snappy here; see decision 0003). */
  codec?: ParquetCodec;
  /** Rows per row group. Default 100 000 (a few MiB of master-dataset rows). */
  rowGroupRows?: number;
  /** Key/value metadata stored in the footer. */
  metadata?: Readonly<Record<string, string>>;
}

/** What a finished write produced. */
export interface ParquetWriteSummary {
  readonly rows: number;
  readonly rowGroups: number;
  readonly bytes: number;
}

const DEFAULT_ROW_GROUP_ROWS = 100_000;

/** A ByteWriter that hands its bytes to a stream after every row group instead of keeping them. */
class StreamingByteWriter extends ByteWriter {
  readonly #sink: PassThrough;
  readonly #failed: Promise<never>;

  constructor(sink: PassThrough, failed: Promise<never>) {
    super(1 << 20);
    this.#sink = sink;
    this.#failed = failed;
  }

  async flush(): Promise<void> {
    if (this.index === 0) return;
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    if (!this.#sink.write(chunk)) await Promise.race([once(this.#sink, 'drain'), this.#failed]);
  }

  override async finish(): Promise<void> {
    await this.flush();
    this.#sink.end();
  }
}

/**
 * A Parquet file being written: append rows with {@link ParquetFileWriter.write}, then
 * {@link ParquetFileWriter.close} (the file becomes visible) or {@link ParquetFileWriter.abort}.
 *
 * @example
 * const writer = ParquetFileWriter.open(fs, 'epoch=1/p0.parquet', schema, { codec: 'zstd' });
 * await writer.write(rows);
 * const { rows: count } = await writer.close();
 */
export class ParquetFileWriter<Fields extends readonly ParquetField[]> {
  readonly #schema: ParquetSchema<Fields>;
  readonly #rowGroupRows: number;
  readonly #sink: PassThrough;
  readonly #uploaded: Promise<void>;
  readonly #encoder: ParquetWriter;
  readonly #bytes: StreamingByteWriter;
  #pending: InputRowOf<Fields>[] = [];
  #rows = 0;
  #rowGroups = 0;
  #state: 'open' | 'closed' | 'aborted' = 'open';

  private constructor(
    fs: FileSystem,
    path: string,
    schema: ParquetSchema<Fields>,
    options: ParquetWriteOptions,
  ) {
    const rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) {
      throw new ConnectorError(
        'OXBOW_PARQUET_SCHEMA',
        `rowGroupRows must be a positive integer, got ${rowGroupRows}`,
      );
    }
    const codec = options.codec ?? 'zstd';
    if (!(codec in PARQUET_CODEC_NAMES)) {
      throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `unknown codec "${codec}"`);
    }
    this.#schema = schema;
    this.#rowGroupRows = rowGroupRows;
    this.#sink = new PassThrough({ highWaterMark: 4 << 20 });
    // A destroyed sink reaches the caller through the rejected upload; the event itself needs no listener.
    this.#sink.on('error', () => {});
    this.#uploaded = fs.writeAtomic(path, this.#sink);
    // Surfaces an upload failure to a writer blocked on backpressure; handled so it never goes unhandled.
    const failed = this.#uploaded.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => Promise.reject(error),
    );
    failed.catch(() => {});
    this.#bytes = new StreamingByteWriter(this.#sink, failed);
    this.#encoder = new ParquetWriter({
      writer: this.#bytes,
      schema: toSchemaElements(schema),
      codec: PARQUET_CODEC_NAMES[codec],
      compressors: PAGE_COMPRESSORS,
      createdBy: 'oxbow (hyparquet-writer)',
      kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  /** Starts writing `path` on `fs`; nothing is visible at `path` until {@link ParquetFileWriter.close}. */
  static open<const Fields extends readonly ParquetField[]>(
    fs: FileSystem,
    path: string,
    schema: ParquetSchema<Fields>,
    options: ParquetWriteOptions = {},
  ): ParquetFileWriter<Fields> {
    return new ParquetFileWriter(fs, path, schema, options);
  }

  /** Appends rows; every full row group is encoded and streamed out before this resolves. */
  async write(rows: Iterable<InputRowOf<Fields>>): Promise<void> {
    this.#checkOpen();
    try {
      for (const row of rows) {
        this.#pending.push(row);
        if (this.#pending.length >= this.#rowGroupRows) await this.#writeRowGroup();
      }
    } catch (error) {
      await this.abort(error);
      throw error;
    }
  }

  /** Writes the last row group and the footer, and waits until the file is in place. */
  async close(): Promise<ParquetWriteSummary> {
    this.#checkOpen();
    try {
      if (this.#pending.length > 0) await this.#writeRowGroup();
      await this.#encoder.finish();
      this.#state = 'closed';
      await this.#uploaded;
    } catch (error) {
      await this.abort(error);
      throw wrapIo(error, 'cannot finish Parquet file');
    }
    return { rows: this.#rows, rowGroups: this.#rowGroups, bytes: this.#bytes.offset };
  }

  /** Gives up: nothing appears at the path and temporary data is removed where the backend allows. */
  async abort(reason?: unknown): Promise<void> {
    if (this.#state === 'aborted') return;
    this.#state = 'aborted';
    this.#sink.destroy(reason instanceof Error ? reason : new Error('Parquet write aborted'));
    await this.#uploaded.catch(() => {});
  }

  async #writeRowGroup(): Promise<void> {
    const rows = this.#pending;
    this.#pending = [];
    const columnData = this.#schema.fields.map((field) => ({
      name: field.name,
      data: encodeColumn(
        field,
        rows.map((row) => (row as Record<string, unknown>)[field.name]),
      ) as Parameters<ParquetWriter['write']>[0]['columnData'][number]['data'],
    }));
    await this.#encoder.write({ columnData, rowGroupSize: rows.length });
    this.#rows += rows.length;
    this.#rowGroups++;
  }

  #checkOpen(): void {
    if (this.#state !== 'open') {
      throw new ConnectorError('OXBOW_PARQUET_IO', `the Parquet writer is already ${this.#state}`);
    }
  }
}

/**
 * Writes all `rows` to a new Parquet file at `path`, atomically.
 *
 * @example
 * await writeParquet(fs, 'epoch=1/p0-0-99.parquet', schema, rows, { codec: 'zstd', rowGroupRows: 50_000 });
 */
export async function writeParquet<const Fields extends readonly ParquetField[]>(
  fs: FileSystem,
  path: string,
  schema: ParquetSchema<Fields>,
  rows: Iterable<InputRowOf<Fields>> | AsyncIterable<InputRowOf<Fields>>,
  options: ParquetWriteOptions = {},
): Promise<ParquetWriteSummary> {
  const writer = ParquetFileWriter.open(fs, path, schema, options);
  if (Symbol.asyncIterator in rows) {
    let batch: InputRowOf<Fields>[] = [];
    try {
      for await (const row of rows) {
        batch.push(row);
        if (batch.length >= 10_000) {
          await writer.write(batch);
          batch = [];
        }
      }
    } catch (error) {
      await writer.abort(error);
      throw error;
    }
    await writer.write(batch);
  } else {
    await writer.write(rows);
  }
  return writer.close();
}

function wrapIo(error: unknown, message: string): unknown {
  if (ConnectorError.is(error)) return error;
  return new ConnectorError('OXBOW_PARQUET_IO', `${message}: ${String(error)}`, { cause: error });
}
