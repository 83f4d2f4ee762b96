/**
 * The archiver's state for one assigned partition: the file being filled (one epoch, contiguous offsets), files
 * closed but not yet published, and how far the stream has been cut. Pure bookkeeping: where rows go is the
 * {@link FileBody} each file gets (column builders feeding an encoder thread in the archiver, an array in tests);
 * the archiver publishes what {@link PartitionLog.closedFiles} returns, in order.
 */
import { epochOf } from '@oxbow/contracts';

/** Where a file's rows go while it is filled. */
export interface FileBody<Row> {
  /** Takes one row (in offset order). */
  append(row: Row): void;
  /** The file is closed: no more rows will come (the body may start finishing its encoding). */
  close(): void;
  /** The file will never be published (its partition was repositioned or revoked). */
  discard(): void;
}

/** Makes the body of a new file of `epoch`. */
export type FileBodyFactory<Row, Body extends FileBody<Row>> = (epoch: number) => Body;

/** A file being filled or waiting to be published. */
export interface PendingFile<Body = FileBody<unknown>> {
  readonly epoch: number;
  readonly firstOffset: bigint;
  lastOffset: bigint;
  /** Rows appended. */
  rowCount: number;
  /** Sum of the records' value sizes (bytes on the wire). */
  bytes: number;
  /** Archiver clock when the first row arrived. */
  readonly openedAtMs: number;
  readonly body: Body;
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
export interface ArchiveInput<Row> {
  readonly offset: bigint;
  readonly appendTimeMs: number;
  readonly row: Row;
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
export class PartitionLog<Row, Body extends FileBody<Row> = FileBody<Row>> {
  readonly topic: string;
  readonly partition: number;
  private readonly policy: RollPolicy;
  private readonly openBody: FileBodyFactory<Row, Body>;
  /** Where the last cut range ended (the next offset the source hands out). */
  private cutAt: bigint;
  /** Epochs never decrease within a partition, even if append times did (broker clock steps). */
  private lastEpoch: number | undefined;
  private open: PendingFile<Body> | undefined;
  /** Closed, oldest first; the first `publishing` of them are being published. */
  private closed: PendingFile<Body>[] = [];
  private publishing = 0;

  constructor(
    topic: string,
    partition: number,
    policy: RollPolicy,
    start: bigint,
    lastEpoch: number | undefined,
    openBody: FileBodyFactory<Row, Body>,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.policy = policy;
    this.openBody = openBody;
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

  /** The file being filled, if any. */
  get openFile(): PendingFile<Body> | undefined {
    return this.open;
  }

  /** Rows buffered in open and closed files. */
  get bufferedRows(): number {
    return this.closed.reduce((sum, file) => sum + file.rowCount, this.open?.rowCount ?? 0);
  }

  /**
   * Starts a cut range. Returns false (and drops everything buffered) when it does not continue the previous one:
   * the source repositioned the partition (rebalance), so the buffered rows will be delivered again. Files already
   * being published stay (the source resolves a new start only after they settled).
   */
  beginRange(fromOffset: bigint): boolean {
    if (fromOffset === this.cutAt) return true;
    this.discard();
    this.cutAt = fromOffset;
    return false;
  }

  /** Drops the open file and the closed files not yet being published (their bodies are discarded). */
  discard(): void {
    this.open?.body.discard();
    this.open = undefined;
    for (const file of this.closed.splice(this.publishing)) file.body.discard();
  }

  /** Ends a cut range at `untilOffset` (exclusive). */
  endRange(untilOffset: bigint): void {
    this.cutAt = untilOffset;
  }

  /** Adds a record to the open file, closing it first at an epoch change and after it when it is full. */
  append(input: ArchiveInput<Row>, nowMs: number): void {
    let epoch = epochOf(input.appendTimeMs, this.policy.epochMs);
    if (this.lastEpoch !== undefined && epoch < this.lastEpoch) epoch = this.lastEpoch;
    this.lastEpoch = epoch;
    if (this.open && this.open.epoch !== epoch) this.close();
    if (!this.open) {
      this.open = {
        epoch,
        firstOffset: input.offset,
        lastOffset: input.offset,
        rowCount: 0,
        bytes: 0,
        openedAtMs: nowMs,
        body: this.openBody(epoch),
      };
    }
    const file = this.open;
    file.body.append(input.row);
    file.rowCount++;
    file.lastOffset = input.offset;
    file.bytes += input.bytes;
    if (file.rowCount >= this.policy.rollRows || file.bytes >= this.policy.rollBytes) this.close();
  }

  /**
   * Closes the open file when it is older than `rollMs`, or when the wall clock has left its epoch (plus grace)
   * and `caughtUp` says the partition has nothing more to deliver for now. A partition still reading a backlog of
   * an ended epoch keeps filling the file: the next record of a later epoch closes it (see {@link append}), and
   * the epoch cannot be sealed before that anyway.
   */
  rollDue(nowMs: number, caughtUp = true): void {
    const file = this.open;
    if (!file) return;
    const age = nowMs - file.openedAtMs;
    const epochOver = nowMs >= (file.epoch + 1) * this.policy.epochMs + this.policy.graceMs;
    if (age >= this.policy.rollMs || (epochOver && caughtUp)) this.close();
  }

  /** Closes the open file, if any (graceful stop). */
  close(): void {
    if (this.open) {
      this.open.body.close();
      this.closed.push(this.open);
    }
    this.open = undefined;
  }

  /** The closed files waiting for publication, oldest first (publish them in this order). */
  closedFiles(): readonly PendingFile<Body>[] {
    return this.closed.slice(this.publishing);
  }

  /**
   * Takes the closed files not yet being published, oldest first, and notes them as being published: publish
   * them in this order and call {@link markPublished} for each.
   */
  takeClosed(): PendingFile<Body>[] {
    const files = this.closed.slice(this.publishing);
    this.publishing = this.closed.length;
    return files;
  }

  /** Notes that the oldest closed file is published. */
  markPublished(file: PendingFile<Body>): void {
    if (this.closed[0] !== file) throw new Error('files of a partition must be published in offset order');
    this.closed.shift();
    if (this.publishing > 0) this.publishing--;
  }
}
