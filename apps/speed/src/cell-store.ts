/**
 * The states of the speed layer's cells — one per (view, epoch, Kafka partition, key, bucket), one Redis hash
 * field each — kept in memory between micro-batches. The speed layer is the only writer of its partitions' cells
 * (a commit refuses unless the partition's stored offset is where the batch started), so once a cell's state is
 * known it stays equal to Redis's for as long as this process's commits of that partition succeed: a batch folds
 * its events into the cached states in place and writes only the new states of the cells it changed.
 *
 * What is not in memory is loaded on demand: a cell first touched in a group (view, epoch, partition) that is not
 * known to be complete gets its stored state read (`HMGET`, pipelined) and merged with what the batch folded into
 * it. A partition positioned from a base (the manifest's end offsets or the earliest offset, because Redis held
 * no offset for it in this generation) has no stored cells, so its groups start complete and nothing is read.
 * A partition positioned again from Redis (start, rebalance, refused batch) starts over: {@link CellStore.reset}.
 * Memory is bounded by evicting the least recently touched groups (old epochs first in practice: epochs follow
 * the append time, so only the newest one is written at steady state); an evicted group is read again on demand.
 */

import { execCommands, type RedisClient, type RedisCommand } from '@oxbow/connectors';
import type { RedisLayout } from '@oxbow/contracts';
import type { Aggregator } from '@oxbow/dataflow';
import type { AnyEvent } from '@oxbow/views';
import { SpeedError } from './errors.ts';

/** A maintained view as the fused fold runs it. */
export interface FoldView {
  /** Its position among the service's views (stable for the life of a cell store). */
  readonly slot: number;
  readonly name: string;
  readonly bucketMs: number;
  readonly keyOf: (event: AnyEvent) => string;
  readonly timeOf: (event: AnyEvent) => number;
  readonly filter: ((event: AnyEvent) => boolean) | undefined;
  readonly aggregator: Aggregator<AnyEvent, unknown, unknown>;
}

/** One cell: a hash field `<bucketStartMs>` of `rt:<view>:<epoch>:<partition>:<key>`. */
export interface Cell {
  state: unknown;
  readonly bucket: number;
  readonly row: CellRow;
  /** The batch that last changed the state (its change is uncommitted while that batch runs). */
  changedIn: number;
  /** True until the stored state has been read and merged in (first touched in an incomplete group). */
  needsBase: boolean;
  /** Estimated bytes in memory. */
  bytes: number;
}

/** The cells of one view key in one group: one Redis hash. */
export interface CellRow {
  readonly key: string;
  readonly redisKey: string;
  readonly group: CellGroup;
  readonly buckets: Map<number, Cell>;
  /** True until a commit added the key to the epoch's key index (`SADD`, idempotent). */
  indexPending: boolean;
}

/** Estimated bytes of a cell besides its encoded state (objects, map entries, the decoded state's overhead). */
export const CELL_OVERHEAD_BYTES = 1_024;

/**
 * Estimated bytes in memory of a cell whose state encodes to `encodedBytes`: decoded states are larger than their
 * bytes (objects, `Map` entries of quantile sketches). Calibrated on the web-analytics example, whose cells took
 * about 1.2 KiB of heap each for about 180 encoded bytes (docs/benchmarks.md, streaming).
 */
export function cellBytesOf(encodedBytes: number): number {
  return CELL_OVERHEAD_BYTES + 3 * encodedBytes;
}

/** The cells of one (view, epoch, partition). */
export class CellGroup {
  readonly view: FoldView;
  readonly epoch: number;
  readonly cells: PartitionCells;
  readonly rows = new Map<string, CellRow>();
  /** True when every cell of the group that Redis holds is in memory (nothing to read on a first touch). */
  readonly complete: boolean;
  /** The batch sequence number that last touched the group. */
  lastTouched = 0;
  /** Estimated bytes of its cells. */
  bytes = 0;
  size = 0;

  constructor(view: FoldView, epoch: number, cells: PartitionCells, complete: boolean) {
    this.view = view;
    this.epoch = epoch;
    this.cells = cells;
    this.complete = complete;
  }

  /** The cell of `key` and `bucket`, created (with the aggregator's zero) when new. */
  cell(key: string, bucket: number, batch: BatchChanges): Cell {
    let row = this.rows.get(key);
    if (row === undefined) {
      row = {
        key,
        redisKey: this.cells.store.layout.increments(this.view.name, this.epoch, this.cells.partition, key),
        group: this,
        buckets: new Map(),
        indexPending: true,
      };
      this.rows.set(key, row);
    }
    let cell = row.buckets.get(bucket);
    if (cell === undefined) {
      cell = {
        state: this.view.aggregator.zero,
        bucket,
        row,
        changedIn: 0,
        needsBase: !this.complete,
        bytes: CELL_OVERHEAD_BYTES,
      };
      row.buckets.set(bucket, cell);
      this.size++;
      this.bytes += cell.bytes;
      this.cells.store.account(cell.bytes, 1);
      if (cell.needsBase) batch.needingBase.push(cell);
    }
    return cell;
  }
}

/** The groups of one Kafka partition. */
export class PartitionCells {
  readonly store: CellStore;
  readonly topic: string;
  readonly partition: number;
  /**
   * True when Redis holds no cell of the partition that is not in memory (it was positioned from a base in this
   * generation): its new groups start complete, except those evicted since.
   */
  readonly authoritative: boolean;
  /** slot → epoch → group. */
  readonly groups = new Map<number, Map<number, CellGroup>>();
  /** Groups evicted from an authoritative partition (`slot:epoch`): recreated incomplete. */
  private readonly evicted = new Set<string>();

  constructor(store: CellStore, topic: string, partition: number, authoritative: boolean) {
    this.store = store;
    this.topic = topic;
    this.partition = partition;
    this.authoritative = authoritative;
  }

  /** The group of `view` and `epoch`, created when new. */
  group(view: FoldView, epoch: number): CellGroup {
    let epochs = this.groups.get(view.slot);
    if (epochs === undefined) {
      epochs = new Map();
      this.groups.set(view.slot, epochs);
    }
    let group = epochs.get(epoch);
    if (group === undefined) {
      const complete = this.authoritative && !this.evicted.has(`${view.slot}:${epoch}`);
      group = new CellGroup(view, epoch, this, complete);
      epochs.set(epoch, group);
    }
    return group;
  }

  /** Forgets a group (its cells are read again from Redis when touched). */
  drop(group: CellGroup, evicted: boolean): void {
    const epochs = this.groups.get(group.view.slot);
    if (epochs?.get(group.epoch) !== group) return;
    epochs.delete(group.epoch);
    if (epochs.size === 0) this.groups.delete(group.view.slot);
    if (evicted && this.authoritative) this.evicted.add(`${group.view.slot}:${group.epoch}`);
    this.store.account(-group.bytes, -group.size);
  }

  /** Every group. */
  *allGroups(): Generator<CellGroup> {
    for (const epochs of this.groups.values()) yield* epochs.values();
  }
}

/** The cells one batch changed, and those of them whose stored state must still be read. */
export interface BatchChanges {
  /** The batch's sequence number (cells changed by it have `changedIn` equal to it). */
  readonly sequence: number;
  readonly changed: Cell[];
  readonly needingBase: Cell[];
}

/** What a cell store holds. */
export interface CellStoreStats {
  readonly cells: number;
  readonly estimatedBytes: number;
  readonly partitions: number;
  /** Groups evicted since the store was created. */
  readonly evictedGroups: number;
}

/** Hash fields read per pipelined round trip of {@link CellStore.loadBases} (a hash is never split). */
export const MAX_FIELDS_PER_READ = 10_000;

/** The cached cell states of one speed service's partitions (one store per started context). */
export class CellStore {
  readonly layout: RedisLayout;
  /** Past this many estimated bytes, the least recently touched groups are evicted after a commit. */
  readonly budgetBytes: number;
  private readonly partitions = new Map<string, PartitionCells>();
  private sequence = 0;
  private totalBytes = 0;
  private totalCells = 0;
  private evictions = 0;

  constructor(layout: RedisLayout, budgetBytes: number) {
    this.layout = layout;
    this.budgetBytes = budgetBytes;
  }

  /** Adds to the estimated totals (cells call it as they grow). */
  account(bytes: number, cells: number): void {
    this.totalBytes += bytes;
    this.totalCells += cells;
  }

  /** What the store holds. */
  stats(): CellStoreStats {
    return {
      cells: this.totalCells,
      estimatedBytes: this.totalBytes,
      partitions: this.partitions.size,
      evictedGroups: this.evictions,
    };
  }

  /**
   * Starts a partition over: called whenever the partition is (re)positioned (assigned, or repositioned after a
   * refused batch). `authoritative` when it starts from a base because Redis holds no offset (and therefore no
   * cell) of it in this generation; otherwise its cells are read from Redis as they are touched.
   */
  reset(topic: string, partition: number, authoritative: boolean): void {
    const key = `${topic}\u0000${partition}`;
    const previous = this.partitions.get(key);
    if (previous !== undefined) for (const group of [...previous.allGroups()]) previous.drop(group, false);
    this.partitions.set(key, new PartitionCells(this, topic, partition, authoritative));
  }

  /** The cells of a partition (a partition never reset is read from Redis on demand). */
  partition(topic: string, partition: number): PartitionCells {
    const key = `${topic}\u0000${partition}`;
    let cells = this.partitions.get(key);
    if (cells === undefined) {
      cells = new PartitionCells(this, topic, partition, false);
      this.partitions.set(key, cells);
    }
    return cells;
  }

  /** A new batch's change list. */
  beginBatch(): BatchChanges {
    this.sequence++;
    return { sequence: this.sequence, changed: [], needingBase: [] };
  }

  /**
   * Reads the stored states of the cells that need them (one `HMGET` per hash, pipelined in round trips of about
   * {@link MAX_FIELDS_PER_READ} fields) and merges each into what the batch folded: `stored ⊕ delta`.
   */
  async loadBases(redis: RedisClient, batch: BatchChanges): Promise<number> {
    const byRow = new Map<CellRow, Cell[]>();
    for (const cell of batch.needingBase) {
      if (!cell.needsBase) continue;
      const list = byRow.get(cell.row);
      if (list === undefined) byRow.set(cell.row, [cell]);
      else list.push(cell);
    }
    const rows = [...byRow.entries()];
    let loaded = 0;
    for (let first = 0; first < rows.length; ) {
      const commands: RedisCommand[] = [];
      let fields = 0;
      let end = first;
      for (; end < rows.length && (end === first || fields < MAX_FIELDS_PER_READ); end++) {
        const [row, cells] = rows[end] as [CellRow, Cell[]];
        const args: string[] = [row.redisKey];
        for (const cell of cells) args.push(String(cell.bucket));
        commands.push({ name: 'hmget', args, buffer: true });
        fields += cells.length;
      }
      const replies = await execCommands(redis, commands);
      for (let r = first; r < end; r++) {
        const [row, cells] = rows[r] as [CellRow, Cell[]];
        const [error, stored] = replies[r - first] ?? [new Error('no reply'), null];
        if (error) {
          throw new SpeedError('OXBOW_SPEED_REDIS', `cannot read ${row.redisKey}`, {
            cause: error,
            retriable: true,
          });
        }
        const values = stored as Array<Buffer | null>;
        const aggregator = row.group.view.aggregator;
        cells.forEach((cell, f) => {
          const bytes = values[f];
          cell.needsBase = false;
          if (bytes === null || bytes === undefined) return;
          try {
            cell.state = aggregator.plus(aggregator.codec.deserialize(bytes), cell.state);
          } catch (cause) {
            throw new SpeedError(
              'OXBOW_SPEED_REDIS',
              `${row.redisKey} field ${cell.bucket}: unreadable state`,
              {
                cause,
              },
            );
          }
          loaded++;
        });
      }
      first = end;
    }
    return loaded;
  }

  /** Records what a committed batch wrote: sizes, index entries and epochs are now in Redis. */
  committed(batch: BatchChanges, encodedBytes: readonly number[]): void {
    batch.changed.forEach((cell, index) => {
      const bytes = cellBytesOf(encodedBytes[index] ?? 0);
      const group = cell.row.group;
      group.bytes += bytes - cell.bytes;
      this.account(bytes - cell.bytes, 0);
      cell.bytes = bytes;
      cell.row.indexPending = false;
    });
  }

  /** Forgets every group of epochs ≤ `watermarkEpoch` (the batch views serve them). */
  expire(watermarkEpoch: number): void {
    for (const cells of this.partitions.values()) {
      for (const group of [...cells.allGroups()]) if (group.epoch <= watermarkEpoch) cells.drop(group, false);
    }
  }

  /**
   * Evicts the least recently touched groups (ties: older epochs first) until the estimate is under three
   * quarters of the budget, when it is over the budget. Returns how many groups went.
   */
  evictIfOverBudget(): number {
    if (this.totalBytes <= this.budgetBytes) return 0;
    const groups: CellGroup[] = [];
    for (const cells of this.partitions.values()) for (const group of cells.allGroups()) groups.push(group);
    groups.sort((a, b) => a.lastTouched - b.lastTouched || a.epoch - b.epoch);
    let evicted = 0;
    for (const group of groups) {
      if (this.totalBytes <= this.budgetBytes * 0.75) break;
      group.cells.drop(group, true);
      evicted++;
    }
    this.evictions += evicted;
    return evicted;
  }
}
