/**
 * The worker thread of a {@link ParquetEncoder} (parquet-encoder.ts): keeps one hyparquet-writer per open file,
 * encodes each row group it receives (dictionaries, statistics, page compression) into that file's bytes, and
 * hands the whole file back when it is finished. Imports only the Parquet modules, not the package's entry.
 */
import { parentPort } from 'node:worker_threads';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { PAGE_COMPRESSORS, PARQUET_CODEC_NAMES, type ParquetCodec } from './codecs.ts';
import { type ColumnBatch, columnSourcesOf } from './column-batch.ts';
import { type ParquetSchema, toSchemaElements } from './schema.ts';

/** Messages to the worker. */
export type EncoderRequest =
  | {
      readonly type: 'open';
      readonly fileId: number;
      readonly schema: ParquetSchema;
      readonly codec: ParquetCodec;
      readonly metadata: Readonly<Record<string, string>>;
    }
  | { readonly type: 'rowGroup'; readonly fileId: number; readonly batch: ColumnBatch }
  | { readonly type: 'finish'; readonly fileId: number }
  | { readonly type: 'abort'; readonly fileId: number };

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
  | { readonly type: 'failed'; readonly fileId: number; readonly message: string };

interface OpenFile {
  readonly schema: ParquetSchema;
  readonly bytes: ByteWriter;
  readonly writer: ParquetWriter;
  rows: number;
  rowGroups: number;
  error: string | undefined;
}

const port = parentPort;
if (!port) throw new Error('encoder-worker.ts runs as a worker thread');
const files = new Map<number, OpenFile>();

port.on('message', (request: EncoderRequest) => {
  switch (request.type) {
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
      });
      return;
    }
    case 'rowGroup': {
      const file = files.get(request.fileId);
      if (file && file.error === undefined && request.batch.rows > 0) {
        try {
          const columnData = columnSourcesOf(file.schema, request.batch) as Parameters<
            ParquetWriter['write']
          >[0]['columnData'];
          file.writer.write({ columnData, rowGroupSize: request.batch.rows });
          file.rows += request.batch.rows;
          file.rowGroups++;
        } catch (error) {
          file.error = error instanceof Error ? error.message : String(error);
        }
      }
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
});
