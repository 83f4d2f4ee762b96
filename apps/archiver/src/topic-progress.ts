/**
 * What the lake says about one topic: per partition the next offset after the highest published `lastOffset`
 * (where the archiver resumes), where each not-yet-sealed epoch starts, and which epoch was sealed last. Built by
 * scanning the lake at start-up and kept current as the archiver publishes.
 */
import type { FileInfo, FileSystem } from '@oxbow/connectors';
import { parseLakePath, topicPrefix } from '@oxbow/contracts';

/** Per partition: what has been published. */
interface PartitionProgress {
  /** Offset after the highest published `lastOffset`. */
  next: bigint;
  /** The highest epoch with a published file. */
  maxEpoch: number;
  /** Epoch → smallest `firstOffset` of the partition's files in that epoch (epochs after the last seal only). */
  readonly epochStarts: Map<number, bigint>;
}

/** The published state of one topic in the lake. */
export class TopicProgress {
  readonly topic: string;
  /** The highest epoch with a `_sealed` marker, if any. */
  lastSealed: number | undefined;
  /** The lowest epoch with a published file, if any (sealing starts there when nothing is sealed yet). */
  firstEpoch: number | undefined;
  private readonly partitions = new Map<number, PartitionProgress>();

  constructor(topic: string) {
    this.topic = topic;
  }

  /**
   * Scans `events/<topic>/` of the lake. Temporary files (a crashed writer's) are returned, not interpreted.
   *
   * @example
   * const { progress } = await TopicProgress.scan(lake, 'http_logs');
   * progress.nextOffset(0); // where partition 0 resumes, e.g. 1200n
   */
  static async scan(
    lake: FileSystem,
    topic: string,
  ): Promise<{ progress: TopicProgress; temporaries: FileInfo[] }> {
    const progress = new TopicProgress(topic);
    const temporaries: FileInfo[] = [];
    for await (const file of lake.list(topicPrefix(topic))) {
      const entry = parseLakePath(file.path);
      if (entry.kind === 'part' && entry.topic === topic) {
        progress.recordPublished(entry.partition, entry.epoch, entry.firstOffset, entry.lastOffset);
      } else if (entry.kind === 'sealed' && entry.topic === topic) {
        progress.recordSealed(entry.epoch);
      } else if (entry.kind === 'temporary') {
        temporaries.push(file);
      }
    }
    progress.prune();
    return { progress, temporaries };
  }

  /** Where `partition` resumes: the offset after the highest published `lastOffset`, else 0. */
  nextOffset(partition: number): bigint {
    return this.partitions.get(partition)?.next ?? 0n;
  }

  /** The highest epoch `partition` has published a file in, if any. */
  maxEpoch(partition: number): number | undefined {
    return this.partitions.get(partition)?.maxEpoch;
  }

  /** Notes a published file. */
  recordPublished(partition: number, epoch: number, firstOffset: bigint, lastOffset: bigint): void {
    let state = this.partitions.get(partition);
    if (!state) {
      state = { next: 0n, maxEpoch: epoch, epochStarts: new Map() };
      this.partitions.set(partition, state);
    }
    if (lastOffset + 1n > state.next) state.next = lastOffset + 1n;
    if (epoch > state.maxEpoch) state.maxEpoch = epoch;
    const start = state.epochStarts.get(epoch);
    if (start === undefined || firstOffset < start) state.epochStarts.set(epoch, firstOffset);
    if (this.firstEpoch === undefined || epoch < this.firstEpoch) this.firstEpoch = epoch;
  }

  /** Adds what another scan found (publications and seals only ever add up). */
  merge(other: TopicProgress): void {
    for (const [partition, state] of other.partitions) {
      for (const [epoch, firstOffset] of state.epochStarts) {
        this.recordPublished(partition, epoch, firstOffset, firstOffset);
      }
      if (state.next > 0n) this.recordPublished(partition, state.maxEpoch, state.next - 1n, state.next - 1n);
    }
    if (other.lastSealed !== undefined) this.recordSealed(other.lastSealed);
    if (
      other.firstEpoch !== undefined &&
      (this.firstEpoch === undefined || other.firstEpoch < this.firstEpoch)
    ) {
      this.firstEpoch = other.firstEpoch;
    }
    this.prune();
  }

  /** Notes a `_sealed` marker. */
  recordSealed(epoch: number): void {
    if (this.lastSealed === undefined || epoch > this.lastSealed) this.lastSealed = epoch;
  }

  /** The next epoch to seal: after the last sealed one, else the first with data; undefined without data. */
  nextEpochToSeal(): number | undefined {
    if (this.lastSealed !== undefined) return this.lastSealed + 1;
    return this.firstEpoch;
  }

  /**
   * The first offset of `partition` in a published file of an epoch after `epoch` (the partition has passed
   * `epoch`), or undefined.
   */
  firstOffsetAfter(partition: number, epoch: number): bigint | undefined {
    const state = this.partitions.get(partition);
    if (!state || state.maxEpoch <= epoch) return undefined;
    let first: bigint | undefined;
    for (const [e, start] of state.epochStarts) {
      if (e > epoch && (first === undefined || start < first)) first = start;
    }
    return first;
  }

  /** Forgets epoch starts that no unsealed epoch needs (keeps the first one after the last seal). */
  prune(): void {
    const sealed = this.lastSealed;
    if (sealed === undefined) return;
    for (const state of this.partitions.values()) {
      for (const epoch of [...state.epochStarts.keys()]) {
        if (epoch > sealed) continue;
        state.epochStarts.delete(epoch);
      }
    }
  }
}
