/**
 * The archiver's state for one assigned partition: the rows of the file being filled (one epoch, contiguous
 * offsets), files closed but not yet published, and how far the stream has been cut. Pure bookkeeping: the
 * archiver publishes what {@link PartitionLog.closedFiles} returns, in order.
 */
import { epochOf } from '@oxbow/contracts';

/** One archived row: the event's fields plus the Kafka columns. */
export type ArchiveRow = Readonly<Record<string, string | number | bigint>>;

/** A file being filled or waiting to be published. */
export interface PendingFile {
  readonly epoch: number;
  readonly firstOffset: bigint;
  lastOffset: bigint;
  readonly rows: ArchiveRow[];
  /** Sum of the records' value sizes (bytes on the wire). */
  bytes: number;
  /** Archiver clock when the first row arrived. */
  readonly openedAtMs: number;
}

/** When a partition's open file is published. */
export interface RollPolicy {
  readonly rollRows: number;
  readonly rollBytes: number;
  readonly rollMs: number;
  readonly epochMs: number;
  /** An open file of an epoch that ended this long ago (wall clock) is published. */
  readonly graceMs: number;
}

/** One record to archive. */
export interface ArchiveInput {
  readonly offset: bigint;
  readonly appendTimeMs: number;
  readonly row: ArchiveRow;
  readonly bytes: number;
}

/**
 * Files of one partition: at most one open, then closed ones in offset order.
 *
 * @example
 * const log = new PartitionLog('http_logs', 0, policy, 0n, undefined);
 * log.append(record, now); // rolls at an epoch change or at rollRows/rollBytes
 * log.rollDue(now);        // at rollMs or once the wall clock left the file's epoch
 * for (const file of log.closedFiles()) { await publish(file); log.markPublished(file); }
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  private readonly policy: RollPolicy;
  /** Where the last cut range ended (the next offset the source hands out). */
  private cutAt: bigint;
  /** Epochs never decrease within a partition, even if append times did (broker clock steps). */
  private lastEpoch: number | undefined;
  private open: PendingFile | undefined;
  private closed: PendingFile[] = [];

  constructor(
    topic: string,
    partition: number,
    policy: RollPolicy,
    start: bigint,
    lastEpoch: number | undefined,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.policy = policy;
    this.cutAt = start;
    this.lastEpoch = lastEpoch;
  }

  /** The offset after the last cut range. */
  get cutOffset(): bigint {
    return this.cutAt;
  }

  /** Every offset below this is published or was dead-lettered (nothing buffered below it). */
  get durableOffset(): bigint {
    return this.closed[0]?.firstOffset ?? this.open?.firstOffset ?? this.cutAt;
  }

  /** Rows buffered in open and closed files. */
  get bufferedRows(): number {
    return this.closed.reduce((sum, file) => sum + file.rows.length, this.open?.rows.length ?? 0);
  }

  /**
   * Starts a cut range. Returns false (and drops everything buffered) when it does not continue the previous one:
   * the source repositioned the partition (rebalance), so the buffered rows will be delivered again.
   */
  beginRange(fromOffset: bigint): boolean {
    if (fromOffset === this.cutAt) return true;
    this.open = undefined;
    this.closed = [];
    this.cutAt = fromOffset;
    return false;
  }

  /** Ends a cut range at `untilOffset` (exclusive). */
  endRange(untilOffset: bigint): void {
    this.cutAt = untilOffset;
  }

  /** Adds a record to the open file, closing it first at an epoch change and after it when it is full. */
  append(input: ArchiveInput, nowMs: number): void {
    let epoch = epochOf(input.appendTimeMs, this.policy.epochMs);
    if (this.lastEpoch !== undefined && epoch < this.lastEpoch) epoch = this.lastEpoch;
    this.lastEpoch = epoch;
    if (this.open && this.open.epoch !== epoch) this.close();
    if (!this.open) {
      this.open = {
        epoch,
        firstOffset: input.offset,
        lastOffset: input.offset,
        rows: [],
        bytes: 0,
        openedAtMs: nowMs,
      };
    }
    const file = this.open;
    file.rows.push(input.row);
    file.lastOffset = input.offset;
    file.bytes += input.bytes;
    if (file.rows.length >= this.policy.rollRows || file.bytes >= this.policy.rollBytes) this.close();
  }

  /** Closes the open file when it is older than `rollMs` or the wall clock has left its epoch (plus grace). */
  rollDue(nowMs: number): void {
    const file = this.open;
    if (!file) return;
    const age = nowMs - file.openedAtMs;
    const epochOver = nowMs >= (file.epoch + 1) * this.policy.epochMs + this.policy.graceMs;
    if (age >= this.policy.rollMs || epochOver) this.close();
  }

  /** Closes the open file, if any (graceful stop). */
  close(): void {
    if (this.open) this.closed.push(this.open);
    this.open = undefined;
  }

  /** The closed files waiting for publication, oldest first (publish them in this order). */
  closedFiles(): readonly PendingFile[] {
    return [...this.closed];
  }

  /** Notes that the oldest closed file is published. */
  markPublished(file: PendingFile): void {
    if (this.closed[0] !== file) throw new Error('files of a partition must be published in offset order');
    this.closed.shift();
  }
}
