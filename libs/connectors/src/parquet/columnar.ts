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
export {
  type EncodedParquetFile,
  EncodingParquetFile,
  ParquetEncoder,
  type ParquetEncoderOptions,
} from './parquet-encoder.ts';
