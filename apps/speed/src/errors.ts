/**
 * The one error class of the speed app: a `code` from a closed set, `retriable`, and the `cause` (an
 * {@link OxbowError}).
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code a {@link SpeedError} can carry. */
export const SPEED_ERROR_CODES = [
  /** Options or settings that cannot work (a window that is not a multiple of the batch interval, …). */
  'OXBOW_SPEED_BAD_OPTIONS',
  /** A Kafka record that is not a valid event (bad JSON, schema violation, absurd time): dead-lettered. */
  'OXBOW_SPEED_INVALID_EVENT',
  /** Redis answered something the layout does not allow (a corrupt increment, an unknown script reply). */
  'OXBOW_SPEED_REDIS',
  /** The service was used in a state that does not allow it (stopped twice, …). */
  'OXBOW_SPEED_STATE',
  /** A Kafka topic the speed layer is to consume does not exist. */
  'OXBOW_SPEED_TOPIC_NOT_FOUND',
] as const;

/** A code of {@link SPEED_ERROR_CODES}. */
export type SpeedErrorCode = (typeof SPEED_ERROR_CODES)[number];

/**
 * An error of the speed app.
 *
 * @example
 * ```ts
 * throw new SpeedError('OXBOW_SPEED_BAD_OPTIONS', 'batchMs must be a positive integer, got 0');
 * ```
 */
export class SpeedError extends OxbowError<SpeedErrorCode> {}
