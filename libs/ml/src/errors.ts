/**
 * The one error type of `@oxbow/ml`: a closed set of codes, a `retriable` flag and the `cause`.
 */

/** Every code an ML error can carry. */
export const ML_ERROR_CODES = [
  /** An argument out of range: a negative decay factor, vectors of different dimensions, empty training data. */
  'OXBOW_INVALID_ARGUMENT',
  /** Training or prediction asked of a streaming algorithm whose initial model was never set. */
  'OXBOW_MODEL_NOT_INITIALIZED',
  /** A serialised model that is malformed, of another kind, or of a format version this code cannot read. */
  'OXBOW_INVALID_MODEL',
  /** A streaming checkpoint whose model does not fit the algorithm configured in the new graph. */
  'OXBOW_CHECKPOINT_MISMATCH',
] as const;

/** A code from {@link ML_ERROR_CODES}. */
export type MlErrorCode = (typeof ML_ERROR_CODES)[number];

/** Options of {@link MlError}. */
export interface MlErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

/**
 * An error raised by `@oxbow/ml`. Errors raised inside tasks (a point with the wrong number of dimensions, a
 * non-finite coordinate) reach the caller as the engine's `DataflowError` `OXBOW_TASK_FAILED` with the message.
 *
 * @example
 * ```ts
 * try { StreamingKMeansModel.fromJSON(saved); }
 * catch (e) { if (MlError.is(e, 'OXBOW_INVALID_MODEL')) console.error(e.message); }
 * ```
 */
export class MlError extends Error {
  /** What went wrong, from {@link ML_ERROR_CODES}. */
  readonly code: MlErrorCode;
  /** Whether retrying the same call may succeed (never, for the errors of this library). */
  readonly retriable: boolean;

  /** Makes an error with `code` and `message`. */
  constructor(code: MlErrorCode, message: string, options: MlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** True when `error` is an {@link MlError}, with the given code when one is named. */
  static is(error: unknown, code?: MlErrorCode): error is MlError {
    return error instanceof MlError && (code === undefined || error.code === code);
  }
}

/** Throws `OXBOW_INVALID_ARGUMENT` with `message` unless `condition` holds. */
export function requireArgument(condition: boolean, message: string): asserts condition {
  if (!condition) throw new MlError('OXBOW_INVALID_ARGUMENT', message);
}
