/**
 * The one error type of the ingest gateway: a code from a closed set and the HTTP status it answers with. The API
 * answers any Oxbow error by its code ({@link httpStatusOf}), whichever package raised it (the API-key checks of
 * `@oxbow/http-auth` among them).
 */
import { OxbowError } from '@oxbow/contracts';

/** Every code an {@link IngestError} carries, with the HTTP status it answers with. */
export const INGEST_ERROR_STATUS = {
  /** The body is not what the content type says (not JSON; not an array or object; no records). */
  OXBOW_BAD_REQUEST: 400,
  /** The topic is not one of the project's. */
  OXBOW_NOT_FOUND: 404,
  /** A body, or a request's records, larger than the gateway ever holds at once. */
  OXBOW_PAYLOAD_TOO_LARGE: 413,
  /** A content type other than JSON or JSON lines. */
  OXBOW_UNSUPPORTED_MEDIA_TYPE: 415,
  /** The in-flight budget is spent: retry after `Retry-After` seconds. */
  OXBOW_INGEST_BUSY: 429,
  /** Too many requests for one API key (or address) this minute. */
  OXBOW_RATE_LIMITED: 429,
  /** Kafka refused or failed the write: nothing of the request was acknowledged. */
  OXBOW_INGEST_KAFKA_FAILED: 503,
  /** Kafka did not acknowledge within `ingestAckTimeoutMs`; the records may still be written. */
  OXBOW_INGEST_ACK_TIMEOUT: 503,
  /** The project topic has no Kafka topic (yet). */
  OXBOW_INGEST_TOPIC_MISSING: 503,
  /** The gateway is shutting down. */
  OXBOW_UNAVAILABLE: 503,
  /** Wrong settings or options, found at start-up. */
  OXBOW_INGEST_BAD_OPTIONS: 500,
  /** A non-loopback listen host without API keys (anyone could write to Kafka), found at start-up. */
  OXBOW_INSECURE_LISTEN: 500,
  OXBOW_INTERNAL: 500,
} as const;

/** The closed set of ingest error codes. */
export type IngestErrorCode = keyof typeof INGEST_ERROR_STATUS;

/** Options of an {@link IngestError} beyond the base's. */
export interface IngestErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
  /** For 429 and 503 answers: the `Retry-After` header, in seconds. */
  readonly retryAfterS?: number;
}

/**
 * An ingest error with a one-line message for the client (or the operator). Busy, Kafka and shutdown codes are
 * retriable by default, and answered with a `Retry-After` header.
 *
 * @example
 * throw new IngestError('OXBOW_NOT_FOUND', 'unknown topic "nope" (topics: http_logs, sensor_readings)');
 */
export class IngestError extends OxbowError<IngestErrorCode> {
  static override readonly retriableCodes: readonly string[] = [
    'OXBOW_INGEST_BUSY',
    'OXBOW_RATE_LIMITED',
    'OXBOW_INGEST_KAFKA_FAILED',
    'OXBOW_INGEST_ACK_TIMEOUT',
    'OXBOW_INGEST_TOPIC_MISSING',
    'OXBOW_UNAVAILABLE',
  ];

  /** Seconds a client should wait before retrying, when the answer says. */
  readonly retryAfterS: number | undefined;

  constructor(code: IngestErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(code, message, options);
    this.retryAfterS = options.retryAfterS;
  }
}

/** Statuses of codes other packages raise that a client can act on. */
const FOREIGN_STATUS: Readonly<Record<string, number>> = {
  OXBOW_UNAUTHORIZED: 401,
  OXBOW_FORBIDDEN: 403,
};

/**
 * The HTTP status an Oxbow error of any package answers with: an ingest code by {@link INGEST_ERROR_STATUS}, the
 * API-key codes 401/403; any other code 503 when it is retriable, else 500.
 *
 * @example
 * httpStatusOf(new IngestError('OXBOW_INGEST_BUSY', 'busy')); // 429
 */
export function httpStatusOf(error: OxbowError): number {
  const code = error.code;
  if (Object.hasOwn(INGEST_ERROR_STATUS, code)) return INGEST_ERROR_STATUS[code as IngestErrorCode];
  if (Object.hasOwn(FOREIGN_STATUS, code)) return FOREIGN_STATUS[code] ?? 500;
  return error.retriable ? 503 : 500;
}
