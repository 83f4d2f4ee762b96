/**
 * Kafka offsets as exact int64 values. The public API carries offsets as canonical decimal strings (what kafkajs
 * returns, JSON-safe, exact beyond 2^53); arithmetic happens on `bigint` inside.
 */
import { KafkaSourceError } from './kafka-source-error.ts';

/**
 * A Kafka offset: a canonical non-negative decimal string (`'0'`, `'42'`, no sign, no leading zeros), exact to int64.
 * Compare offsets with {@link compareOffsets}, never with `<` on strings.
 */
export type Offset = string;

/**
 * The records `[fromOffset, untilOffset)` of one topic partition, like Spark's `OffsetRange`. Ranges cut one after
 * another from a partition are contiguous: the next range starts at this one's `untilOffset`. A range may span
 * offsets that hold no record (transaction markers, compacted records), so its size can exceed its record count.
 */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  /** First offset of the range (inclusive). */
  readonly fromOffset: Offset;
  /** Offset after the range (exclusive): the offset the application commits once the range is processed. */
  readonly untilOffset: Offset;
}

const INT64_MAX = 2n ** 63n - 1n;
const CANONICAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses an offset string (or bigint) into a bigint, rejecting negatives, non-integers and values beyond int64.
 *
 * @example
 * parseOffset('9007199254740993'); // 9007199254740993n, exact
 */
export function parseOffset(offset: string | bigint): bigint {
  if (typeof offset === 'bigint') {
    if (offset < 0n || offset > INT64_MAX) throw badOffset(String(offset));
    return offset;
  }
  if (!CANONICAL.test(offset)) throw badOffset(offset);
  const value = BigInt(offset);
  if (value > INT64_MAX) throw badOffset(offset);
  return value;
}

/** Formats a bigint offset as its canonical decimal string. */
export function formatOffset(offset: bigint): Offset {
  return parseOffset(offset).toString();
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function compareOffsets(a: Offset, b: Offset): number {
  const x = parseOffset(a);
  const y = parseOffset(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The number of offsets a range spans (`until - from`), as a bigint. */
export function offsetRangeSize(range: OffsetRange): bigint {
  return parseOffset(range.untilOffset) - parseOffset(range.fromOffset);
}

/** `topic:partition`, the key used for per-partition maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function badOffset(offset: string): KafkaSourceError {
  return new KafkaSourceError(
    'OXBOW_KAFKA_BAD_OFFSET',
    `not a Kafka offset (a non-negative int64): '${offset}'`,
  );
}
