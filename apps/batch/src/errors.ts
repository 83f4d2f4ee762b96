import { OxbowError, type OxbowErrorOptions } from '@oxbow/contracts';

/** The closed set of codes a {@link BatchError} carries. */
export const BATCH_ERROR_CODES = [
  /** Bad options: an unknown view or engine, a malformed epoch, a cron expression that does not parse. */
  'OXBOW_BATCH_USAGE',
  /** Another run holds `<lake>/views/_lock`. */
  'OXBOW_BATCH_LOCKED',
  /** The run lost its lock (it expired and another run took it over) before publishing. */
  'OXBOW_BATCH_LOCK_LOST',
  /** The DuckDB engine was asked for a view it has no SQL plan for. */
  'OXBOW_BATCH_NO_SQL_PLAN',
  /** A project model cannot be trained: its features or label of an event are not finite numbers of one length. */
  'OXBOW_BATCH_MODEL',
  /** `oxbow batch merge`: a part of the run is missing, or a part does not agree with the merge's listing of the lake. */
  'OXBOW_BATCH_PARTS',
] as const;

/** One of {@link BATCH_ERROR_CODES}. */
export type BatchErrorCode = (typeof BATCH_ERROR_CODES)[number];

/** Options of a {@link BatchError}. */
export type BatchErrorOptions = OxbowErrorOptions;

/**
 * An error of the batch app, with a code from {@link BATCH_ERROR_CODES}, whether retrying may help (by default
 * only `OXBOW_BATCH_LOCKED`), and a cause.
 *
 * @example
 * throw new BatchError('OXBOW_BATCH_USAGE', '--until-epoch "soon": expected a non-negative integer');
 */
export class BatchError extends OxbowError<BatchErrorCode> {
  static override readonly retriableCodes: readonly string[] = ['OXBOW_BATCH_LOCKED'];
}
