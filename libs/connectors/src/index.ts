/**
 * `@oxbow/connectors`: adapters to the outside world. This entry exposes storage (one FileSystem over
 * `file://`, `s3://` and `hdfs://`) and Parquet I/O.
 */
export {
  CONNECTOR_ERROR_CODES,
  ConnectorError,
  type ConnectorErrorCode,
  type ConnectorErrorOptions,
} from './errors.ts';
export { FAILPOINT_NAMES, type FailpointName, failpoint } from './failpoint.ts';
export * from './kafka/index.ts';
export * from './metrics/index.ts';
export { readParquetColumns } from './parquet/binary-columns-reader.ts';
export { PARQUET_CODEC_NAMES, type ParquetCodec } from './parquet/codecs.ts';
export * from './parquet/columnar.ts';
export {
  type ParquetFileInfo,
  type ReadParquetOptions,
  readParquet,
  readParquetInfo,
  readParquetRows,
} from './parquet/reader.ts';
export {
  defineParquetSchema,
  type InputOf,
  type InputRowOf,
  PARQUET_TYPES,
  type ParquetField,
  type ParquetSchema,
  type ParquetType,
  type RowOf,
  type ValueOf,
} from './parquet/schema.ts';
export {
  ParquetFileWriter,
  type ParquetWriteOptions,
  type ParquetWriteSummary,
  writeParquet,
} from './parquet/writer.ts';
export {
  layoutMismatch,
  readPartitionOffset,
  readTopicOffsets,
  registerPartitions,
  topicPartitions,
} from './redis/realtime-offsets.ts';
export {
  createRedisClient,
  execCommands,
  hgetallBuffers,
  isRedisCluster,
  type RedisClient,
  type RedisClientOptions,
  type RedisCommand,
  type RedisConnectionOptions,
  scanKeys,
  unlinkKeys,
} from './redis/redis-client.ts';
export * from './sources/index.ts';
export * from './sql/index.ts';
export type { ByteSource, CommitStrategy, FileInfo, FileSystem } from './storage/file-system.ts';
export { LocalFileSystem } from './storage/local-file-system.ts';
export { type OpenFileSystemOptions, openFileSystem } from './storage/open-file-system.ts';
export { type RetryPolicy, withRetry } from './storage/retry.ts';
export { parseS3Url, S3FileSystem, type S3Options } from './storage/s3-file-system.ts';
export { WebHdfsFileSystem, type WebHdfsOptions } from './storage/webhdfs-file-system.ts';
export {
  fileSystemCheckpointStore,
  fileSystemCheckpointStores,
} from './streaming/file-system-checkpoint-store.ts';
export {
  createDirectStream,
  DirectKafkaInputDStream,
  type DirectStreamOptions,
  offsetRangesOf,
} from './streaming/kafka-direct-stream.ts';
