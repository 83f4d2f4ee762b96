/**
 * Incremental runs (Summingbird's batch-id merge): when a view's definition is unchanged and the previous version
 * covered exactly the lake files that are still there up to its watermark E_old, a run over E_new computes states
 * only for the events of epochs E_old+1 … E_new and merges them with the previous version's states of the (key,
 * bucket) cells those events touch, with the aggregator's monoid `plus`. A late event of a new epoch that lands in
 * an old bucket is merged into that bucket's old state, so the result equals a full recompute; untouched cells are
 * copied. `sum` and `mean` fields add the new files' partial sums to the old total one file at a time, the order a
 * full recompute adds them in, so even fractional sums are bit-identical (docs/design/0008-batch-at-duckdb-speed.md).
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BatchManifest, ManifestView, ViewCoverage } from '@oxbow/contracts';
import type { AnyEvent, ViewDefinition } from '@oxbow/views';
import type { ComputedCell } from '../compute/columnar-fold.ts';
import type { ListedPartFile } from '../lake/lake-listing.ts';
import type { TableCell } from '../publish/view-tables.ts';

/** How a view is computed in a run. */
export type ViewMode =
  | { readonly mode: 'full'; readonly reason: string }
  | {
      readonly mode: 'incremental';
      /** The previous manifest's entry of the view. */
      readonly previous: ManifestView;
      /** The previous watermark: files of later epochs are new. */
      readonly fromEpoch: number;
    };

/** The coverage of `files` (the view's lake files ≤ the watermark) of `lakeTopics`. */
export function coverageOf(lakeTopics: readonly string[], files: readonly ListedPartFile[]): ViewCoverage {
  const lines = files.map((file) => `${file.path} ${file.size}\n`).sort();
  const digest = createHash('sha256');
  for (const line of lines) digest.update(line);
  return {
    lakeTopics: [...lakeTopics].sort(),
    files: files.length,
    filesDigest: digest.digest('hex').slice(0, 16),
  };
}

/** What {@link modeOf} needs to know about the run. */
export interface ModeContext {
  /** `--full`: every view is recomputed. */
  readonly full: boolean;
  /** The current manifest, if any. */
  readonly previous: BatchManifest | undefined;
  readonly epochMs: number;
  /** This run's watermark E. */
  readonly watermark: number;
}

/**
 * Whether `view` can be merged into the previous version (and from which epoch on), or why it is recomputed in
 * full. `lakeTopics` are the lake directories the view reads and `files` all their files now (any epoch).
 *
 * @example
 * ```ts
 * modeOf(view, ['http_logs'], files, { full: false, previous, epochMs, watermark: 489_013 });
 * // { mode: 'incremental', previous: { name: 'page_views_hourly', … }, fromEpoch: 489_012 }
 * ```
 */
export function modeOf(
  view: ViewDefinition<AnyEvent>,
  lakeTopics: readonly string[],
  files: readonly ListedPartFile[],
  context: ModeContext,
): ViewMode {
  if (context.full) return { mode: 'full', reason: '--full' };
  const previous = context.previous;
  const entry = previous?.views.find((candidate) => candidate.name === view.name);
  if (previous === undefined || entry === undefined) return { mode: 'full', reason: 'no previous table' };
  if (entry.fingerprint !== view.fingerprint) return { mode: 'full', reason: 'the view definition changed' };
  if (entry.coverage === undefined) return { mode: 'full', reason: 'the previous table records no coverage' };
  if (previous.epochMs !== context.epochMs) return { mode: 'full', reason: 'the epoch length changed' };
  if (previous.watermarkEpoch > context.watermark) {
    return { mode: 'full', reason: 'the watermark is below the previous one' };
  }
  const covered = coverageOf(
    lakeTopics,
    files.filter((file) => file.epoch <= previous.watermarkEpoch),
  );
  if (
    covered.filesDigest !== entry.coverage.filesDigest ||
    JSON.stringify(covered.lakeTopics) !== JSON.stringify([...entry.coverage.lakeTopics].sort())
  ) {
    return { mode: 'full', reason: 'the lake files up to the previous watermark changed' };
  }
  return { mode: 'incremental', previous: entry, fromEpoch: previous.watermarkEpoch };
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * `plus` of a previous state and a new one, adding a sum's per-file partials one by one (see the module comment).
 * Also the merge of a split run's parts (`merge-parts.ts`): the earlier parts' state, then the next part's.
 */
export function mergeState(
  view: ViewDefinition<AnyEvent>,
  previous: Record<string, unknown>,
  delta: Record<string, unknown>,
  partials: Readonly<Record<string, readonly number[]>> | undefined,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const field of view.fields) {
    const name = field.name;
    const parts = partials?.[name];
    if (parts !== undefined && field.kind === 'sum') {
      let total = previous[name] as number;
      for (const part of parts) total += part;
      merged[name] = total;
    } else if (parts !== undefined && field.kind === 'mean') {
      const before = previous[name] as { sum: number; count: number };
      let total = before.sum;
      for (const part of parts) total += part;
      merged[name] = { sum: total, count: before.count + (delta[name] as { count: number }).count };
    } else {
      merged[name] = field.aggregator.plus(previous[name] as never, delta[name] as never);
    }
  }
  return merged;
}

/**
 * Merges the cells computed over the new epochs with the previous version's states of the same cells (read from
 * its Parquet table `previousParquet`, a local path, with `connection`); cells the new epochs did not touch are
 * not read (the writer copies them).
 */
export async function mergeWithPrevious(
  connection: DuckDBConnection,
  view: ViewDefinition<AnyEvent>,
  previousParquet: string,
  cells: readonly ComputedCell[],
): Promise<TableCell[]> {
  if (cells.length === 0) return [];
  await connection.run('CREATE OR REPLACE TEMP TABLE oxbow_touched (key VARCHAR, bucket BIGINT)');
  const appender = await connection.createAppender('oxbow_touched');
  for (const cell of cells) {
    appender.appendVarchar(cell.key);
    appender.appendBigInt(BigInt(cell.bucket));
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
  const reader = await connection.runAndReadAll(
    `SELECT previous.key, previous.bucket::DOUBLE, previous.state FROM read_parquet(${literal(previousParquet)}, hive_partitioning = false) AS previous
     JOIN oxbow_touched USING (key, bucket)`,
  );
  const old = new Map<string, Uint8Array>();
  for (const [key, bucket, state] of reader.getRowsJS()) {
    old.set(`${String(bucket)}\u0000${String(key)}`, state as Uint8Array);
  }
  await connection.run('DROP TABLE oxbow_touched');
  const codec = view.aggregator.codec;
  return cells.map((cell) => {
    const before = old.get(`${cell.bucket}\u0000${cell.key}`);
    if (before === undefined) return cell;
    const merged = mergeState(
      view,
      codec.deserialize(before) as Record<string, unknown>,
      codec.deserialize(cell.state) as Record<string, unknown>,
      cell.partials,
    );
    return {
      key: cell.key,
      bucket: cell.bucket,
      state: codec.serialize(merged),
      value: view.aggregator.present(merged),
    };
  });
}
