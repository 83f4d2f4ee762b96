/**
 * The partial states of one part of a split batch run (`run/batch-parts.ts`): per view a Parquet table `key
 * VARCHAR, bucket BIGINT, state BLOB, partials BLOB` — key, bucket and state exactly as in the batch view tables
 * (the view's codec bytes), and, for compiled views, each `sum`/`mean` field's per-file partial sums in file order
 * (`partials`: per such field in the view's field order, a little-endian uint32 count then that many float64s),
 * so the merge adds them to the earlier parts' totals one by one as a single run would. Merging is the views'
 * monoid `plus` (`mergeState` of `incremental.ts`), part after part in index order.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import type { ComputedCell } from '../compute/columnar-fold.ts';
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
    'CREATE OR REPLACE TEMP TABLE oxbow_part (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL, partials BLOB)',
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
}

/** Reads a part's staged table of `view` (a local Parquet file) with `connection`. */
export async function readPartialStates(
  connection: DuckDBConnection,
  file: string,
  view: ViewDefinition<AnyEvent>,
): Promise<PartialCell[]> {
  const reader = await connection.runAndReadAll(
    `SELECT key, bucket::DOUBLE, state, partials FROM read_parquet(${literal(file)}, hive_partitioning = false)`,
  );
  return reader.getRowsJS().map(([key, bucket, state, partials]) => ({
    key: String(key),
    bucket: Number(bucket),
    state: state as Uint8Array,
    ...(partials === null || partials === undefined
      ? {}
      : { partials: decodePartials(view, partials as Uint8Array) }),
  }));
}

/**
 * Merges the parts' cells of `view` (`parts[i]`: part i's cells, in index order) with the view's monoid: a cell
 * in one part keeps that part's state bytes; otherwise the first part's state ⊕ the next part's (its per-file
 * partial sums added one by one) ⊕ … Every merged cell is presented from its state.
 */
export function mergePartialStates(
  view: ViewDefinition<AnyEvent>,
  parts: readonly (readonly PartialCell[])[],
): ComputedCell[] {
  const codec = view.aggregator.codec;
  const merged = new Map<
    string,
    { key: string; bucket: number; bytes: Uint8Array | undefined; state?: unknown }
  >();
  for (const cells of parts) {
    for (const cell of cells) {
      const id = `${cell.bucket}\u0000${cell.key}`;
      const before = merged.get(id);
      if (before === undefined) {
        merged.set(id, { key: cell.key, bucket: cell.bucket, bytes: cell.state });
        continue;
      }
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
  return [...merged.values()].map(({ key, bucket, bytes, state }) => {
    const value = state ?? codec.deserialize(bytes as Uint8Array);
    return {
      key,
      bucket,
      state: bytes ?? codec.serialize(value as never),
      value: view.aggregator.present(value as never),
    };
  });
}
