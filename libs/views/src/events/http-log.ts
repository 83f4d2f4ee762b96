/**
 * HTTP access logs (topic `http_logs`): the record on the wire and its validating parser.
 */
import { decodeJsonObject, readInteger, readNumber, readString, readTimestamp } from './fields.ts';
import type { ParseOptions, ParseResult } from './parse-result.ts';

/** The Kafka topic HTTP access logs are produced to. */
export const HTTP_LOGS_TOPIC = 'http_logs';

/** One HTTP access log record as produced to Kafka (one JSON object per message). */
export interface HttpLog {
  /** Event time: ISO-8601 with a time zone, e.g. `2026-11-24T13:05:12.345Z`. */
  readonly ts: string;
  readonly host: string;
  /** Upper-case HTTP method token: `GET`, `POST`, … */
  readonly method: string;
  /** Request path, starting with `/`. */
  readonly path: string;
  /** HTTP status code, 100–599. */
  readonly status: number;
  /** Response size in bytes, a non-negative integer. */
  readonly bytes: number;
  /** Time to serve the request in milliseconds, ≥ 0. */
  readonly latencyMs: number;
  readonly userId: string;
  /** ISO 3166-1 alpha-2 country code, upper case: `NL`. */
  readonly country: string;
  readonly userAgent: string;
}

/** A parsed, valid HTTP log: the record plus its event time in epoch milliseconds. */
export interface HttpLogEvent extends HttpLog {
  readonly tsMs: number;
}

const METHOD = /^[A-Z]+$/;
const COUNTRY = /^[A-Z]{2}$/;

/**
 * Parses and validates one HTTP log record (UTF-8 JSON bytes or a string). Every bad field gives one reason
 * naming it; fields not in the schema are ignored and not kept.
 *
 * @example
 * ```ts
 * const result = parseHttpLog(message.value, { now: Date.now() });
 * if (result.ok) handle(result.event);
 * else console.warn(result.reasons.join('; ')); // 'status: expected an integer 100–599, got "abc"'
 * ```
 */
export function parseHttpLog(
  input: Uint8Array | string,
  options: ParseOptions = {},
): ParseResult<HttpLogEvent> {
  const reasons: string[] = [];
  const record = decodeJsonObject(input, reasons);
  if (record === undefined) return { ok: false, reasons };
  const time = readTimestamp(record, options.now ?? Date.now(), reasons);
  const host = readString(
    record,
    'host',
    { expected: 'a non-empty host name', minLength: 1, maxLength: 255 },
    reasons,
  );
  const method = readString(
    record,
    'method',
    { expected: 'an upper-case HTTP method (GET, POST, …)', maxLength: 16, pattern: METHOD },
    reasons,
  );
  const path = readString(
    record,
    'path',
    { expected: 'a path starting with "/"', minLength: 1, maxLength: 2048, pattern: /^\// },
    reasons,
  );
  const status = readInteger(record, 'status', 100, 599, 'an integer 100–599', reasons);
  const bytes = readInteger(record, 'bytes', 0, Number.MAX_SAFE_INTEGER, 'a non-negative integer', reasons);
  const latencyMs = readNumber(record, 'latencyMs', 0, Number.MAX_VALUE, 'a non-negative number', reasons);
  const userId = readString(
    record,
    'userId',
    { expected: 'a non-empty string', minLength: 1, maxLength: 256 },
    reasons,
  );
  const country = readString(
    record,
    'country',
    { expected: 'a 2-letter upper-case country code', maxLength: 2, pattern: COUNTRY },
    reasons,
  );
  const userAgent = readString(record, 'userAgent', { expected: 'a string', maxLength: 1024 }, reasons);
  if (
    reasons.length > 0 ||
    time === undefined ||
    host === undefined ||
    method === undefined ||
    path === undefined ||
    status === undefined ||
    bytes === undefined ||
    latencyMs === undefined ||
    userId === undefined ||
    country === undefined ||
    userAgent === undefined
  ) {
    return { ok: false, reasons };
  }
  return {
    ok: true,
    event: {
      ts: time.ts,
      host,
      method,
      path,
      status,
      bytes,
      latencyMs,
      userId,
      country,
      userAgent,
      tsMs: time.tsMs,
    },
  };
}
