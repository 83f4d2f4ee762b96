/**
 * The one error class of the speed app: a `code` from a closed set, `retriable`, and the `cause`.
 */

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

/** Options of a {@link SpeedError}. */
export interface SpeedErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/**
 * An error of the speed app.
 *
 * @example
 * ```ts
 * throw new SpeedError('OXBOW_SPEED_BAD_OPTIONS', 'batchMs must be a positive integer, got 0');
 * ```
 */
export class SpeedError extends Error {
  readonly code: SpeedErrorCode;
  readonly retriable: boolean;

  constructor(code: SpeedErrorCode, message: string, options: SpeedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpeedError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** True when `error` is a SpeedError (with `code`, when given). */
  static is(error: unknown, code?: SpeedErrorCode): error is SpeedError {
    return error instanceof SpeedError && (code === undefined || error.code === code);
  }
}
