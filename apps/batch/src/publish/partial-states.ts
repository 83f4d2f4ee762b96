/**
 * The partial states of one part of a split batch run (`run/batch-parts.ts`): per view a Parquet table `key
 * VARCHAR, bucket BIGINT, state BLOB, partials BLOB, item_counts VARCHAR` — key, bucket and state exactly as in
 * the batch view tables (the view's codec bytes), and, for compiled views, each `sum`/`mean` field's per-file
 * partial sums in file order (`partials`: per such field in the view's field order, a little-endian uint32 count
 * then that many float64s), so the merge adds them to the earlier parts' totals one by one as a single run would,
 * and each top-K field's exact item counts (`item_counts`, JSON), from which the merge rebuilds the exact summary.
 * Merging is the views' monoid `plus` (`mergeState` of `incremental.ts`), part after part in index order.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SpaceSavingSummary } from '@oxbow/dataflow';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import { type ComputedCell, exactTopKSummary } from '../compute/columnar-fold.ts';
import { mergeState } from '../run/incremental.ts';

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The fields whose per-file partial sums a part keeps: `sum` and `mean`, in the view's order. */
function summedFields(view: ViewDefinition<AnyEvent>): string[] {
  return view.fields.filter((field) => field.kind === 'sum' || field.kind === 'mean').map((f) => f.name);
}

/** The `partials` bytes of a cell, or `undefined` when it kept none (the RDD path). */
function encodePartials(
  view: ViewDefinition<AnyEvent>,
  partials: ComputedCell['partials'],
): Uint8Array | undefined {
  if (partials === undefined) return undefined;
  const fields = summedFields(view);
  const lists = fields.map((name) => partials[name] ?? []);
  const bytes = new Uint8Array(lists.reduce((size, list) => size + 4 + 8 * list.length, 0));
  const data = new DataView(bytes.buffer);
  let at = 0;
  for (const list of lists) {
    data.setUint32(at, list.length, true);
    at += 4;
    for (const value of list) {
      data.setFloat64(at, value, true);
      at += 8;
    }
  }
  return bytes;
}

/** The per-file partial sums of {@link encodePartials}' bytes. */
function decodePartials(
  view: ViewDefinition<AnyEvent>,
  bytes: Uint8Array,
): Record<string, readonly number[]> {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const partials: Record<string, number[]> = {};
  let at = 0;
  for (const name of summedFields(view)) {
    const count = data.getUint32(at, true);
    at += 4;
    const list: number[] = [];
    for (let index = 0; index < count; index++) {
      list.push(data.getFloat64(at, true));
      at += 8;
    }
    partials[name] = list;
  }
  if (at !== bytes.byteLength)
    throw new Error(`partial sums of ${view.name}: ${bytes.byteLength - at} bytes left over`);
  return partials;
}

type ItemCounts = NonNullable<ComputedCell['itemCounts']>;

/** An item of a top-K field as JSON: its type kept (`s` string, `n` number, `z` −0, `b` boolean, `i` bigint). */
function taggedItem(item: unknown): [string, unknown] {
  if (typeof item === 'bigint') return ['i', item.toString()];
  if (typeof item === 'number') return Object.is(item, -0) ? ['z', 0] : ['n', item];
  if (typeof item === 'boolean') return ['b', item];
  return ['s', String(item)];
}

function untaggedItem([tag, value]: [string, unknown]): unknown {
  if (tag === 'i') return BigInt(value as string);
  if (tag === 'z') return -0;
  return value;
}

/** The `item_counts` text of a cell (JSON: per top-K field, `[tagged item, count]` pairs), or undefined. */
function encodeItemCounts(itemCounts: ComputedCell['itemCounts']): string | undefined {
  if (itemCounts === undefined || Object.keys(itemCounts).length === 0) return undefined;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(itemCounts).map(([name, pairs]) => [
        name,
        pairs.map(([item, itemCount]) => [taggedItem(item), itemCount]),
      ]),
    ),
  );
}

function decodeItemCounts(text: string): ItemCounts {
  const parsed = JSON.parse(text) as Record<string, Array<[[string, unknown], number]>>;
  return Object.fromEntries(
    Object.entries(parsed).map(([name, pairs]) => [
      name,
      pairs.map(([item, itemCount]) => [untaggedItem(item), itemCount] as const),
    ]),
  );
}

/**
 * Writes a part's cells of `view` to the local Parquet file `file` with `connection` (rows ordered by key and
 * bucket); resolves the row count.
 */
export async function writePartialStates(
  connection: DuckDBConnection,
  file: string,
  view: ViewDefinition<AnyEvent>,
  cells: readonly ComputedCell[],
): Promise<number> {
  await connection.run(
    'CREATE OR REPLACE TEMP TABLE oxbow_part (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL, partials BLOB, item_counts VARCHAR)',
  );
  try {
    const appender = await connection.createAppender('oxbow_part');
    for (const cell of cells) {
      appender.appendVarchar(cell.key);
      appender.appendBigInt(BigInt(cell.bucket));
      appender.appendBlob(cell.state);
      const partials = encodePartials(view, cell.partials);
      if (partials === undefined) appender.appendNull();
      else appender.appendBlob(partials);
      const itemCounts = encodeItemCounts(cell.itemCounts);
      if (itemCounts === undefined) appender.appendNull();
      else appender.appendVarchar(itemCounts);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
    await connection.run(
      `COPY (SELECT * FROM oxbow_part ORDER BY key, bucket) TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    await connection.run('DROP TABLE IF EXISTS oxbow_part');
  }
  return cells.length;
}

/** One staged cell read back: key, bucket, state bytes and, when kept, the per-file partial sums. */
export interface PartialCell {
  readonly key: string;
  readonly bucket: number;
  readonly state: Uint8Array;
  readonly partials?: Readonly<Record<string, readonly number[]>>;
  /** When kept (compiled views), each top-K field's exact item counts. */
  readonly itemCounts?: ItemCounts;
}

/** Reads a part's staged table of `view` (a local Parquet file) with `connection`. */
export async function readPartialStates(
  connection: DuckDBConnection,
  file: string,
  view: ViewDefinition<AnyEvent>,
): Promise<PartialCell[]> {
  const reader = await connection.runAndReadAll(
    `SELECT key, bucket::DOUBLE, state, partials, item_counts FROM read_parquet(${literal(file)}, hive_partitioning = false)`,
  );
  return reader.getRowsJS().map(([key, bucket, state, partials, itemCounts]) => ({
    key: String(key),
    bucket: Number(bucket),
    state: state as Uint8Array,
    ...(partials === null || partials === undefined
      ? {}
      : { partials: decodePartials(view, partials as Uint8Array) }),
    ...(typeof itemCounts === 'string' ? { itemCounts: decodeItemCounts(itemCounts) } : {}),
  }));
}

/** Adds `counts` into the running item counts of a merged cell (per field, per typed item). */
function addItemCounts(
  into: Map<string, Map<string, [unknown, number]>>,
  counts: ItemCounts,
): Map<string, Map<string, [unknown, number]>> {
  for (const [name, pairs] of Object.entries(counts)) {
    let field = into.get(name);
    if (field === undefined) {
      field = new Map();
      into.set(name, field);
    }
    for (const [item, itemCount] of pairs) {
      const id = JSON.stringify(taggedItem(item));
      const before = field.get(id);
      if (before === undefined) field.set(id, [item, itemCount]);
      else before[1] += itemCount;
    }
  }
  return into;
}

/**
 * Merges the parts' cells of `view` (`parts[i]`: part i's cells, in index order) with the view's monoid: a cell
 * in one part keeps that part's state bytes; otherwise the first part's state ⊕ the next part's (its per-file
 * partial sums added one by one) ⊕ … A top-K field whose parts all kept their exact item counts is rebuilt from
 * the summed counts (`exactTopKSummary`, what a single run computes) instead of Space-Saving's approximate `plus`.
 * Every merged cell is presented from its state.
 */
export function mergePartialStates(
  view: ViewDefinition<AnyEvent>,
  parts: readonly (readonly PartialCell[])[],
): ComputedCell[] {
  const codec = view.aggregator.codec;
  const merged = new Map<
    string,
    {
      key: string;
      bucket: number;
      bytes: Uint8Array | undefined;
      state?: unknown;
      /** Summed exact item counts of the top-K fields; undefined once a part kept none. */
      counts: Map<string, Map<string, [unknown, number]>> | undefined;
    }
  >();
  for (const cells of parts) {
    for (const cell of cells) {
      const id = `${cell.bucket}\u0000${cell.key}`;
      const before = merged.get(id);
      if (before === undefined) {
        merged.set(id, {
          key: cell.key,
          bucket: cell.bucket,
          bytes: cell.state,
          counts: cell.itemCounts === undefined ? undefined : addItemCounts(new Map(), cell.itemCounts),
        });
        continue;
      }
      before.counts =
        before.counts === undefined || cell.itemCounts === undefined
          ? undefined
          : addItemCounts(before.counts, cell.itemCounts);
      const previous = before.state ?? codec.deserialize(before.bytes as Uint8Array);
      before.state = mergeState(
        view,
        previous as Record<string, unknown>,
        codec.deserialize(cell.state) as Record<string, unknown>,
        cell.partials,
      );
      before.bytes = undefined;
    }
  }
  return [...merged.values()].map(({ key, bucket, bytes, state, counts }) => {
    if (state !== undefined && counts !== undefined) {
      const fields = state as Record<string, unknown>;
      for (const [name, items] of counts) {
        const capacity = (fields[name] as SpaceSavingSummary).capacity;
        fields[name] = exactTopKSummary(capacity, items.values());
      }
    }
    const value = state ?? codec.deserialize(bytes as Uint8Array);
    return {
      key,
      bucket,
      state: bytes ?? codec.serialize(value as never),
      value: view.aggregator.present(value as never),
    };
  });
}
