/**
 * `/top` without a scan over every key per request. A ranking holds, for one batch version and one bucket range,
 * every key's total value per rankable field and the keys sorted by it (for all time: built with the version,
 * see batch-model.ts; for another range: built once, in slices, when first asked, and kept while the version
 * is). Realtime increments change only the keys they touch: an overlay keeps those keys' merged totals
 * (batch ⊕ realtime), updated from the mirror's log of changed keys once per micro-batch. The top N of a field is
 * then the merge of the batch order (skipping touched keys) with the touched keys sorted — O(N + touched keys),
 * independent of the number of keys.
 */
import { type BatchViewModel, compareRanked, rankOrder } from './batch-model.ts';
import { BytePool } from './byte-pool.ts';
import { Pacer } from './pacer.ts';
import type { RealtimeView } from './realtime-mirror.ts';
import type { PresentedValue, ViewAccumulator, ViewStateOps } from './state-ops.ts';

/** A bucket range, `[fromMs, toMs)`; absent bounds are unbounded. */
export interface BucketBounds {
  readonly fromMs: number | undefined;
  readonly toMs: number | undefined;
}

const NO_BYTES = new Uint8Array(0);

/** The most keys `/top` returns. */
export const MAX_TOP_LIMIT = 1000;

function inBounds(bucket: number, bounds: BucketBounds): boolean {
  return (
    (bounds.fromMs === undefined || bucket >= bounds.fromMs) &&
    (bounds.toMs === undefined || bucket < bounds.toMs)
  );
}

/** The batch part of a ranking: every key with states in the range, its total and values, sorted per field. */
export interface RankingBase {
  readonly ops: ViewStateOps;
  readonly bounds: BucketBounds;
  /** Key indexes of the ranking (model indexes). */
  readonly size: number;
  /** The model index of `key` if it has states in the range, else -1. */
  keyIndex(key: string): number;
  keyAt(index: number): string;
  /** Key indexes sorted by rankable `rankable` (descending, ties by key, missing values last). */
  order(rankable: number): Uint32Array;
  /** Key `index`'s total value of rankable `rankable` (NaN: none). */
  rank(index: number, rankable: number): number;
  /** The total JSON of key `index` over the range (distinct counts rounded unless `raw`). */
  totalJson(index: number, raw: boolean): Uint8Array | string;
  /** Merges key `index`'s batch states in the range into `accumulator`. */
  addBatch(index: number, accumulator: ViewAccumulator): void;
}

/** All time: the model's own totals and orders. */
export class AllTimeRanking implements RankingBase {
  readonly ops: ViewStateOps;
  readonly bounds: BucketBounds = { fromMs: undefined, toMs: undefined };
  readonly #model: BatchViewModel;

  constructor(model: BatchViewModel) {
    this.#model = model;
    this.ops = model.ops;
  }

  get size(): number {
    return this.#model.keyCount;
  }

  keyIndex(key: string): number {
    return this.#model.keyIndex(key);
  }

  keyAt(index: number): string {
    return this.#model.keyAt(index);
  }

  order(rankable: number): Uint32Array {
    return this.#model.order(rankable);
  }

  rank(index: number, rankable: number): number {
    return this.#model.rank(rankable, index);
  }

  totalJson(index: number, raw: boolean): Uint8Array | string {
    if (!raw) return this.#model.totalJson(index);
    const accumulator = this.ops.scratch;
    accumulator.reset();
    accumulator.addBytes(this.#model.totalState(index));
    return this.ops.render(accumulator.present(), true);
  }

  addBatch(index: number, accumulator: ViewAccumulator): void {
    accumulator.addBytes(this.#model.totalState(index));
  }
}

/** Another range: built once from the model's cells (in slices), then kept with the version. */
export class RangeRanking implements RankingBase {
  readonly ops: ViewStateOps;
  readonly bounds: BucketBounds;
  readonly #model: BatchViewModel;
  /** Model index → the ranking's slot (-1: no states in the range). */
  readonly #slot: Int32Array;
  readonly #members: Uint32Array;
  readonly #pool: BytePool;
  readonly #at: {
    chunk: Uint16Array;
    offset: Uint32Array;
    stateLength: Uint32Array;
    jsonLength: Uint32Array;
  };
  readonly #orders: Uint32Array[];
  readonly #values: Float64Array[];

  private constructor(
    model: BatchViewModel,
    bounds: BucketBounds,
    parts: {
      slot: Int32Array;
      members: Uint32Array;
      pool: BytePool;
      at: { chunk: Uint16Array; offset: Uint32Array; stateLength: Uint32Array; jsonLength: Uint32Array };
      orders: Uint32Array[];
      values: Float64Array[];
    },
  ) {
    this.#model = model;
    this.ops = model.ops;
    this.bounds = bounds;
    this.#slot = parts.slot;
    this.#members = parts.members;
    this.#pool = parts.pool;
    this.#at = parts.at;
    this.#orders = parts.orders;
    this.#values = parts.values;
  }

  /**
   * Merges every key's cells in `bounds` (cost ∝ cells in the range; in slices of a few ms, stopped when
   * `signal` aborts) and sorts the keys per rankable field.
   */
  static async build(
    model: BatchViewModel,
    bounds: BucketBounds,
    signal?: AbortSignal,
  ): Promise<RangeRanking> {
    const pacer = new Pacer(signal);
    const ops = model.ops;
    const accumulator = ops.accumulator();
    const slot = new Int32Array(model.keyCount).fill(-1);
    const members: number[] = [];
    const pool = new BytePool();
    const at = {
      chunk: [] as number[],
      offset: [] as number[],
      stateLength: [] as number[],
      jsonLength: [] as number[],
    };
    const values = ops.rankable.map(() => [] as number[]);
    for (let key = 0; key < model.keyCount; key++) {
      const first =
        bounds.fromMs === undefined ? model.cellStart(key) : model.cellAtOrAfter(key, bounds.fromMs);
      const end = bounds.toMs === undefined ? model.cellEnd(key) : model.cellAtOrAfter(key, bounds.toMs);
      if (first < end) {
        accumulator.reset();
        for (let cell = first; cell < end; cell++) accumulator.addBytes(model.cellState(cell));
        const presented = accumulator.present();
        // Only the total's JSON is kept; a key realtime touches is merged again from its cells (addBatch).
        const stored = pool.appendPair(NO_BYTES, ops.render(presented, false));
        slot[key] = members.length;
        members.push(key);
        at.chunk.push(stored.chunk);
        at.offset.push(stored.offset);
        at.stateLength.push(0);
        at.jsonLength.push(stored.textBytes);
        for (let rankable = 0; rankable < values.length; rankable++) {
          values[rankable]?.push(ops.rankOf(presented, rankable));
        }
      }
      if (pacer.due()) await pacer.yield();
    }
    pool.seal();
    const memberArray = Uint32Array.from(members);
    const orders: Uint32Array[] = [];
    for (const column of values) {
      await pacer.yield();
      const byKey = new Float64Array(model.keyCount).fill(Number.NaN);
      column.forEach((value, index) => {
        byKey[memberArray[index] as number] = value;
      });
      orders.push(rankOrder(byKey, model.keyRank, memberArray));
    }
    return new RangeRanking(model, bounds, {
      slot,
      members: memberArray,
      pool,
      at: {
        chunk: Uint16Array.from(at.chunk),
        offset: Uint32Array.from(at.offset),
        stateLength: Uint32Array.from(at.stateLength),
        jsonLength: Uint32Array.from(at.jsonLength),
      },
      orders,
      values: values.map((column) => Float64Array.from(column)),
    });
  }

  get size(): number {
    return this.#members.length;
  }

  keyIndex(key: string): number {
    const index = this.#model.keyIndex(key);
    return index >= 0 && (this.#slot[index] as number) >= 0 ? index : -1;
  }

  keyAt(index: number): string {
    return this.#model.keyAt(index);
  }

  order(rankable: number): Uint32Array {
    return this.#orders[rankable] as Uint32Array;
  }

  rank(index: number, rankable: number): number {
    const slot = this.#slot[index] as number;
    return slot < 0 ? Number.NaN : ((this.#values[rankable] as Float64Array)[slot] as number);
  }

  totalJson(index: number, raw: boolean): Uint8Array | string {
    const slot = this.#slot[index] as number;
    if (!raw) {
      return this.#pool.view(
        this.#at.chunk[slot] as number,
        (this.#at.offset[slot] as number) + (this.#at.stateLength[slot] as number),
        this.#at.jsonLength[slot] as number,
      );
    }
    const accumulator = this.ops.scratch;
    accumulator.reset();
    this.addBatch(index, accumulator);
    return this.ops.render(accumulator.present(), true);
  }

  addBatch(index: number, accumulator: ViewAccumulator): void {
    const model = this.#model;
    const first =
      this.bounds.fromMs === undefined
        ? model.cellStart(index)
        : model.cellAtOrAfter(index, this.bounds.fromMs);
    const end =
      this.bounds.toMs === undefined ? model.cellEnd(index) : model.cellAtOrAfter(index, this.bounds.toMs);
    for (let cell = first; cell < end; cell++) accumulator.addBytes(model.cellState(cell));
  }
}

/** A realtime-touched key's merged total in a ranking's range. */
interface Touched {
  readonly key: string;
  readonly presented: PresentedValue;
  readonly ranks: Float64Array;
}

/** One ranked answer row: a key and its total value's JSON. */
export interface RankedKey {
  readonly key: string;
  readonly json: Uint8Array | string;
}

/**
 * The realtime part of a ranking: every key with increments after the watermark in the range, with its merged
 * total. Follows the mirror view's change log; rebuilt from scratch when the log was trimmed past it or the
 * mirror was reloaded.
 */
export class RankingOverlay {
  readonly base: RankingBase | undefined;
  readonly ops: ViewStateOps;
  readonly bounds: BucketBounds;
  readonly watermark: number | undefined;
  readonly #touched = new Map<string, Touched>();
  #view: RealtimeView | undefined;
  #cursor = -1;
  /** Changes whenever a touched key changed. */
  version = 0;
  readonly #sorted = new Map<number, { version: number; rows: Touched[] }>();
  readonly #accumulator: ViewAccumulator;

  constructor(
    ops: ViewStateOps,
    base: RankingBase | undefined,
    bounds: BucketBounds,
    watermark: number | undefined,
  ) {
    this.ops = ops;
    this.base = base;
    this.bounds = bounds;
    this.watermark = watermark;
    this.#accumulator = ops.accumulator();
  }

  /**
   * Brings the touched keys up to date with `view` (the mirror's current view of increments), in slices; one
   * update at a time, shared by the requests that ask meanwhile.
   */
  async update(view: RealtimeView | undefined): Promise<void> {
    while (this.#updating !== undefined) await this.#updating;
    if (
      view === this.#view &&
      (view === undefined || this.#cursor === view.changesBase + view.changes.length)
    )
      return;
    this.#updating = this.#update(view).finally(() => {
      this.#updating = undefined;
    });
    await this.#updating;
  }

  #updating: Promise<void> | undefined;

  async #update(view: RealtimeView | undefined): Promise<void> {
    const pacer = new Pacer();
    if (view === undefined) {
      if (this.#touched.size > 0) {
        this.#touched.clear();
        this.version++;
      }
      this.#view = undefined;
      return;
    }
    const end = view.changesBase + view.changes.length;
    if (this.#view !== view || this.#cursor < view.changesBase) {
      this.#view = view;
      this.#touched.clear();
      for (const key of [...view.keys.keys()]) {
        this.#refresh(view, key);
        if (pacer.due()) await pacer.yield();
      }
    } else {
      const changed = new Set(view.changes.slice(this.#cursor - view.changesBase, end - view.changesBase));
      for (const key of changed) {
        this.#refresh(view, key);
        if (pacer.due()) await pacer.yield();
      }
    }
    this.#cursor = end;
    this.version++;
    // The fields asked for before are sorted here, in this update's slices, not by the next request.
    for (const rankable of this.#sorted.keys()) {
      await pacer.yield();
      this.#sortedBy(rankable);
    }
  }

  #refresh(view: RealtimeView, key: string): void {
    const entry = view.keys.get(key);
    const accumulator = this.#accumulator;
    accumulator.reset();
    if (entry !== undefined) {
      entry.forEachAfter(this.watermark, (bucket, state) => {
        if (inBounds(bucket, this.bounds)) accumulator.addBytes(state);
      });
    }
    if (accumulator.count === 0) {
      this.#touched.delete(key);
      return;
    }
    const index = this.base?.keyIndex(key) ?? -1;
    if (index >= 0) this.base?.addBatch(index, accumulator);
    const presented = accumulator.present();
    const ranks = new Float64Array(this.ops.rankable.length);
    for (let rankable = 0; rankable < ranks.length; rankable++)
      ranks[rankable] = this.ops.rankOf(presented, rankable);
    this.#touched.set(key, { key, presented, ranks });
  }

  /** True when `key` has realtime increments in this overlay. */
  touches(key: string): boolean {
    return this.#touched.has(key);
  }

  /** The best {@link MAX_TOP_LIMIT} touched keys by rankable `rankable` (kept per version). */
  #sortedBy(rankable: number): Touched[] {
    const cached = this.#sorted.get(rankable);
    if (cached !== undefined && cached.version === this.version) return cached.rows;
    const rows = selectBest(this.#touched.values(), MAX_TOP_LIMIT, (a, b) =>
      compareRanked(a.ranks[rankable] as number, a.key, b.ranks[rankable] as number, b.key),
    );
    this.#sorted.set(rankable, { version: this.version, rows });
    return rows;
  }

  /** The `limit` best keys by rankable `rankable`: the batch order and the touched keys, merged. */
  top(rankable: number, limit: number, raw: boolean): RankedKey[] {
    const touched = this.#sortedBy(rankable);
    const base = this.base;
    const order = base?.order(rankable);
    const rows: RankedKey[] = [];
    let next = 0;
    let position = 0;
    const nextBase = (): number => {
      if (base === undefined || order === undefined) return -1;
      while (position < order.length) {
        const index = order[position] as number;
        if (!this.#touched.has(base.keyAt(index))) return index;
        position++;
      }
      return -1;
    };
    while (rows.length < limit) {
      const index = nextBase();
      const candidate = touched[next];
      if (index < 0 && candidate === undefined) break;
      const takeTouched =
        candidate !== undefined &&
        (index < 0 ||
          compareRanked(
            candidate.ranks[rankable] as number,
            candidate.key,
            (base as RankingBase).rank(index, rankable),
            (base as RankingBase).keyAt(index),
          ) <= 0);
      if (takeTouched) {
        rows.push({ key: candidate.key, json: this.ops.render(candidate.presented, raw) });
        next++;
      } else {
        rows.push({
          key: (base as RankingBase).keyAt(index),
          json: (base as RankingBase).totalJson(index, raw),
        });
        position++;
      }
    }
    return rows;
  }
}

/**
 * The `k` best of `items` by `compare` (negative: better), best first, with a bounded heap: O(n log k) instead of
 * sorting everything.
 */
export function selectBest<T>(items: Iterable<T>, k: number, compare: (a: T, b: T) => number): T[] {
  // A max-heap of the kept items by `compare`: its root is the worst kept.
  const heap: T[] = [];
  const worse = (i: number, j: number) => compare(heap[i] as T, heap[j] as T) > 0;
  const swap = (i: number, j: number) => {
    const item = heap[i] as T;
    heap[i] = heap[j] as T;
    heap[j] = item;
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let child = heap.length - 1; child > 0; ) {
        const parent = (child - 1) >> 1;
        if (!worse(child, parent)) break;
        swap(child, parent);
        child = parent;
      }
    } else if (k > 0 && compare(item, heap[0] as T) < 0) {
      heap[0] = item;
      for (let parent = 0; ; ) {
        const left = 2 * parent + 1;
        const right = left + 1;
        let largest = parent;
        if (left < heap.length && worse(left, largest)) largest = left;
        if (right < heap.length && worse(right, largest)) largest = right;
        if (largest === parent) break;
        swap(parent, largest);
        parent = largest;
      }
    }
  }
  return heap.sort(compare);
}
