/**
 * The one error type of `@oxbow/connectors`: a closed set of `OXBOW_*` codes, whether retrying may help,
 * and the underlying cause (an {@link OxbowError}).
 */
import { OxbowError, type OxbowErrorOptions } from '@oxbow/contracts';

/** Every code a connector error can carry. */
export const CONNECTOR_ERROR_CODES = [
  /** The URL or scheme given to `openFileSystem` is malformed or unsupported. */
  'OXBOW_STORAGE_BAD_URL',
  /** A path is not a clean relative path (empty, absolute, `..`, empty segment). */
  'OXBOW_STORAGE_BAD_PATH',
  /** The file or object does not exist. */
  'OXBOW_STORAGE_NOT_FOUND',
  /** The path exists but is a directory where a file was expected (or the reverse). */
  'OXBOW_STORAGE_NOT_A_FILE',
  /** The backend refused the credentials or the operation. */
  'OXBOW_STORAGE_DENIED',
  /** Any other I/O failure talking to the backend (network, server error, disk). */
  'OXBOW_STORAGE_IO',
  /** A Parquet schema is invalid, or rows do not match it. */
  'OXBOW_PARQUET_SCHEMA',
  /** A Parquet file could not be written or decoded. */
  'OXBOW_PARQUET_IO',
] as const;

/** A code from {@link CONNECTOR_ERROR_CODES}. */
export type ConnectorErrorCode = (typeof CONNECTOR_ERROR_CODES)[number];

/** Options of a {@link ConnectorError}: `retriable` (timeouts, 5xx, throttling) and the `cause`. */
export type ConnectorErrorOptions = OxbowErrorOptions;

/**
 * An error raised by a connector, with a machine-readable `code`.
 *
 * @example
 * try {
 *   await fs.read('missing.parquet');
 * } catch (error) {
 *   if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) console.log('not there yet');
 * }
 */
export class ConnectorError extends OxbowError<ConnectorErrorCode> {}
