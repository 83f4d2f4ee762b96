/**
 * The Kafka side of the speed layer's direct stream: a driver-side pull source that cuts contiguous offset ranges
 * per partition, never auto-commits, hands partitions over cleanly on rebalances, rate-limits with an optional PID
 * backpressure estimator and dead-letters records that fail to deserialize. See README.md.
 */
export { type BatchLimitInputs, maxRecordsPerPartition } from './batch-limits.ts';
export {
  DEAD_LETTER_ERROR_HEADER,
  DEAD_LETTER_HEADROOM_BYTES,
  DEAD_LETTER_SOURCE_HEADERS,
  DEAD_LETTER_TRUNCATION_HEADERS,
  type DeadLetterSizing,
  deadLetterMessage,
  deadLetterReason,
  deadLetterSends,
  deadLetterTopicMaxBytes,
  encodedRecordBytes,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  RECORD_BATCH_OVERHEAD_BYTES,
} from './dead-letter.ts';
export { DEFAULT_DEAD_LETTER_TOPIC, KafkaDirectSource, RejectedRecord } from './kafka-direct-source.ts';
export {
  KAFKA_SOURCE_ERROR_CODES,
  KafkaSourceError,
  type KafkaSourceErrorCode,
} from './kafka-source-error.ts';
export {
  compareOffsets,
  formatOffset,
  type Offset,
  type OffsetRange,
  offsetRangeSize,
  parseOffset,
  partitionKey,
} from './offsets.ts';
export { PidRateEstimator, type PidRateEstimatorOptions } from './pid-rate-estimator.ts';
export {
  DEAD_LETTER_NOTE_REASON_LENGTH,
  type DeadLetterNote,
  newestDeadLetters,
  RECENT_DEAD_LETTERS,
  RecentDeadLetters,
  shortReason,
} from './recent-dead-letters.ts';
export type {
  BatchCompletionStats,
  KafkaBatch,
  KafkaBatchPartition,
  KafkaConsumerTuning,
  KafkaDirectSourceOptions,
  KafkaRecord,
  KafkaRecordMeta,
  KafkaSourceLogEntry,
  KafkaSourceMetrics,
  RawKafkaRecord,
  RejectedRecordLike,
  StartingOffsets,
} from './types.ts';
