/**
 * The archiver's one error class: a `code` from a closed set, `retriable`, and the `cause` (an {@link OxbowError}).
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code an {@link ArchiverError} can carry. */
export const ARCHIVER_ERROR_CODES = [
  'OXBOW_ARCHIVER_BAD_OPTIONS',
  'OXBOW_ARCHIVER_UNKNOWN_SCHEMA',
  'OXBOW_ARCHIVER_LAKE',
  'OXBOW_ARCHIVER_KAFKA',
  'OXBOW_ARCHIVER_UNKNOWN_TOPIC',
] as const;

/** A code of {@link ARCHIVER_ERROR_CODES}. */
export type ArchiverErrorCode = (typeof ARCHIVER_ERROR_CODES)[number];

/** An archiver failure with a machine-readable code; `message` is one line for humans. */
export class ArchiverError extends OxbowError<ArchiverErrorCode> {}
