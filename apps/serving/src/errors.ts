/**
 * The one error type of the serving layer: a code from a closed set, the HTTP status it answers with, whether a
 * retry may succeed, and the cause (an {@link OxbowError}). The API answers any Oxbow error by its code
 * ({@link httpStatusOf}), whichever package raised it.
 */
import type { SqlErrorCode } from '@oxbow/connectors';
import { OxbowError } from '@oxbow/contracts';
import type { DataflowErrorCode } from '@oxbow/dataflow';
import type { ViewsErrorCode } from '@oxbow/views';

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
  /** A batch manifest that does not decode: raised by `@oxbow/contracts` (a `ContractError`), mapped by code. */
  OXBOW_MANIFEST_INVALID: 502,
} as const;

/** The closed set of serving error codes. */
export type ServingErrorCode = keyof typeof SERVING_ERROR_STATUS;

/**
 * An error with a one-line message for the API client (or the operator); {@link httpStatusOf} gives the status
 * it answers with. `OXBOW_UNAVAILABLE` and `OXBOW_TIMEOUT` are retriable by default.
 *
 * @example
 * throw new ServingError('OXBOW_BAD_REQUEST', 'from (2026-02-01T00:00:00Z) is after to (2026-01-01T00:00:00Z)');
 */
export class ServingError extends OxbowError<ServingErrorCode> {
  static override readonly retriableCodes: readonly string[] = ['OXBOW_UNAVAILABLE', 'OXBOW_TIMEOUT'];
}

/** The statuses of codes other packages raise that an API client can act on; checked against their code types. */
const FOREIGN_STATUS: Readonly<Record<string, number>> = {
  OXBOW_INVALID_ARGUMENT: 400,
  OXBOW_UNKNOWN_VIEW: 404,
  // POST /v1/sql: a query that is not one SELECT or does not bind is the caller's; so is one that fails running.
  OXBOW_SQL_INVALID: 400,
  OXBOW_SQL_TABLE: 400,
  OXBOW_SQL_TIMEOUT: 408,
  OXBOW_SQL_FAILED: 422,
  OXBOW_SQL_CANCELLED: 499,
} satisfies Partial<Record<ViewsErrorCode | DataflowErrorCode | SqlErrorCode, number>>;

/**
 * The HTTP status an Oxbow error of any package answers with: a serving code by {@link SERVING_ERROR_STATUS}
 * (which also covers `OXBOW_MANIFEST_INVALID` from `@oxbow/contracts`), a bad argument 400, an unknown view 404,
 * a SQL query's errors by their meaning (invalid 400, time limit 408, failed while running 422); any other code 503 when it is retriable, else 500.
 *
 * @example
 * httpStatusOf(new ServingError('OXBOW_NOT_FOUND', 'no view "x"')); // 404
 * httpStatusOf(new ConnectorError('OXBOW_STORAGE_IO', 'S3 timed out', { retriable: true })); // 503
 */
export function httpStatusOf(error: OxbowError): number {
  const code = error.code;
  if (Object.hasOwn(SERVING_ERROR_STATUS, code)) return SERVING_ERROR_STATUS[code as ServingErrorCode];
  if (Object.hasOwn(FOREIGN_STATUS, code)) return FOREIGN_STATUS[code] ?? 500;
  return error.retriable ? 503 : 500;
}
