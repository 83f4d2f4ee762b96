/**
 * API keys and their scopes: `read` may query, `admin` may also trigger batch runs.
 */
import { ServingError } from './errors.ts';

/** What a key may do; `admin` includes `read`. */
export type Scope = 'read' | 'admin';

/** The configured keys (key → scope); empty when keys are not required. */
export type ApiKeys = ReadonlyMap<string, Scope>;

/**
 * Parses the `apiKeys` setting: comma-separated `KEY:SCOPE` (`none` for no keys).
 *
 * @example
 * parseApiKeys('k1:read,k2:admin').get('k2'); // 'admin'
 */
export function parseApiKeys(text: string): ApiKeys {
  const keys = new Map<string, Scope>();
  if (text.trim() === '' || text.trim() === 'none') return keys;
  for (const entry of text.split(',')) {
    const separator = entry.lastIndexOf(':');
    const key = entry.slice(0, separator).trim();
    const scope = entry.slice(separator + 1).trim();
    if (separator <= 0 || key.length < 8 || (scope !== 'read' && scope !== 'admin')) {
      throw new ServingError(
        'OXBOW_BAD_REQUEST',
        'apiKeys: expected comma-separated KEY:SCOPE with keys of at least 8 characters and scope read or admin',
      );
    }
    keys.set(key, scope);
  }
  return keys;
}

/** The key a request presents: `x-api-key: K` or `authorization: Bearer K`. */
export function presentedKey(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer '))
    return authorization.slice(7).trim();
  return undefined;
}

/** Throws 401/403 unless `presented` may act with `required` (always passes when no keys are configured). */
export function authorize(keys: ApiKeys, presented: string | undefined, required: Scope): void {
  if (keys.size === 0) return;
  if (presented === undefined) {
    throw new ServingError('OXBOW_UNAUTHORIZED', 'an API key is required (header x-api-key)');
  }
  const scope = keys.get(presented);
  if (scope === undefined) throw new ServingError('OXBOW_UNAUTHORIZED', 'unknown API key');
  if (required === 'admin' && scope !== 'admin') {
    throw new ServingError('OXBOW_FORBIDDEN', 'this API key has the read scope; the route needs admin');
  }
}
