/**
 * The one error type of the serving layer: a code from a closed set, the HTTP status it answers with, whether a
 * retry may succeed, and the cause.
 */

/** Every code a {@link ServingError} carries, with the HTTP status it answers with. */
export const SERVING_ERROR_STATUS = {
  OXBOW_BAD_REQUEST: 400,
  OXBOW_UNAUTHORIZED: 401,
  OXBOW_FORBIDDEN: 403,
  OXBOW_NOT_FOUND: 404,
  OXBOW_CONFLICT: 409,
  OXBOW_PAYLOAD_TOO_LARGE: 413,
  OXBOW_RATE_LIMITED: 429,
  OXBOW_INTERNAL: 500,
  OXBOW_NOT_CONFIGURED: 501,
  OXBOW_UNAVAILABLE: 503,
  OXBOW_TIMEOUT: 503,
  OXBOW_VIEW_REBUILDING: 503,
  OXBOW_MANIFEST_INVALID: 502,
} as const;

/** The closed set of serving error codes. */
export type ServingErrorCode = keyof typeof SERVING_ERROR_STATUS;

/** Options of a {@link ServingError}. */
export interface ServingErrorOptions {
  readonly cause?: unknown;
  readonly retriable?: boolean;
}

/**
 * An error with a one-line message for the API client (or the operator) and the status it maps to.
 *
 * @example
 * throw new ServingError('OXBOW_BAD_REQUEST', 'from (2026-02-01T00:00:00Z) is after to (2026-01-01T00:00:00Z)');
 */
export class ServingError extends Error {
  readonly code: ServingErrorCode;
  readonly retriable: boolean;

  constructor(code: ServingErrorCode, message: string, options: ServingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServingError';
    this.code = code;
    this.retriable = options.retriable ?? (code === 'OXBOW_UNAVAILABLE' || code === 'OXBOW_TIMEOUT');
  }

  /** The HTTP status this error answers with. */
  get statusCode(): number {
    return SERVING_ERROR_STATUS[this.code];
  }
}
