/**
 * Columnar Parquet writing: column builders and the worker-thread encoder (see parquet-encoder.ts).
 */
export {
  type ColumnBatch,
  ColumnBatchBuilder,
  type ColumnBuilder,
  type ColumnVector,
  columnSourcesOf,
  transferListOf,
} from './column-batch.ts';
export type { RowDecoder, RowDecoderMeta, RowDecoderModule } from './encoder-worker.ts';
export {
  type DecodeVerdicts,
  type EncodedParquetFile,
  EncodingParquetFile,
  ParquetEncoder,
  type ParquetEncoderOptions,
  type RawRecordsToDecode,
} from './parquet-encoder.ts';
