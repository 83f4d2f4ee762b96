/**
 * The worker thread of a {@link ParquetEncoder} (parquet-encoder.ts): keeps one hyparquet-writer per open file,
 * encodes each row group it receives (dictionaries, statistics, page compression) into that file's bytes, and
 * hands the whole file back when it is finished. Imports only the Parquet modules, not the package's entry.
 *
 * With a row decoder (a module the encoder names, see {@link RowDecoderModule}), it also decodes raw records:
 * `decode` turns a stream's record bytes into rows kept in that stream's staging queue (answering which records
 * were rejected and why), `take` moves the next staged rows of a stream into a file's column builder (a row group
 * is encoded whenever it is full), `skip` drops staged rows. Messages are handled strictly in order.
 */
import { type MessagePort, parentPort } from 'node:worker_threads';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { PAGE_COMPRESSORS, PARQUET_CODEC_NAMES, type ParquetCodec } from './codecs.ts';
import { type ColumnBatch, ColumnBatchBuilder, columnSourcesOf } from './column-batch.ts';
import { type ParquetSchema, toSchemaElements } from './schema.ts';

/** Where a record to decode comes from. */
export interface RowDecoderMeta {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset (below 2^53). */
  readonly offset: number;
  /** The record's timestamp (ms). */
  readonly timestamp: number;
}

/** Turns raw records into rows and rows into column values, inside an encoder thread. */
export interface RowDecoder {
  /** The row of one record; throws an `Error` whose message says why the record is rejected. */
  decode(bytes: Uint8Array, meta: RowDecoderMeta): unknown;
  /** Pushes a row decoded for `schema`'s files into a column builder (one value per column, then `endRow`). */
  append(builder: ColumnBatchBuilder, row: unknown): void;
}

/** What a row decoder module exports (loaded in each encoder thread with `import()`). */
export interface RowDecoderModule {
  createRowDecoder(init: unknown): RowDecoder | Promise<RowDecoder>;
}

/** Messages to the worker. */
export type EncoderRequest =
  | {
      readonly type: 'open';
      readonly fileId: number;
      readonly schema: ParquetSchema;
      readonly codec: ParquetCodec;
      readonly metadata: Readonly<Record<string, string>>;
      /** Rows per row group for rows taken from staging. */
      readonly rowGroupRows: number;
    }
  | { readonly type: 'rowGroup'; readonly fileId: number; readonly batch: ColumnBatch }
  | { readonly type: 'finish'; readonly fileId: number }
  | { readonly type: 'abort'; readonly fileId: number }
  | { readonly type: 'decoder'; readonly module: string; readonly init: unknown }
  | {
      readonly type: 'decode';
      readonly requestId: number;
      readonly topic: string;
      readonly partition: number;
      /** The records' bytes back to back; record `i` ends at `ends[i]`. */
      readonly values: Uint8Array;
      readonly ends: Uint32Array;
      readonly offsets: Float64Array;
      readonly timestamps: Float64Array;
    }
  | { readonly type: 'take'; readonly fileId: number; readonly stream: string; readonly count: number }
  | { readonly type: 'skip'; readonly stream: string; readonly count: number }
  | { readonly type: 'ping'; readonly requestId: number };

/** Messages from the worker: one `encoded` per row group, then `finished` or `failed` for the file. */
export type EncoderReply =
  | { readonly type: 'encoded'; readonly fileId: number; readonly rows: number }
  | {
      readonly type: 'finished';
      readonly fileId: number;
      readonly bytes: Uint8Array;
      readonly rows: number;
      readonly rowGroups: number;
    }
  | { readonly type: 'failed'; readonly fileId: number; readonly message: string }
  | {
      readonly type: 'decoded';
      readonly requestId: number;
      /** Indices of the rejected records, ascending, and each one's reason. */
      readonly rejected: Int32Array;
      readonly reasons: readonly string[];
      /** Set when the whole request failed (no decoder, a bug): every record is then unusable. */
      readonly error?: string;
    }
  /** The answer to `ping`: every message before it is handled (the decoder is loaded, or failed to). */
  | { readonly type: 'pong'; readonly requestId: number; readonly error?: string };

interface OpenFile {
  readonly schema: ParquetSchema;
  readonly bytes: ByteWriter;
  readonly writer: ParquetWriter;
  rows: number;
  rowGroups: number;
  error: string | undefined;
  /** Rows taken from a staging queue, encoded as a row group at `rowGroupRows`. */
  builder: ColumnBatchBuilder | undefined;
  readonly rowGroupRows: number;
}

/** Decoded rows of one stream not yet taken into a file. */
interface Staging {
  rows: unknown[];
  head: number;
}

if (!parentPort) throw new Error('encoder-worker.ts runs as a worker thread');
const port: MessagePort = parentPort;
const files = new Map<number, OpenFile>();
const staging = new Map<string, Staging>();
let decoder: Promise<RowDecoder> | undefined;
/** Messages are handled one after another, also across the asynchronous decoder load. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: EncoderRequest) => {
  queue = queue
    .then(() => handle(request))
    .catch((error: unknown) => {
      // A bug in the handler: fail loudly rather than leave the encoder waiting forever.
      setImmediate(() => {
        throw error;
      });
    });
});

function writeRowGroup(file: OpenFile, batch: ColumnBatch): void {
  if (file.error !== undefined || batch.rows === 0) return;
  try {
    const columnData = columnSourcesOf(file.schema, batch) as Parameters<
      ParquetWriter['write']
    >[0]['columnData'];
    file.writer.write({ columnData, rowGroupSize: batch.rows });
    file.rows += batch.rows;
    file.rowGroups++;
  } catch (error) {
    file.error = error instanceof Error ? error.message : String(error);
  }
}

async function decode(request: Extract<EncoderRequest, { type: 'decode' }>): Promise<void> {
  const stream = `${request.topic}:${request.partition}`;
  const rejected: number[] = [];
  const reasons: string[] = [];
  if (!decoder) {
    port.postMessage({
      type: 'decoded',
      requestId: request.requestId,
      rejected: new Int32Array(0),
      reasons: [],
      error: 'the encoder has no row decoder',
    } satisfies EncoderReply);
    return;
  }
  const rowDecoder = await decoder;
  let queued = staging.get(stream);
  if (!queued) {
    queued = { rows: [], head: 0 };
    staging.set(stream, queued);
  }
  const { values, ends, offsets, timestamps } = request;
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    try {
      const row = rowDecoder.decode(values.subarray(start, end), {
        topic: request.topic,
        partition: request.partition,
        offset: offsets[i] as number,
        timestamp: timestamps[i] as number,
      });
      queued.rows.push(row);
    } catch (error) {
      rejected.push(i);
      reasons.push(error instanceof Error ? error.message : String(error));
    }
    start = end;
  }
  port.postMessage({
    type: 'decoded',
    requestId: request.requestId,
    rejected: Int32Array.from(rejected),
    reasons,
  } satisfies EncoderReply);
}

async function take(request: Extract<EncoderRequest, { type: 'take' }>): Promise<void> {
  const file = files.get(request.fileId);
  const queued = staging.get(request.stream);
  const available = queued ? queued.rows.length - queued.head : 0;
  const count = Math.min(request.count, available);
  if (file && queued && decoder && file.error === undefined) {
    const rowDecoder = await decoder;
    file.builder ??= new ColumnBatchBuilder(file.schema, Math.min(file.rowGroupRows, 4096));
    const builder = file.builder;
    try {
      for (let i = 0; i < count; i++) {
        rowDecoder.append(builder, queued.rows[queued.head + i]);
        if (builder.rows >= file.rowGroupRows) writeRowGroup(file, builder.take());
      }
    } catch (error) {
      file.error = error instanceof Error ? error.message : String(error);
    }
  }
  if (file && count < request.count)
    file.error ??= `took ${request.count} rows of ${request.stream}, ${available} were staged`;
  advance(request.stream, count);
}

function advance(stream: string, count: number): void {
  const queued = staging.get(stream);
  if (!queued) return;
  queued.head += count;
  if (queued.head >= queued.rows.length) staging.delete(stream);
  else if (queued.head > 4096 && queued.head * 2 > queued.rows.length) {
    queued.rows = queued.rows.slice(queued.head);
    queued.head = 0;
  }
}

async function handle(request: EncoderRequest): Promise<void> {
  switch (request.type) {
    case 'decoder': {
      const loading = (async () => {
        const module = (await import(request.module)) as RowDecoderModule;
        return module.createRowDecoder(request.init);
      })();
      loading.catch(() => {}); // reported to each decode request
      decoder = loading;
      await loading.catch(() => {});
      return;
    }
    case 'decode':
      try {
        await decode(request);
      } catch (error) {
        port.postMessage({
          type: 'decoded',
          requestId: request.requestId,
          rejected: new Int32Array(0),
          reasons: [],
          error: error instanceof Error ? error.message : String(error),
        } satisfies EncoderReply);
      }
      return;
    case 'take':
      await take(request);
      return;
    case 'skip':
      advance(request.stream, request.count);
      return;
    case 'ping': {
      const failure = decoder
        ? await decoder.then(
            () => undefined,
            (error: unknown) => String(error),
          )
        : undefined;
      port.postMessage({
        type: 'pong',
        requestId: request.requestId,
        ...(failure === undefined ? {} : { error: failure }),
      } satisfies EncoderReply);
      return;
    }
    case 'open': {
      const bytes = new ByteWriter(1 << 20);
      files.set(request.fileId, {
        schema: request.schema,
        bytes,
        writer: new ParquetWriter({
          writer: bytes,
          schema: toSchemaElements(request.schema),
          codec: PARQUET_CODEC_NAMES[request.codec],
          compressors: PAGE_COMPRESSORS,
          createdBy: 'oxbow (hyparquet-writer)',
          kvMetadata: Object.entries(request.metadata).map(([key, value]) => ({ key, value })),
        }),
        rows: 0,
        rowGroups: 0,
        error: undefined,
        builder: undefined,
        rowGroupRows: request.rowGroupRows,
      });
      return;
    }
    case 'rowGroup': {
      const file = files.get(request.fileId);
      if (file) writeRowGroup(file, request.batch);
      port.postMessage({
        type: 'encoded',
        fileId: request.fileId,
        rows: request.batch.rows,
      } satisfies EncoderReply);
      return;
    }
    case 'finish': {
      const file = files.get(request.fileId);
      files.delete(request.fileId);
      if (!file || file.error !== undefined) {
        const message = file?.error ?? `no open file ${request.fileId}`;
        port.postMessage({ type: 'failed', fileId: request.fileId, message } satisfies EncoderReply);
        return;
      }
      try {
        if (file.builder && file.builder.rows > 0) writeRowGroup(file, file.builder.take());
        if (file.error !== undefined) throw new Error(file.error);
        file.writer.finish();
        const bytes = new Uint8Array(file.bytes.getBuffer());
        const reply: EncoderReply = {
          type: 'finished',
          fileId: request.fileId,
          bytes,
          rows: file.rows,
          rowGroups: file.rowGroups,
        };
        port.postMessage(reply, [bytes.buffer]);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        port.postMessage({ type: 'failed', fileId: request.fileId, message } satisfies EncoderReply);
      }
      return;
    }
    case 'abort':
      files.delete(request.fileId);
      return;
  }
}
