/**
 * `@oxbow/http-auth`: the API-key contract of Oxbow's HTTP apps, written once — the `apiKeys` setting
 * (`KEY:SCOPE`, scopes `read`, `ingest`, `admin`), keys held as digests and compared in constant time, the key a
 * request presents, and the scope check that answers 401 or 403.
 */
export {
  API_KEY_SCOPES,
  type ApiKeys,
  authorize,
  hashApiKeys,
  MIN_API_KEY_LENGTH,
  parseApiKeyEntries,
  parseApiKeys,
  presentedKey,
  type Scope,
  scopeCovers,
} from './api-keys.ts';
export { AUTH_ERROR_STATUS, AuthError, type AuthErrorCode } from './errors.ts';
export { isLoopbackHost, type ListenProblem, listenProblem } from './listen-guard.ts';
