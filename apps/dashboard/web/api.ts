/**
 * The serving API as the page calls it: same origin, the API key (kept in `localStorage`) in `x-api-key`, errors
 * as {@link ApiError} with the answer's status and message.
 */

/** Where the page keeps the API key. */
const KEY_STORAGE = 'oxbow.apiKey';

/** An answer other than 2xx: its status and the API's one-line message. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The API key the page sends ('' when none). */
export function storedApiKey(): string {
  return localStorage.getItem(KEY_STORAGE) ?? '';
}

/** Keeps `key` for later visits ('' forgets it). */
export function storeApiKey(key: string): void {
  if (key === '') localStorage.removeItem(KEY_STORAGE);
  else localStorage.setItem(KEY_STORAGE, key);
}

/** GETs `path` (with the query's defined parameters) and parses the JSON answer; `readyz` answers 503 with JSON. */
export async function getJson<T>(
  path: string,
  query: Readonly<Record<string, string | number | undefined>> = {},
  options: { readonly acceptStatuses?: readonly number[] } = {},
): Promise<T> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const url = params.size > 0 ? `${path}?${params}` : path;
  const key = storedApiKey();
  const response = await fetch(url, {
    headers: key === '' ? {} : { 'x-api-key': key },
    cache: 'no-cache',
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok && !(options.acceptStatuses ?? []).includes(response.status)) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String(body.message)
        : text.slice(0, 200);
    throw new ApiError(response.status, message || response.statusText);
  }
  return body as T;
}

/** A short explanation of a failed call for a panel: what the key lacks, or the API's message. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'needs an API key (enter one above)';
    if (error.status === 403) return 'needs an admin API key';
    if (error.status === 404) return `not found: ${error.message}`;
    if (error.status === 503) return `unavailable: ${error.message}`;
    return `${error.status}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
