/**
 * How often the speed layer pays for what grows with the live views' state rather than with the batch: presenting
 * a live view (collect every row, `present`, one `SET`) and persisting the streaming checkpoint. Both run every
 * batch while they are cheap and back off in proportion to what they cost, so a live view over hundreds of
 * thousands of sessions, or a checkpoint of megabytes, takes a bounded share of the time instead of a fixed cost
 * per batch. Neither changes what is exact: increments never depend on them, a live view's state is updated every
 * batch whether or not it is presented, and a checkpoint that is not persisted is one a crash would not have
 * found either (a restart replays to the live views what they had absorbed since the persisted one).
 */
import { builtInCheckpointStore, type CheckpointStore, type CheckpointStoreFactory } from '@oxbow/dataflow';

/** Presenting or persisting may take at most 1/`COST_FACTOR` of the time. */
export const COST_FACTOR = 10;

/**
 * When a live view is presented: every batch while presenting is cheap; otherwise once `COST_FACTOR` times its
 * last cost has passed (at most `maxGapMs` apart).
 *
 * @example
 * ```ts
 * const cadence = new PresentCadence(30_000);
 * if (cadence.due()) { const started = Date.now(); await present(); cadence.spent(Date.now() - started); }
 * ```
 */
export class PresentCadence {
  private readonly maxGapMs: number;
  private readonly now: () => number;
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastCostMs = 0;

  constructor(maxGapMs: number, now: () => number = Date.now) {
    this.maxGapMs = maxGapMs;
    this.now = now;
  }

  /** Whether to present now. */
  due(): boolean {
    return this.now() - this.lastAt >= Math.min(this.maxGapMs, COST_FACTOR * this.lastCostMs);
  }

  /** Records a presentation that took `costMs`. */
  spent(costMs: number): void {
    this.lastAt = this.now();
    this.lastCostMs = costMs;
  }
}

/** Bounds of {@link CadencedCheckpointStore}. */
export interface CheckpointCadence {
  /** Longest time between two persisted checkpoints (ms). */
  readonly maxIntervalMs: number;
  /** Average checkpoint bytes per second the store may write: a larger checkpoint waits longer. */
  readonly bytesPerSecond: number;
}

/** Persist at least every 10 s, and at most 8 MiB/s of checkpoints on average. */
export const DEFAULT_CHECKPOINT_CADENCE: CheckpointCadence = Object.freeze({
  maxIntervalMs: 10_000,
  bytesPerSecond: 8 * 2 ** 20,
});

/**
 * A checkpoint store that persists the engine's checkpoints on a cadence: one whenever the previous persisted
 * one is older than its size at `bytesPerSecond`, than `COST_FACTOR` times its write took, or than
 * `maxIntervalMs` (whichever is shortest of the first two, capped by the third), and the next one after
 * {@link persistNext}. Checkpoints in between are held in memory (the newest only) and written by {@link flush}.
 * Reading and listing see the persisted checkpoints, as a restarted process would.
 */
export class CadencedCheckpointStore implements CheckpointStore {
  readonly location: string;
  private readonly inner: CheckpointStore;
  private readonly cadence: CheckpointCadence;
  private readonly now: () => number;
  private pending: { name: string; bytes: Uint8Array } | undefined;
  private lastPersistedAt = Number.NEGATIVE_INFINITY;
  private waitMs = 0;
  private forced = true;
  /** Checkpoints persisted and held back, for the status. */
  persisted = 0;
  heldBack = 0;

  constructor(inner: CheckpointStore, cadence: CheckpointCadence, now: () => number = Date.now) {
    this.location = inner.location;
    this.inner = inner;
    this.cadence = cadence;
    this.now = now;
  }

  /** Makes the next checkpoint persist whatever the cadence (e.g. a partition was newly assigned). */
  persistNext(): void {
    this.forced = true;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    if (!this.forced && this.now() - this.lastPersistedAt < this.waitMs) {
      this.pending = { name, bytes };
      this.heldBack++;
      return;
    }
    await this.persist(name, bytes);
  }

  /** Persists the newest checkpoint held back, if any. */
  async flush(): Promise<void> {
    const pending = this.pending;
    if (pending !== undefined) await this.persist(pending.name, pending.bytes);
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    return this.inner.read(name);
  }

  async list(): Promise<string[]> {
    return this.inner.list();
  }

  async delete(name: string): Promise<void> {
    await this.inner.delete(name);
  }

  private async persist(name: string, bytes: Uint8Array): Promise<void> {
    const started = this.now();
    await this.inner.write(name, bytes);
    const finished = this.now();
    this.pending = undefined;
    this.forced = false;
    this.persisted++;
    this.lastPersistedAt = finished;
    const bySize = (bytes.byteLength / this.cadence.bytesPerSecond) * 1000;
    this.waitMs = Math.min(this.cadence.maxIntervalMs, Math.max(bySize, COST_FACTOR * (finished - started)));
  }
}

/**
 * A checkpoint-store factory whose stores are {@link CadencedCheckpointStore}s over `inner`'s (or the engine's
 * built-in ones); `created` is told about each.
 */
export function cadencedCheckpointStores(
  inner: CheckpointStoreFactory,
  cadence: CheckpointCadence,
  created: (store: CadencedCheckpointStore) => void,
): CheckpointStoreFactory {
  return (location) => {
    const store = inner(location) ?? builtInCheckpointStore(location);
    if (store === undefined) return undefined;
    const cadenced = new CadencedCheckpointStore(store, cadence);
    created(cadenced);
    return cadenced;
  };
}
