/**
 * Per-partition bookkeeping of the direct source: the records fetched but not yet cut, where the last cut ended and
 * where fetching continues. Pure (no Kafka): the source feeds it fetched records and cuts ranges from it.
 */
import type { OffsetRange } from './offsets.ts';

/** One fetched record as the buffer keeps it: original bytes, exact offset. */
export interface BufferedRecord {
  readonly offset: bigint;
  /** The offset as the client gave it (canonical decimal), when it did: saves a conversion per record. */
  readonly offsetText?: string;
  /** Milliseconds since the epoch (the broker's append time on LogAppendTime topics). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a cut took from a partition: its range and the records in it, in offset order. */
export interface PartitionCut {
  readonly range: OffsetRange;
  readonly records: readonly BufferedRecord[];
}

/**
 * The fetch state of one assigned partition.
 *
 * Invariants: `cutOffset ≤` every buffered offset `< position`; buffered offsets strictly increase; a cut returns
 * `[cutOffset, until)` and moves `cutOffset` to `until`, so consecutive cuts are contiguous. `position` is the next
 * offset to fetch; it may pass offsets that hold no record (transaction markers), and a cut that drains the buffer
 * ends at `position` so those offsets are covered by a range too.
 *
 * @example
 * const buffer = new PartitionBuffer('events', 0, 10n);
 * buffer.append(10n, records, 14n);   // offsets 10..14 fetched
 * buffer.cut(3);                      // range [10, 13)
 * buffer.cut(100);                    // range [13, 15)
 */
export class PartitionBuffer {
  readonly topic: string;
  readonly partition: number;
  private cutAt: bigint;
  private nextFetch: bigint;
  private records: BufferedRecord[] = [];
  private head = 0;
  private highWatermarkSeen: bigint | undefined;

  constructor(topic: string, partition: number, start: bigint) {
    this.topic = topic;
    this.partition = partition;
    this.cutAt = start;
    this.nextFetch = start;
  }

  /** Where the next cut starts (the previous cut's `until`). */
  get cutOffset(): bigint {
    return this.cutAt;
  }

  /** The next offset to fetch. */
  get position(): bigint {
    return this.nextFetch;
  }

  /** Records fetched and not yet cut. */
  get bufferedCount(): number {
    return this.records.length - this.head;
  }

  /** The last high watermark a fetch reported, if any. */
  get highWatermark(): bigint | undefined {
    return this.highWatermarkSeen;
  }

  /** Offsets between the last cut and the high watermark (at least the buffered records). */
  lag(): bigint {
    const byWatermark = this.highWatermarkSeen === undefined ? 0n : this.highWatermarkSeen - this.cutAt;
    const buffered = BigInt(this.bufferedCount);
    return byWatermark > buffered ? byWatermark : buffered;
  }

  /**
   * Appends fetched records. Records below `position` are duplicates of what is already buffered or cut and are
   * dropped; the rest must strictly increase. `lastOffset` is the last offset the fetch covered (it may be a
   * transaction marker after the last record): `position` moves past it.
   *
   * @returns how many records were appended
   */
  append(records: readonly BufferedRecord[], lastOffset?: bigint, highWatermark?: bigint): number {
    let appended = 0;
    for (const record of records) {
      if (record.offset < this.nextFetch) continue;
      this.records.push(record);
      this.nextFetch = record.offset + 1n;
      appended++;
    }
    if (lastOffset !== undefined && lastOffset + 1n > this.nextFetch) this.nextFetch = lastOffset + 1n;
    if (highWatermark !== undefined) this.highWatermarkSeen = highWatermark;
    return appended;
  }

  /**
   * Cuts up to `maxRecords` buffered records (at least one is asked for). When the buffer drains, the range ends at
   * `position`; otherwise after the last record taken. Returns `undefined` when the range would be empty.
   */
  cut(maxRecords: number): PartitionCut | undefined {
    const take = Math.max(0, Math.min(Math.floor(maxRecords), this.bufferedCount));
    const taken = this.records.slice(this.head, this.head + take);
    this.head += take;
    const drained = this.bufferedCount === 0;
    const last = taken[taken.length - 1];
    const until = drained ? this.nextFetch : last === undefined ? this.cutAt : last.offset + 1n;
    if (drained) {
      this.records = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    if (until === this.cutAt) return undefined;
    const range: OffsetRange = {
      topic: this.topic,
      partition: this.partition,
      fromOffset: this.cutAt.toString(),
      untilOffset: until.toString(),
    };
    this.cutAt = until;
    return { range, records: taken };
  }
}
