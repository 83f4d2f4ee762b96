/**
 * One batch view, loaded once into memory when its version is switched to: every (key, bucket) cell's stored
 * state and its presented value (rendered JSON), per key the cells sorted by bucket, per key the merged state and
 * presented value of all its buckets (the all-time total), and per rankable field every key's total value and the
 * keys sorted by it. Requests read this model; the DuckDB file stays the published artifact (and what ad-hoc SQL
 * reads), not the per-request path.
 *
 * Layout: the keys in a `Map` (key → index) and an array; the cells of key i are `[keyStart[i], keyStart[i+1])`,
 * bucket-ascending; each cell's bytes — its state, then its value's JSON — are one entry of a {@link BytePool},
 * addressed by four typed columns. So a cell costs its state and JSON bytes plus 22 bytes, and no JS object.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BytePool, GrowableColumn } from './byte-pool.ts';
import { Pacer } from './pacer.ts';
import { type AnyView, ViewStateOps } from './state-ops.ts';

/** Sizes of a loaded model. */
export interface BatchModelStats {
  readonly keys: number;
  readonly cells: number;
  /** Bytes held by the model's typed arrays and byte pool (keys' strings and map estimated). */
  readonly bytes: number;
  /** Milliseconds the load took (reading DuckDB, presenting every cell, totals, rankings). */
  readonly loadMs: number;
}

/** Cell or key-total addresses in the pool. */
interface Entries {
  readonly chunk: Uint16Array;
  readonly offset: Uint32Array;
  readonly stateLength: Uint32Array;
  readonly jsonLength: Uint32Array;
}

/**
 * A batch view in memory (see the module comment). Immutable once loaded; shared by every request on its version.
 *
 * @example
 * const model = await loadBatchModel(connection, project.view('page_views_hourly'));
 * const key = model.keyIndex('/cart');
 * for (let cell = model.cellStart(key); cell < model.cellEnd(key); cell++) model.cellJson(cell);
 */
export class BatchViewModel {
  readonly view: AnyView;
  readonly ops: ViewStateOps;
  readonly stats: BatchModelStats;
  readonly #keys: readonly string[];
  readonly #index: ReadonlyMap<string, number>;
  readonly #keyStart: Uint32Array;
  readonly #bucket: Float64Array;
  readonly #cells: Entries;
  readonly #totals: Entries;
  readonly #ranks: readonly Float64Array[];
  readonly #orders: Uint32Array[];
  /** Each key's position in JS string order (ties of `/top` are broken by it). */
  readonly keyRank: Uint32Array;
  readonly #pool: BytePool;

  /** Use {@link loadBatchModel}. */
  constructor(parts: {
    view: AnyView;
    ops: ViewStateOps;
    keys: readonly string[];
    index: ReadonlyMap<string, number>;
    keyStart: Uint32Array;
    bucket: Float64Array;
    cells: Entries;
    totals: Entries;
    ranks: readonly Float64Array[];
    orders: Uint32Array[];
    keyRank: Uint32Array;
    pool: BytePool;
    loadMs: number;
  }) {
    this.view = parts.view;
    this.ops = parts.ops;
    this.#keys = parts.keys;
    this.#index = parts.index;
    this.#keyStart = parts.keyStart;
    this.#bucket = parts.bucket;
    this.#cells = parts.cells;
    this.#totals = parts.totals;
    this.#ranks = parts.ranks;
    this.#orders = parts.orders;
    this.keyRank = parts.keyRank;
    this.#pool = parts.pool;
    let keyBytes = 0;
    for (const key of parts.keys) keyBytes += 2 * key.length + 64;
    const arrays = [
      parts.keyStart,
      parts.bucket,
      ...Object.values(parts.cells),
      ...Object.values(parts.totals),
      ...parts.ranks,
      ...parts.orders,
      parts.keyRank,
    ] as ArrayBufferView[];
    this.stats = {
      keys: parts.keys.length,
      cells: parts.bucket.length,
      bytes: parts.pool.allocatedBytes + keyBytes + arrays.reduce((sum, array) => sum + array.byteLength, 0),
      loadMs: parts.loadMs,
    };
  }

  /** The number of keys. */
  get keyCount(): number {
    return this.#keys.length;
  }

  /** The index of `key`, or -1 when the view has no cell of it. */
  keyIndex(key: string): number {
    return this.#index.get(key) ?? -1;
  }

  /** The key at `index`. */
  keyAt(index: number): string {
    return this.#keys[index] as string;
  }

  /** The first cell of key `index`. */
  cellStart(index: number): number {
    return this.#keyStart[index] as number;
  }

  /** One past the last cell of key `index`. */
  cellEnd(index: number): number {
    return this.#keyStart[index + 1] as number;
  }

  /** The first cell of key `index` whose bucket is ≥ `ms` (`cellEnd` when none). */
  cellAtOrAfter(index: number, ms: number): number {
    let low = this.cellStart(index);
    let high = this.cellEnd(index);
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#bucket[middle] as number) < ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The bucket start (ms) of a cell. */
  bucket(cell: number): number {
    return this.#bucket[cell] as number;
  }

  /** The stored state of a cell (codec bytes; a view into the model). */
  cellState(cell: number): Uint8Array {
    const cells = this.#cells;
    return this.#pool.view(
      cells.chunk[cell] as number,
      cells.offset[cell] as number,
      cells.stateLength[cell] as number,
    );
  }

  /** The JSON (UTF-8) of a cell's presented value, distinct counts rounded. */
  cellJson(cell: number): Uint8Array {
    const cells = this.#cells;
    const stateLength = cells.stateLength[cell] as number;
    return this.#pool.view(
      cells.chunk[cell] as number,
      (cells.offset[cell] as number) + stateLength,
      cells.jsonLength[cell] as number,
    );
  }

  /** The merged state of all of key `index`'s buckets. */
  totalState(index: number): Uint8Array {
    const totals = this.#totals;
    return this.#pool.view(
      totals.chunk[index] as number,
      totals.offset[index] as number,
      totals.stateLength[index] as number,
    );
  }

  /** The JSON (UTF-8) of key `index`'s total over all its buckets, distinct counts rounded. */
  totalJson(index: number): Uint8Array {
    const totals = this.#totals;
    return this.#pool.view(
      totals.chunk[index] as number,
      (totals.offset[index] as number) + (totals.stateLength[index] as number),
      totals.jsonLength[index] as number,
    );
  }

  /** Key `index`'s total value of rankable name `rankable` (NaN: none). */
  rank(rankable: number, index: number): number {
    return (this.#ranks[rankable] as Float64Array)[index] as number;
  }

  /** Every key index, by the total value of rankable name `rankable` descending, ties by key, NaN last. */
  order(rankable: number): Uint32Array {
    return this.#orders[rankable] as Uint32Array;
  }
}

/**
 * Sorts key indexes by `values` descending, ties by key (JS string order, given as each key's position in it:
 * `keyRank`), keys without a value (NaN) last: the order `/top` answers in. Compares numbers only.
 */
export function rankOrder(values: Float64Array, keyRank: Uint32Array, indexes?: Uint32Array): Uint32Array {
  const order =
    indexes === undefined
      ? Uint32Array.from({ length: values.length }, (_, index) => index)
      : indexes.slice();
  return order.sort((a, b) => {
    const valueA = values[a] as number;
    const valueB = values[b] as number;
    const missingA = Number.isNaN(valueA);
    const missingB = Number.isNaN(valueB);
    if (missingA !== missingB) return missingA ? 1 : -1;
    if (!missingA && valueA !== valueB) return valueB - valueA;
    return (keyRank[a] as number) - (keyRank[b] as number);
  });
}

/** Each key's position in JS string order (`keys[i] < keys[j]` ⇔ `rank[i] < rank[j]`). */
export function keyRanks(keys: readonly string[]): Uint32Array {
  const sorted = Array.from({ length: keys.length }, (_, index) => index).sort((a, b) => {
    const keyA = keys[a] as string;
    const keyB = keys[b] as string;
    return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
  });
  const ranks = new Uint32Array(keys.length);
  sorted.forEach((key, position) => {
    ranks[key] = position;
  });
  return ranks;
}

/** The `/top` comparison: larger value first, then smaller key; a missing value (NaN) after every value. */
export function compareRanked(valueA: number, keyA: string, valueB: number, keyB: string): number {
  const missingA = Number.isNaN(valueA);
  const missingB = Number.isNaN(valueB);
  if (missingA !== missingB) return missingA ? 1 : -1;
  if (!missingA && valueA !== valueB) return valueB - valueA;
  return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
}

/** Options of {@link loadBatchModel}. */
export interface LoadModelOptions {
  /** Stops the load (with the signal's reason) when aborted. */
  readonly signal?: AbortSignal;
  /** Milliseconds of work between two yields to the event loop (default 4). */
  readonly sliceMs?: number;
}

/**
 * Reads view `view`'s table (`key, bucket, state`) from an open DuckDB connection into a {@link BatchViewModel}:
 * presents every cell once, merges every key's cells into its total, ranks the keys by every rankable field. The
 * work runs in slices of a few milliseconds, so requests answered from the previous version meanwhile keep their
 * latency.
 *
 * @example
 * const model = await loadBatchModel(connection, project.view('page_views_hourly'));
 */
export async function loadBatchModel(
  connection: DuckDBConnection,
  view: AnyView,
  options: LoadModelOptions = {},
): Promise<BatchViewModel> {
  const started = performance.now();
  const pacer = new Pacer(options.signal, options.sliceMs);
  const ops = new ViewStateOps(view);
  const pool = new BytePool();
  const keys: string[] = [];
  const index = new Map<string, number>();
  const cellKey = new GrowableColumn((n) => new Uint32Array(n));
  const bucket = new GrowableColumn((n) => new Float64Array(n));
  const chunk = new GrowableColumn((n) => new Uint16Array(n));
  const offset = new GrowableColumn((n) => new Uint32Array(n));
  const stateLength = new GrowableColumn((n) => new Uint32Array(n));
  const jsonLength = new GrowableColumn((n) => new Uint32Array(n));
  const accumulator = ops.accumulator();
  let sorted = true;
  let lastKey = -1;
  let lastKeyText: string | undefined;
  let lastBucket = Number.NEGATIVE_INFINITY;

  const result = await connection.stream(
    `SELECT key, bucket, state FROM "${view.name.replaceAll('"', '""')}"`,
  );
  for (;;) {
    const dataChunk = await result.fetchChunk();
    pacer.check();
    if (dataChunk === null || dataChunk.rowCount === 0) break;
    const keyValues = dataChunk.getColumnValues(0);
    const bucketValues = dataChunk.getColumnValues(1);
    const stateValues = dataChunk.getColumnValues(2);
    for (let row = 0; row < dataChunk.rowCount; row++) {
      const key = String(keyValues[row]);
      let keyIndex: number;
      if (key === lastKeyText) keyIndex = lastKey;
      else {
        const known = index.get(key);
        if (known === undefined) {
          keyIndex = keys.length;
          keys.push(key);
          index.set(key, keyIndex);
        } else {
          keyIndex = known;
        }
        lastKeyText = key;
      }
      const bucketMs = Number(bucketValues[row]);
      if (keyIndex < lastKey || (keyIndex === lastKey && bucketMs <= lastBucket)) sorted = false;
      lastKey = keyIndex;
      lastBucket = bucketMs;
      const state = (stateValues[row] as { bytes: Uint8Array }).bytes;
      accumulator.reset();
      accumulator.addBytes(state);
      const at = pool.appendPair(state, ops.render(accumulator.present(), false));
      cellKey.push(keyIndex);
      bucket.push(bucketMs);
      chunk.push(at.chunk);
      offset.push(at.offset);
      stateLength.push(state.length);
      jsonLength.push(at.textBytes);
      if (pacer.due()) await pacer.yield();
    }
  }

  let cellKeys = cellKey.finish();
  let buckets = bucket.finish();
  let cells: Entries = {
    chunk: chunk.finish(),
    offset: offset.finish(),
    stateLength: stateLength.finish(),
    jsonLength: jsonLength.finish(),
  };
  if (!sorted) {
    // Rows came out of key order: sort the cells by (key, bucket); the bytes stay where they are.
    const permutation = Array.from({ length: buckets.length }, (_, cell) => cell).sort(
      (a, b) =>
        (cellKeys[a] as number) - (cellKeys[b] as number) || (buckets[a] as number) - (buckets[b] as number),
    );
    await pacer.yield();
    const pick = <T extends Uint32Array | Uint16Array | Float64Array>(column: T): T => {
      const out = new (column.constructor as new (length: number) => T)(column.length);
      for (let cell = 0; cell < permutation.length; cell++)
        out[cell] = column[permutation[cell] as number] as number;
      return out;
    };
    cellKeys = pick(cellKeys);
    buckets = pick(buckets);
    cells = {
      chunk: pick(cells.chunk),
      offset: pick(cells.offset),
      stateLength: pick(cells.stateLength),
      jsonLength: pick(cells.jsonLength),
    };
    for (let cell = 1; cell < buckets.length; cell++) {
      if (cellKeys[cell] === cellKeys[cell - 1] && buckets[cell] === buckets[cell - 1]) {
        throw new RangeError(
          `${view.name}: two rows for key ${keys[cellKeys[cell] as number]} and one bucket`,
        );
      }
    }
  }
  const keyStart = new Uint32Array(keys.length + 1);
  for (let cell = 0; cell < cellKeys.length; cell++) {
    const slot = (cellKeys[cell] as number) + 1;
    keyStart[slot] = (keyStart[slot] as number) + 1;
  }
  for (let key = 0; key < keys.length; key++)
    keyStart[key + 1] = (keyStart[key + 1] as number) + (keyStart[key] as number);

  // Every key's total over all its buckets, and the values /top ranks by.
  const totals: Entries = {
    chunk: new Uint16Array(keys.length),
    offset: new Uint32Array(keys.length),
    stateLength: new Uint32Array(keys.length),
    jsonLength: new Uint32Array(keys.length),
  };
  const ranks = ops.rankable.map(() => new Float64Array(keys.length));
  const view0 = (cell: number) =>
    pool.view(cells.chunk[cell] as number, cells.offset[cell] as number, cells.stateLength[cell] as number);
  for (let key = 0; key < keys.length; key++) {
    const first = keyStart[key] as number;
    const end = keyStart[key + 1] as number;
    accumulator.reset();
    for (let cell = first; cell < end; cell++) accumulator.addBytes(view0(cell));
    const presented = accumulator.present();
    for (let rankable = 0; rankable < ranks.length; rankable++) {
      (ranks[rankable] as Float64Array)[key] = ops.rankOf(presented, rankable);
    }
    if (end - first === 1) {
      // One bucket: the total is that cell.
      totals.chunk[key] = cells.chunk[first] as number;
      totals.offset[key] = cells.offset[first] as number;
      totals.stateLength[key] = cells.stateLength[first] as number;
      totals.jsonLength[key] = cells.jsonLength[first] as number;
    } else {
      const state = accumulator.bytes();
      const at = pool.appendPair(state, ops.render(presented, false));
      totals.chunk[key] = at.chunk;
      totals.offset[key] = at.offset;
      totals.stateLength[key] = state.length;
      totals.jsonLength[key] = at.textBytes;
    }
    if (pacer.due()) await pacer.yield();
  }
  pool.seal();
  await pacer.yield();
  const keyRank = keyRanks(keys);
  const orders: Uint32Array[] = [];
  for (const values of ranks) {
    await pacer.yield();
    orders.push(rankOrder(values, keyRank));
  }
  return new BatchViewModel({
    view,
    ops,
    keys,
    index,
    keyStart,
    bucket: buckets,
    cells,
    totals,
    ranks,
    orders,
    keyRank,
    pool,
    loadMs: performance.now() - started,
  });
}
