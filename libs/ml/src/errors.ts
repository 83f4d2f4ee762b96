/**
 * The one error type of `@oxbow/ml`: a closed set of codes, a `retriable` flag and the `cause` (an
 * {@link OxbowError}).
 */
import { OxbowError } from '@oxbow/contracts';

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

/**
 * An error raised by `@oxbow/ml` (an {@link OxbowError}, so the CLI, the API and retry loops handle it by `code`).
 * Errors raised inside tasks (a point with the wrong number of dimensions, a non-finite coordinate) reach the
 * caller as the engine's `DataflowError` `OXBOW_TASK_FAILED` with the message.
 *
 * @example
 * ```ts
 * try { StreamingKMeansModel.fromJSON(saved); }
 * catch (e) { if (MlError.is(e, 'OXBOW_INVALID_MODEL')) console.error(e.message); }
 * ```
 */
export class MlError extends OxbowError<MlErrorCode> {}

/** Throws `OXBOW_INVALID_ARGUMENT` with `message` unless `condition` holds. */
export function requireArgument(condition: boolean, message: string): asserts condition {
  if (!condition) throw new MlError('OXBOW_INVALID_ARGUMENT', message);
}
