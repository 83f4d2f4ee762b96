/**
 * Kafka offsets compared as the canonical decimal strings records carry, without a `BigInt` per record: a longer
 * string is a larger offset, strings of one length compare by their characters.
 */
import type { KafkaRecord } from '@oxbow/connectors';

/**
 * Compares two canonical decimal offsets: negative, zero or positive as `a` is below, equal to or above `b`.
 *
 * @example
 * ```ts
 * compareDecimalOffsets('99', '100'); // < 0
 * ```
 */
export function compareDecimalOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The index of the first of `records` (in offset order) at or after `offset`: `records.length` when none is.
 *
 * @example
 * ```ts
 * firstAtOrAfter(partitionRecords, '1500'); // records before it were committed already
 * ```
 */
export function firstAtOrAfter(
  records: ReadonlyArray<Pick<KafkaRecord<unknown>, 'offset'>>,
  offset: string,
): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareDecimalOffsets((records[middle] as { offset: string }).offset, offset) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
