/**
 * The error type of the Kafka direct source: a closed set of `OXBOW_KAFKA_*` codes, whether retrying may help, and
 * the underlying cause. Same shape as `ConnectorError` in `../errors.ts`; kept here until those codes are folded
 * into that file (the Kafka folder does not edit the shared one). Both are {@link OxbowError}s.
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code a Kafka source error can carry. */
export const KAFKA_SOURCE_ERROR_CODES = [
  /** The source options are invalid (no brokers, no topics, a non-positive interval, …). */
  'OXBOW_KAFKA_BAD_OPTIONS',
  /** A string is not a Kafka offset (a non-negative int64 in canonical decimal form). */
  'OXBOW_KAFKA_BAD_OFFSET',
  /** A method was called in the wrong state (`nextBatch` before `start`, `start` twice, …). */
  'OXBOW_KAFKA_STATE',
  /** Kafka failed: the consumer crashed, a start offset could not be resolved, the dead-letter topic refused a record. */
  'OXBOW_KAFKA_IO',
] as const;

/** A code from {@link KAFKA_SOURCE_ERROR_CODES}. */
export type KafkaSourceErrorCode = (typeof KAFKA_SOURCE_ERROR_CODES)[number];

/**
 * An error raised by the Kafka source, with a machine-readable `code`.
 *
 * @example
 * try {
 *   await source.nextBatch(Date.now());
 * } catch (error) {
 *   if (KafkaSourceError.is(error, 'OXBOW_KAFKA_IO') && error.retriable) console.log('try again');
 * }
 */
export class KafkaSourceError extends OxbowError<KafkaSourceErrorCode> {}
