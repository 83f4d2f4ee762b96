/**
 * The message sent to the dead-letter topic for a record that failed to deserialize (one message per record): the
 * original key, bytes and headers, and headers naming the reason and the source position. The message is sized
 * for the dead-letter topic's `max.message.bytes`: when the whole record would not fit, its value is cut to a
 * prefix and its original length and SHA-256 are added. {@link deadLetterSends} splits the messages of a batch
 * into produce requests that each fit that limit.
 */
import { createHash } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { BufferedRecord } from './partition-buffer.ts';

/** Header carrying why the record was dead-lettered (the deserializer's error message). */
export const DEAD_LETTER_ERROR_HEADER = 'oxbow-error';
/** Headers carrying where the record came from. */
export const DEAD_LETTER_SOURCE_HEADERS = {
  topic: 'oxbow-source-topic',
  partition: 'oxbow-source-partition',
  offset: 'oxbow-source-offset',
  timestamp: 'oxbow-source-timestamp',
} as const;

/**
 * Headers of a dead letter whose payload was cut to fit the dead-letter topic. `truncated` lists what was cut
 * (`value`, and in the extreme case of a huge key or huge headers also `key`, `headers`); the value is then a
 * prefix of the original, whose length and SHA-256 (lower-case hex) the other headers carry.
 */
export const DEAD_LETTER_TRUNCATION_HEADERS = {
  truncated: 'oxbow-truncated',
  valueBytes: 'oxbow-original-value-bytes',
  valueSha256: 'oxbow-original-value-sha256',
  keyBytes: 'oxbow-original-key-bytes',
  keySha256: 'oxbow-original-key-sha256',
  droppedHeaders: 'oxbow-dropped-headers',
} as const;

/**
 * Bytes of a record batch (magic v2) beyond its records: what Kafka compares with `max.message.bytes` is this plus
 * the records (uncompressed, as the dead-letter producer sends them).
 */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;

/**
 * What a dead-letter topic's `max.message.bytes` should exceed the largest source topic's by, so that any record
 * the source accepted uncompressed fits whole with the dead-letter headers (a reason of up to 1000 characters and
 * the source position need < 4 KiB).
 */
export const DEAD_LETTER_HEADROOM_BYTES = 16 * 1024;

/** Kafka's default `message.max.bytes` (1 MiB + the 12-byte log overhead), used when no limit can be read. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** The longest reason kept in the `oxbow-error` header (characters). */
const MAX_REASON_LENGTH = 1000;

/**
 * The `max.message.bytes` a dead-letter topic needs so that every record of source topics accepting up to
 * `sourceMaxMessageBytes` fits in it whole.
 *
 * @example
 * deadLetterTopicMaxBytes(1_048_588); // 1_064_972
 */
export function deadLetterTopicMaxBytes(sourceMaxMessageBytes: number): number {
  return sourceMaxMessageBytes + DEAD_LETTER_HEADROOM_BYTES;
}

/**
 * The reason a dead letter carries in its `oxbow-error` header for a record that failed with `error`: the error's
 * name and message (`SpeedError: status: expected an integer`), at most 1000 characters.
 *
 * @example
 * deadLetterReason(new SyntaxError('Unexpected token')); // 'SyntaxError: Unexpected token'
 */
export function deadLetterReason(error: unknown): string {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return reason.slice(0, MAX_REASON_LENGTH);
}

/** Options of {@link deadLetterMessage}. */
export interface DeadLetterSizing {
  /**
   * The dead-letter topic's `max.message.bytes`: the message, alone in a record batch, stays within it (its payload
   * is truncated otherwise). Default: no limit.
   */
  readonly maxMessageBytes?: number;
}

/**
 * Builds the dead-letter message for `record` of `topic`/`partition` that failed with `error`: the original key,
 * value and headers plus `oxbow-error` and the `oxbow-source-*` headers. If that would not fit a record batch of
 * `sizing.maxMessageBytes`, the value is cut to the longest prefix that fits and `oxbow-truncated: value`,
 * `oxbow-original-value-bytes` and `oxbow-original-value-sha256` are added (a key or headers too large to leave
 * room are cut or dropped likewise). Throws a `RangeError` if even the dead-letter headers cannot fit.
 *
 * @example
 * const message = deadLetterMessage('events', 0, record, error, { maxMessageBytes: 1_064_972 });
 */
export function deadLetterMessage(
  topic: string,
  partition: number,
  record: BufferedRecord,
  error: unknown,
  sizing: DeadLetterSizing = {},
): Message {
  const own: Record<string, string> = {
    [DEAD_LETTER_ERROR_HEADER]: deadLetterReason(error),
    [DEAD_LETTER_SOURCE_HEADERS.topic]: topic,
    [DEAD_LETTER_SOURCE_HEADERS.partition]: String(partition),
    [DEAD_LETTER_SOURCE_HEADERS.offset]: record.offset.toString(),
    [DEAD_LETTER_SOURCE_HEADERS.timestamp]: String(record.timestamp),
  };
  const whole: Message = { key: record.key, value: record.value, headers: { ...record.headers, ...own } };
  const limit = (sizing.maxMessageBytes ?? Number.POSITIVE_INFINITY) - RECORD_BATCH_OVERHEAD_BYTES;
  if (encodedRecordBytes(whole) <= limit) return whole;

  const value = record.value ?? Buffer.alloc(0);
  const empty = Buffer.alloc(0);
  // Room for the value is found with the value's truncation headers in place (left out if it fits whole after all).
  const valueTruncation: Record<string, string> = {
    [DEAD_LETTER_TRUNCATION_HEADERS.valueBytes]: String(value.length),
    [DEAD_LETTER_TRUNCATION_HEADERS.valueSha256]: sha256(value),
  };
  const cut: string[] = [];
  const extra: Record<string, string> = {};
  let original: Readonly<Record<string, string>> = record.headers;
  let key = record.key;
  const headers = (withValue: boolean): Record<string, string> => {
    const all: Record<string, string> = { ...original, ...own, ...extra };
    if (withValue) Object.assign(all, valueTruncation);
    if (withValue || cut.length > 0)
      all[DEAD_LETTER_TRUNCATION_HEADERS.truncated] = [...(withValue ? ['value'] : []), ...cut].join(',');
    return all;
  };
  const bare = () => encodedRecordBytes({ key, value: empty, headers: headers(true) });
  if (bare() > limit && Object.keys(original).length > 0) {
    // The source's own headers leave no room: drop them and say how many there were.
    extra[DEAD_LETTER_TRUNCATION_HEADERS.droppedHeaders] = String(Object.keys(original).length);
    original = {};
    cut.push('headers');
  }
  if (bare() > limit && key !== null && key.length > 0) {
    const fullKey = key;
    extra[DEAD_LETTER_TRUNCATION_HEADERS.keyBytes] = String(fullKey.length);
    extra[DEAD_LETTER_TRUNCATION_HEADERS.keySha256] = sha256(fullKey);
    cut.unshift('key');
    const kept = longestPrefix(
      fullKey.length,
      (n) => encodedRecordBytes({ key: fullKey.subarray(0, n), value: empty, headers: headers(true) }),
      limit,
    );
    key = fullKey.subarray(0, kept);
  }
  if (bare() > limit) {
    throw new RangeError(
      `a dead letter needs more than max.message.bytes ${sizing.maxMessageBytes} for its headers alone`,
    );
  }
  const truncated = headers(true);
  const kept = longestPrefix(
    value.length,
    (n) => encodedRecordBytes({ key, value: value.subarray(0, n), headers: truncated }),
    limit,
  );
  if (kept === value.length) return { key, value: record.value, headers: headers(false) };
  return { key, value: value.subarray(0, kept), headers: truncated };
}

/**
 * Splits dead-letter messages, in order, into produce requests whose messages fit one record batch of
 * `maxMessageBytes` together (kafkajs puts a request's messages for one partition into one batch). A message that
 * alone exceeds the limit (built without it) gets a request of its own.
 *
 * @example
 * for (const messages of deadLetterSends(letters, 1_064_972)) await producer.send({ topic, messages, acks: -1 });
 */
export function deadLetterSends(messages: readonly Message[], maxMessageBytes: number): Message[][] {
  const sends: Message[][] = [];
  let current: Message[] = [];
  let bytes = RECORD_BATCH_OVERHEAD_BYTES;
  for (const message of messages) {
    const size = encodedRecordBytes(message);
    if (current.length > 0 && bytes + size > maxMessageBytes) {
      sends.push(current);
      current = [];
      bytes = RECORD_BATCH_OVERHEAD_BYTES;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

/**
 * An upper bound of the bytes `message` takes in a record batch (magic v2, uncompressed): length, attributes,
 * timestamp and offset deltas at their widest, key, value and headers with their varint lengths.
 */
export function encodedRecordBytes(message: Message): number {
  let body = 1 + 10 + 5; // attributes, timestampDelta (varlong), offsetDelta (varint)
  body += lengthPrefixed(message.key);
  body += lengthPrefixed(message.value);
  const headers = Object.entries(message.headers ?? {});
  body += varintBytes(headers.length);
  for (const [name, value] of headers) {
    body += lengthPrefixed(name);
    const values = Array.isArray(value) ? value : [value];
    // A repeated header is one entry per value, each with its name.
    body += values.reduce<number>((n, v) => n + lengthPrefixed(v ?? null), 0);
    body += (values.length - 1) * lengthPrefixed(name);
  }
  return varintBytes(body) + body;
}

/** Bytes of a zigzag varint holding `n`. */
function varintBytes(n: number): number {
  let zigzag = n >= 0 ? 2 * n : -2 * n - 1;
  let bytes = 1;
  while (zigzag >= 128) {
    zigzag = Math.floor(zigzag / 128);
    bytes++;
  }
  return bytes;
}

function lengthPrefixed(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return varintBytes(-1);
  const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  return varintBytes(length) + length;
}

/** The largest n in [0, max] with size(n) ≤ limit (size grows with n), or 0. */
function longestPrefix(max: number, size: (n: number) => number, limit: number): number {
  let low = 0;
  let high = Math.max(0, max);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (size(mid) <= limit) low = mid;
    else high = mid - 1;
  }
  return low;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
