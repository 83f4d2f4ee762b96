/**
 * The one error type of `@oxbow/dataflow`: a closed set of codes, a `retriable` flag and the `cause` (an
 * {@link OxbowError}).
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code a dataflow error can carry. */
export const DATAFLOW_ERROR_CODES = [
  'OXBOW_CONTEXT_STOPPED',
  'OXBOW_INVALID_ARGUMENT',
  'OXBOW_EMPTY_COLLECTION',
  'OXBOW_TASK_FAILED',
  'OXBOW_TASK_NOT_SERIALIZABLE',
  'OXBOW_PARTITION_MISMATCH',
  'OXBOW_SERIALIZATION',
  'OXBOW_WORKER_CRASHED',
  'OXBOW_JOB_NOT_DETERMINISTIC',
] as const;

/** A code from {@link DATAFLOW_ERROR_CODES}. */
export type DataflowErrorCode = (typeof DATAFLOW_ERROR_CODES)[number];

/**
 * An error raised by the dataflow engine.
 *
 * @example
 * ```ts
 * try { await rdd.reduce((a, b) => a + b); }
 * catch (e) { if (DataflowError.is(e, 'OXBOW_EMPTY_COLLECTION')) console.log('nothing to reduce'); }
 * ```
 */
export class DataflowError extends OxbowError<DataflowErrorCode> {}

/** Throws `OXBOW_INVALID_ARGUMENT` with `message` unless `condition` holds. */
export function requireArgument(condition: boolean, message: string): asserts condition {
  if (!condition) throw new DataflowError('OXBOW_INVALID_ARGUMENT', message);
}
