/**
 * The error of the API-key checks: a code from a closed set, each with the HTTP status an app answers with.
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code an {@link AuthError} carries, with the HTTP status it answers with. */
export const AUTH_ERROR_STATUS = {
  /** The `apiKeys` setting does not parse (raised at start-up, never in answer to a request). */
  OXBOW_BAD_API_KEYS: 500,
  /** No key, or a key that is not configured. */
  OXBOW_UNAUTHORIZED: 401,
  /** A configured key whose scope does not cover the route. */
  OXBOW_FORBIDDEN: 403,
} as const;

/** The closed set of {@link AuthError} codes. */
export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS;

/**
 * A refused key or a malformed `apiKeys` setting. Apps answer it by code: `OXBOW_UNAUTHORIZED` 401,
 * `OXBOW_FORBIDDEN` 403 (serving's and ingest's error handlers map these codes whatever package raised them).
 *
 * @example
 * if (AuthError.is(error, 'OXBOW_FORBIDDEN')) reply.code(403);
 */
export class AuthError extends OxbowError<AuthErrorCode> {}
