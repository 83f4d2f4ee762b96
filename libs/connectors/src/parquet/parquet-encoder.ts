/**
 * Parquet encoding off the calling thread: a {@link ParquetEncoder} owns worker threads that keep one
 * hyparquet-writer per open file; the caller appends rows into {@link ColumnBatchBuilder}s and sends each full
 * row group, whose buffers are transferred (not copied), and gets the finished file's bytes back to publish
 * with `FileSystem.putAtomic`. The caller's thread only builds columns; dictionaries, statistics and zstd run in
 * the workers, overlapping with whatever the caller does next.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConnectorError } from '../errors.ts';
import type { ParquetCodec } from './codecs.ts';
import { type ColumnBatch, ColumnBatchBuilder, transferListOf } from './column-batch.ts';
import type { EncoderReply, EncoderRequest } from './encoder-worker.ts';
import type { ParquetSchema } from './schema.ts';

const WORKER_URL = new URL('./encoder-worker.ts', import.meta.url);

/** Options of a {@link ParquetEncoder}. */
export interface ParquetEncoderOptions {
  /** Worker threads. Default 1 (on two cores: the caller's thread and one encoder). */
  readonly threads?: number;
  /**
   * A row decoder for {@link ParquetEncoder.decode}: a module exporting `createRowDecoder(init)` (see
   * `RowDecoderModule`), loaded in every encoder thread, and the `init` it gets (structured-cloned).
   */
  readonly decoder?: { readonly module: URL; readonly init: unknown };
}

/** Raw records of one stream (a topic partition) for {@link ParquetEncoder.decode}, in offset order. */
export interface RawRecordsToDecode {
  readonly topic: string;
  readonly partition: number;
  /** Each record's bytes (a tombstone as an empty buffer). */
  readonly values: readonly Uint8Array[];
  /** Each record's offset (below 2^53). */
  readonly offsets: readonly number[];
  readonly timestamps: readonly number[];
}

/** The rejected records of a {@link ParquetEncoder.decode} (indices into its records) and their reasons. */
export interface DecodeVerdicts {
  readonly rejected: Int32Array;
  readonly reasons: readonly string[];
}

/** A finished file: its bytes, ready for `putAtomic`. */
export interface EncodedParquetFile {
  readonly bytes: Uint8Array;
  readonly rows: number;
  readonly rowGroups: number;
}

interface EncoderThread {
  readonly worker: Worker;
  /** Row groups sent and not yet encoded. */
  queued: number;
  readonly files: Map<number, FileCallbacks>;
  readonly decodes: Map<number, { resolve(verdicts: DecodeVerdicts): void; reject(error: Error): void }>;
  readonly pings: Map<number, { resolve(): void; reject(error: Error): void }>;
}

interface FileCallbacks {
  resolve(file: EncodedParquetFile): void;
  reject(error: Error): void;
  finishing: boolean;
}

/**
 * A Parquet file being encoded in a worker: send row groups with {@link EncodingParquetFile.writeRowGroup}, then
 * {@link EncodingParquetFile.finish} for the bytes (or {@link EncodingParquetFile.abort}).
 */
export class EncodingParquetFile {
  readonly schema: ParquetSchema;
  private readonly encoder: ParquetEncoder;
  private readonly thread: EncoderThread;
  private readonly fileId: number;
  private readonly done: Promise<EncodedParquetFile>;
  private readonly callbacks: FileCallbacks;
  private state: 'open' | 'finishing' | 'aborted' = 'open';
  private sentRows = 0;

  /** @internal Created by {@link ParquetEncoder.open}. */
  constructor(encoder: ParquetEncoder, thread: EncoderThread, fileId: number, schema: ParquetSchema) {
    this.encoder = encoder;
    this.thread = thread;
    this.fileId = fileId;
    this.schema = schema;
    let callbacks: FileCallbacks | undefined;
    this.done = new Promise<EncodedParquetFile>((resolve, reject) => {
      callbacks = { resolve, reject, finishing: false };
    });
    this.done.catch(() => {}); // observed through finish(); an aborted file's rejection is nobody's concern
    this.callbacks = callbacks as FileCallbacks;
    thread.files.set(fileId, this.callbacks);
    thread.worker.ref(); // keeps the process alive while a file is open; unref'd again once none is
  }

  /** Rows sent so far. */
  get rows(): number {
    return this.sentRows;
  }

  /**
   * Moves the next `count` rows decoded for `stream` (`topic:partition`, see {@link ParquetEncoder.decode}) into
   * this file; a row group is encoded whenever `rowGroupRows` rows are in. The file must have been opened with
   * the stream's affinity, so that both live in the same thread.
   */
  take(stream: string, count: number): void {
    if (this.state !== 'open') {
      throw new ConnectorError('OXBOW_PARQUET_IO', `the Parquet file is already ${this.state}`);
    }
    if (count <= 0) return;
    this.sentRows += count;
    this.encoder.post(this.thread, { type: 'take', fileId: this.fileId, stream, count });
  }

  /** Sends one row group (its buffers are transferred: do not use `batch` afterwards). */
  writeRowGroup(batch: ColumnBatch): void {
    if (this.state !== 'open') {
      throw new ConnectorError('OXBOW_PARQUET_IO', `the Parquet file is already ${this.state}`);
    }
    if (batch.rows === 0) return;
    this.sentRows += batch.rows;
    this.thread.queued++;
    this.encoder.post(this.thread, { type: 'rowGroup', fileId: this.fileId, batch }, transferListOf(batch));
  }

  /** Writes the footer; resolves with the file's bytes once every row group is encoded. */
  finish(): Promise<EncodedParquetFile> {
    if (this.state === 'open') {
      this.state = 'finishing';
      this.callbacks.finishing = true;
      this.encoder.post(this.thread, { type: 'finish', fileId: this.fileId });
    }
    return this.done;
  }

  /** Drops the file in the worker. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.thread.files.delete(this.fileId);
    if (this.thread.files.size === 0) this.thread.worker.unref();
    this.encoder.post(this.thread, { type: 'abort', fileId: this.fileId });
    this.callbacks.reject(new ConnectorError('OXBOW_PARQUET_IO', 'the Parquet file was aborted'));
  }
}

/**
 * Encodes Parquet files in worker threads.
 *
 * @example
 * const encoder = new ParquetEncoder();
 * const file = encoder.open(schema, { codec: 'zstd' });
 * const builder = encoder.builder(schema, 50_000);
 * for (const row of rows) builder.append(row);
 * file.writeRowGroup(builder.take());
 * await encoder.drained(8); // backpressure: at most 8 row groups queued
 * const { bytes } = await file.finish();
 * await lake.putAtomic('epoch=1/part-0-0-99.parquet', bytes);
 * await encoder.close();
 */
export class ParquetEncoder {
  private readonly size: number;
  private readonly threads: EncoderThread[] = [];
  private readonly drainWaiters: Array<{ max: number; resolve: () => void }> = [];
  private nextFileId = 1;
  private nextRequestId = 1;
  /** Which thread each stream (`topic:partition`) lives on. */
  private readonly streamThreads = new Map<string, number>();
  private readonly decoder: { readonly module: URL; readonly init: unknown } | undefined;
  private nextThread = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(options: ParquetEncoderOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > Math.max(1, availableParallelism() * 2)) {
      throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `threads must be an integer ≥ 1, got ${threads}`);
    }
    this.size = threads;
    this.decoder = options.decoder;
  }

  /** A column builder for `schema` (sized for `rowGroupRows`). */
  builder(schema: ParquetSchema, rowGroupRows: number): ColumnBatchBuilder {
    return new ColumnBatchBuilder(schema, rowGroupRows);
  }

  /**
   * Starts a file: on the thread of `affinity` (a stream, `topic:partition`) when given, else the next thread
   * (round robin). `rowGroupRows` sizes the row groups of rows the file takes from decoded streams.
   */
  open(
    schema: ParquetSchema,
    options: {
      codec?: ParquetCodec;
      metadata?: Readonly<Record<string, string>>;
      affinity?: string;
      rowGroupRows?: number;
    } = {},
  ): EncodingParquetFile {
    if (this.closed) throw new ConnectorError('OXBOW_PARQUET_IO', 'the Parquet encoder is closed');
    if (this.failure) throw this.failure;
    const thread = options.affinity === undefined ? this.thread() : this.threadOf(options.affinity);
    const fileId = this.nextFileId++;
    this.post(thread, {
      type: 'open',
      fileId,
      schema: { fields: schema.fields.map((field) => ({ ...field })) },
      codec: options.codec ?? 'zstd',
      metadata: options.metadata ?? {},
      rowGroupRows: options.rowGroupRows ?? 100_000,
    });
    return new EncodingParquetFile(this, thread, fileId, schema);
  }

  /**
   * Decodes raw records with the row decoder in the stream's thread: the rows stay there, staged in offset order
   * for files to {@link EncodingParquetFile.take}; resolves with the records the decoder rejected. The bytes are
   * copied once into a transferred buffer.
   */
  decode(records: RawRecordsToDecode): Promise<DecodeVerdicts> {
    if (this.closed)
      return Promise.reject(new ConnectorError('OXBOW_PARQUET_IO', 'the Parquet encoder is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const stream = `${records.topic}:${records.partition}`;
    const thread = this.threadOf(stream);
    const count = records.values.length;
    let total = 0;
    for (const value of records.values) total += value.length;
    const values = new Uint8Array(total);
    const ends = new Uint32Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const value = records.values[i] as Uint8Array;
      values.set(value, at);
      at += value.length;
      ends[i] = at;
    }
    const offsets = Float64Array.from(records.offsets);
    const timestamps = Float64Array.from(records.timestamps);
    const requestId = this.nextRequestId++;
    return new Promise<DecodeVerdicts>((resolve, reject) => {
      thread.decodes.set(requestId, { resolve, reject });
      thread.worker.ref();
      this.post(
        thread,
        {
          type: 'decode',
          requestId,
          topic: records.topic,
          partition: records.partition,
          values,
          ends,
          offsets,
          timestamps,
        },
        [values.buffer, ends.buffer, offsets.buffer, timestamps.buffer],
      );
    });
  }

  /**
   * Starts every thread and resolves once each is ready (its row decoder loaded): start-up work done before the
   * first records arrive instead of with them. Rejects if a decoder cannot be loaded.
   */
  async ready(): Promise<void> {
    if (this.closed) throw new ConnectorError('OXBOW_PARQUET_IO', 'the Parquet encoder is closed');
    while (this.threads.length < this.size) this.spawn();
    await Promise.all(
      this.threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            const requestId = this.nextRequestId++;
            thread.pings.set(requestId, { resolve, reject });
            this.post(thread, { type: 'ping', requestId });
          }),
      ),
    );
  }

  /** Drops the next `count` rows decoded for `stream` (records that will not be archived after all). */
  skip(stream: string, count: number): void {
    if (count <= 0 || this.closed || this.failure) return;
    this.post(this.threadOf(stream), { type: 'skip', stream, count });
  }

  /** Row groups sent to the workers and not yet encoded. */
  get queuedRowGroups(): number {
    return this.threads.reduce((sum, thread) => sum + thread.queued, 0);
  }

  /** Resolves once at most `max` row groups wait to be encoded (immediately if already so). */
  drained(max: number): Promise<void> {
    if (this.queuedRowGroups <= max || this.failure || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ max, resolve }));
  }

  /** Terminates the workers; unfinished files fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new ConnectorError('OXBOW_PARQUET_IO', 'the Parquet encoder was closed');
    for (const thread of this.threads) {
      for (const callbacks of thread.files.values()) callbacks.reject(error);
      thread.files.clear();
      for (const waiter of thread.decodes.values()) waiter.reject(error);
      thread.decodes.clear();
      for (const waiter of thread.pings.values()) waiter.reject(error);
      thread.pings.clear();
    }
    this.wakeDrainWaiters();
    await Promise.all(this.threads.splice(0).map((thread) => thread.worker.terminate()));
  }

  /** @internal */
  post(thread: EncoderThread, request: EncoderRequest, transfer: ArrayBuffer[] = []): void {
    thread.worker.postMessage(request, transfer);
  }

  private thread(): EncoderThread {
    if (this.threads.length < this.size) return this.spawn();
    const thread = this.threads[this.nextThread % this.threads.length] as EncoderThread;
    this.nextThread++;
    return thread;
  }

  /** The thread a stream lives on: streams are spread over the threads in the order they first appear. */
  private threadOf(stream: string): EncoderThread {
    while (this.threads.length < this.size) this.spawn();
    let index = this.streamThreads.get(stream);
    if (index === undefined) {
      index = this.streamThreads.size % this.threads.length;
      this.streamThreads.set(stream, index);
    }
    return this.threads[index % this.threads.length] as EncoderThread;
  }

  private spawn(): EncoderThread {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const thread: EncoderThread = {
      worker,
      queued: 0,
      files: new Map(),
      decodes: new Map(),
      pings: new Map(),
    };
    if (this.decoder) {
      worker.postMessage({ type: 'decoder', module: this.decoder.module.href, init: this.decoder.init });
    }
    worker.on('message', (reply: EncoderReply) => {
      if (reply.type === 'encoded') {
        thread.queued--;
        this.wakeDrainWaiters();
        return;
      }
      if (reply.type === 'pong') {
        const waiter = thread.pings.get(reply.requestId);
        thread.pings.delete(reply.requestId);
        if (reply.error === undefined) waiter?.resolve();
        else
          waiter?.reject(
            new ConnectorError('OXBOW_PARQUET_IO', `the row decoder failed to load: ${reply.error}`),
          );
        return;
      }
      if (reply.type === 'decoded') {
        const waiter = thread.decodes.get(reply.requestId);
        thread.decodes.delete(reply.requestId);
        if (thread.files.size === 0 && thread.decodes.size === 0) worker.unref();
        if (!waiter) return;
        if (reply.error !== undefined) {
          waiter.reject(new ConnectorError('OXBOW_PARQUET_IO', `decoding failed: ${reply.error}`));
        } else {
          waiter.resolve({ rejected: reply.rejected, reasons: reply.reasons });
        }
        return;
      }
      const callbacks = thread.files.get(reply.fileId);
      thread.files.delete(reply.fileId);
      if (thread.files.size === 0 && thread.decodes.size === 0) worker.unref();
      if (!callbacks) return;
      if (reply.type === 'finished') {
        callbacks.resolve({ bytes: reply.bytes, rows: reply.rows, rowGroups: reply.rowGroups });
      } else {
        callbacks.reject(new ConnectorError('OXBOW_PARQUET_IO', `Parquet encoding failed: ${reply.message}`));
      }
    });
    const onDeath = (cause: Error | number): void => {
      if (this.closed) return;
      const index = this.threads.indexOf(thread);
      if (index < 0) return;
      this.threads.splice(index, 1);
      this.failure = new ConnectorError(
        'OXBOW_PARQUET_IO',
        `a Parquet encoder thread died: ${cause instanceof Error ? cause.message : `exit ${cause}`}`,
        { cause },
      );
      for (const callbacks of thread.files.values()) callbacks.reject(this.failure);
      thread.files.clear();
      for (const waiter of thread.decodes.values()) waiter.reject(this.failure);
      thread.decodes.clear();
      for (const waiter of thread.pings.values()) waiter.reject(this.failure);
      thread.pings.clear();
      thread.queued = 0;
      this.wakeDrainWaiters();
    };
    worker.on('error', onDeath);
    worker.on('exit', onDeath);
    this.threads.push(thread);
    return thread;
  }

  private wakeDrainWaiters(): void {
    const queued = this.queuedRowGroups;
    for (let i = this.drainWaiters.length - 1; i >= 0; i--) {
      const waiter = this.drainWaiters[i];
      if (!waiter) continue;
      if (queued <= waiter.max || this.failure || this.closed) {
        this.drainWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
