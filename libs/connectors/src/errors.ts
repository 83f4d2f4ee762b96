/**
 * The one error type of `@oxbow/connectors`: a closed set of `OXBOW_*` codes, whether retrying may help,
 * and the underlying cause.
 */

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

/** Options of a {@link ConnectorError}. */
export interface ConnectorErrorOptions {
  /** True when the same call may succeed if tried again (timeouts, 5xx, throttling). Default false. */
  retriable?: boolean;
  /** The error this one wraps. */
  cause?: unknown;
}

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
export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly retriable: boolean;

  constructor(code: ConnectorErrorCode, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }

  /** True when `error` is a {@link ConnectorError}, with the given code if one is passed. */
  static is(error: unknown, code?: ConnectorErrorCode): error is ConnectorError {
    return error instanceof ConnectorError && (code === undefined || error.code === code);
  }
}
