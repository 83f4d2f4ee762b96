/**
 * The one error type of `@oxbow/views`: a closed set of codes, a `retriable` flag and the `cause` (an
 * {@link OxbowError}).
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code a views error can carry. */
export const VIEWS_ERROR_CODES = [
  'OXBOW_INVALID_ARGUMENT',
  'OXBOW_UNKNOWN_VIEW',
  'OXBOW_UNKNOWN_TOPIC',
  'OXBOW_INVALID_PROJECT',
  'OXBOW_PROJECT_NOT_FOUND',
] as const;

/** A code from {@link VIEWS_ERROR_CODES}. */
export type ViewsErrorCode = (typeof VIEWS_ERROR_CODES)[number];

/**
 * An error raised by `@oxbow/views` for bad arguments (a generator option out of range, an unknown view name).
 * Invalid events are not errors: the parsers return their reasons.
 *
 * @example
 * ```ts
 * try { viewByName('page_views'); }
 * catch (e) { if (ViewsError.is(e, 'OXBOW_UNKNOWN_VIEW')) console.error(e.message); }
 * ```
 */
export class ViewsError extends OxbowError<ViewsErrorCode> {}

/** Throws `OXBOW_INVALID_ARGUMENT` with `message` unless `condition` holds. */
export function requireArgument(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ViewsError('OXBOW_INVALID_ARGUMENT', message);
}
