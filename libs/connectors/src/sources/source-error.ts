/**
 * The error type of the streaming sources (syslog, MQTT, directory streams, Kinesis, ZeroMQ, HTTP polling): a
 * closed set of `OXBOW_SOURCE_*` codes, whether retrying may help, and the underlying cause. Same shape as
 * `ConnectorError`; kept beside the sources so they do not edit the shared error file.
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code a source error can carry. */
export const SOURCE_ERROR_CODES = [
  /** The source's options are invalid (no topics, a port out of range, a negative interval, …). */
  'OXBOW_SOURCE_BAD_OPTIONS',
  /** The address cannot be used: a host that does not resolve, a malformed URL, a port that cannot be bound. */
  'OXBOW_SOURCE_BAD_ADDRESS',
  /** The server refused the credentials, or the client is not authorised for what it asked. */
  'OXBOW_SOURCE_AUTH',
  /** The named resource (stream, bucket, directory) does not exist. */
  'OXBOW_SOURCE_NOT_FOUND',
  /** Nothing answered at the address within the start timeout (connection refused, timed out). */
  'OXBOW_SOURCE_UNAVAILABLE',
  /** Any other failure talking to the source. */
  'OXBOW_SOURCE_IO',
] as const;

/** A code from {@link SOURCE_ERROR_CODES}. */
export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[number];

/**
 * An error raised by a streaming source, with a machine-readable `code`. Sources raise it from
 * `StreamingContext.start()` when they cannot start (bad address, refused credentials, nothing answering);
 * once running they reconnect with backoff instead, counting errors in their metrics.
 *
 * @example
 * ```ts
 * try {
 *   await ssc.start();
 * } catch (error) {
 *   if (SourceError.is(error, 'OXBOW_SOURCE_AUTH')) console.error('check the MQTT user and password');
 * }
 * ```
 */
export class SourceError extends OxbowError<SourceErrorCode> {
  static override readonly retriableCodes: readonly string[] = [
    'OXBOW_SOURCE_UNAVAILABLE',
    'OXBOW_SOURCE_IO',
  ];
}

/** The `code` of a Node.js system error (`ECONNREFUSED`, `ENOTFOUND`, …), if it has one. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error ? systemErrorCode(cause) : undefined;
}

const BAD_ADDRESS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EADDRNOTAVAIL', 'EINVAL']);
const LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EINVAL']);

/**
 * Turns a failure to connect to `address` into a {@link SourceError}: host resolution failures are
 * `OXBOW_SOURCE_BAD_ADDRESS`, anything else (refused, reset, timed out) `OXBOW_SOURCE_UNAVAILABLE`.
 */
export function connectError(what: string, address: string, error: unknown): SourceError {
  if (SourceError.is(error)) return error;
  const code = systemErrorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code !== undefined && BAD_ADDRESS_CODES.has(code)) {
    return new SourceError(
      'OXBOW_SOURCE_BAD_ADDRESS',
      `${what}: cannot resolve or use the address ${address} (${code}: ${detail}); check the host name and port`,
      { cause: error },
    );
  }
  return new SourceError(
    'OXBOW_SOURCE_UNAVAILABLE',
    `${what}: could not connect to ${address} (${code ?? detail}); is the server running and reachable?`,
    { cause: error },
  );
}

/**
 * Turns a failure to listen on `address` into a {@link SourceError}: a port in use, a privileged port or an
 * address the host does not have are `OXBOW_SOURCE_BAD_ADDRESS`; anything else `OXBOW_SOURCE_IO`.
 */
export function listenError(what: string, address: string, error: unknown): SourceError {
  if (SourceError.is(error)) return error;
  const code = systemErrorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code !== undefined && LISTEN_CODES.has(code)) {
    const hint =
      code === 'EADDRINUSE'
        ? 'another process listens there; choose another port'
        : code === 'EACCES'
          ? 'ports below 1024 need privileges; choose a port ≥ 1024'
          : code === 'EADDRNOTAVAIL'
            ? 'this host has no such address'
            : 'the host does not resolve to an address of this machine';
    return new SourceError(
      'OXBOW_SOURCE_BAD_ADDRESS',
      `${what}: cannot listen on ${address} (${code}): ${hint}`,
      {
        cause: error,
      },
    );
  }
  return new SourceError('OXBOW_SOURCE_IO', `${what}: cannot listen on ${address}: ${detail}`, {
    cause: error,
  });
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
