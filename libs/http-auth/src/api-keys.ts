/**
 * API keys and their scopes, the one contract of every Oxbow HTTP app (serving, ingest): the `apiKeys` setting
 * (`OXBOW_API_KEYS`) lists `KEY:SCOPE` pairs; a request presents its key in `x-api-key` or as a bearer token.
 *
 * Keys are kept only as HMAC-SHA-256 digests under a key made at random for the process, and a presented key is
 * compared with every configured digest in constant time (no early exit), so neither the time an answer takes nor
 * a heap dump tells anything about the configured keys.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.ts';

/** The scopes a key may have, from the narrowest to the widest. */
export const API_KEY_SCOPES = ['read', 'ingest', 'admin'] as const;

/**
 * What a key may do: `read` queries the serving API, `ingest` writes records through the ingest gateway, `admin`
 * does both and triggers batch runs (it includes every other scope).
 */
export type Scope = (typeof API_KEY_SCOPES)[number];

/**
 * The configured keys, looked up by a presented key. `size` is 0 when no keys are configured (then every route is
 * open). A `ReadonlyMap<string, Scope>` of plain keys satisfies it too (handy in tests).
 */
export interface ApiKeys {
  /** How many keys are configured. */
  readonly size: number;
  /** The scope of `presented`, or `undefined` when it is not a configured key. */
  get(presented: string): Scope | undefined;
  /** Whether `presented` is a configured key. */
  has(presented: string): boolean;
}

/** Keys of at least this many characters are accepted. */
export const MIN_API_KEY_LENGTH = 8;

/** Whether a key of scope `held` may act where `required` is needed: `admin` covers every scope. */
export function scopeCovers(held: Scope, required: Scope): boolean {
  return held === required || held === 'admin';
}

function isScope(text: string): text is Scope {
  return (API_KEY_SCOPES as readonly string[]).includes(text);
}

/** {@link ApiKeys} holding digests only; see the module comment. */
class HashedApiKeys implements ApiKeys {
  private readonly secret = randomBytes(32);
  private readonly entries: ReadonlyArray<{ readonly digest: Buffer; readonly scope: Scope }>;

  constructor(keys: ReadonlyMap<string, Scope>) {
    this.entries = [...keys].map(([key, scope]) => ({ digest: this.digestOf(key), scope }));
  }

  get size(): number {
    return this.entries.length;
  }

  get(presented: string): Scope | undefined {
    const digest = this.digestOf(presented);
    let found: Scope | undefined;
    // Every entry is compared, whatever matched before: the time depends on the number of keys only.
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.scope;
    }
    return found;
  }

  has(presented: string): boolean {
    return this.get(presented) !== undefined;
  }

  private digestOf(key: string): Buffer {
    return createHmac('sha256', this.secret).update(key, 'utf8').digest();
  }
}

/**
 * Reads the `apiKeys` setting into plain `KEY → scope` entries: comma-separated `KEY:SCOPE` with scope `read`,
 * `ingest` or `admin` and keys of at least 8 characters (the last `:` separates the scope); empty or `none` for no
 * keys. A key listed twice keeps its last scope. Throws `OXBOW_BAD_API_KEYS` naming the rule otherwise (the
 * message never repeats a key). Hand the entries to {@link hashApiKeys} and drop them: {@link parseApiKeys} does
 * both.
 *
 * @example
 * const entries = parseApiKeyEntries('reader-0001:read');
 * [...entries.values()].includes('admin'); // false: no admin key configured
 */
export function parseApiKeyEntries(text: string): Map<string, Scope> {
  const keys = new Map<string, Scope>();
  if (text.trim() !== '' && text.trim() !== 'none') {
    for (const [index, entry] of text.split(',').entries()) {
      const separator = entry.lastIndexOf(':');
      const key = entry.slice(0, separator).trim();
      const scope = entry.slice(separator + 1).trim();
      if (separator <= 0 || key.length < MIN_API_KEY_LENGTH || !isScope(scope)) {
        throw new AuthError(
          'OXBOW_BAD_API_KEYS',
          `apiKeys: entry ${index + 1}: expected comma-separated KEY:SCOPE with keys of at least ${MIN_API_KEY_LENGTH} characters and scope read, ingest or admin`,
        );
      }
      keys.set(key, scope);
    }
  }
  return keys;
}

/**
 * {@link ApiKeys} over `entries` that keeps only their HMAC-SHA-256 digests and compares a presented key with
 * every digest in constant time (see the module comment).
 *
 * @example
 * const keys = hashApiKeys(new Map([['admin-00001', 'admin']]));
 * keys.get('admin-00001'); // 'admin'
 */
export function hashApiKeys(entries: ReadonlyMap<string, Scope>): ApiKeys {
  return new HashedApiKeys(entries);
}

/**
 * Parses the `apiKeys` setting ({@link parseApiKeyEntries}) into {@link ApiKeys} holding digests only.
 *
 * @example
 * const keys = parseApiKeys('reader-0001:read,loader-0001:ingest,admin-00001:admin');
 * keys.get('loader-0001'); // 'ingest'
 * keys.get('guess-00001'); // undefined
 */
export function parseApiKeys(text: string): ApiKeys {
  return hashApiKeys(parseApiKeyEntries(text));
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

/**
 * Throws an {@link AuthError} unless `presented` may act with `required`: `OXBOW_UNAUTHORIZED` (401) without a
 * key or with an unknown one, `OXBOW_FORBIDDEN` (403) when its scope does not cover `required`. Always passes when
 * no keys are configured.
 *
 * @example
 * authorize(keys, presentedKey(request.headers), 'ingest');
 */
export function authorize(keys: ApiKeys, presented: string | undefined, required: Scope): void {
  if (keys.size === 0) return;
  if (presented === undefined) {
    throw new AuthError('OXBOW_UNAUTHORIZED', 'an API key is required (header x-api-key)');
  }
  const scope = keys.get(presented);
  if (scope === undefined) throw new AuthError('OXBOW_UNAUTHORIZED', 'unknown API key');
  if (!scopeCovers(scope, required)) {
    throw new AuthError(
      'OXBOW_FORBIDDEN',
      `this API key has the ${scope} scope; the route needs ${required}`,
    );
  }
}
