/**
 * Reconciliation of the batch and speed layers, in production: when a batch run publishes a version with a higher
 * watermark, and before the speed layer expires the increments of the epochs it newly covers, this compares — per
 * view and (key, bucket) cell — the previous version's state ⊕ those increments (summed over epochs and partitions
 * with the view's monoid) with the new version's state. Both sides fold the same records (epochs are append
 * times, so a record the speed layer consumed is in the same epoch in the lake), so they agree unless a layer lost,
 * doubled or misfolded something; any disagreement is reported as drift.
 *
 * What can legitimately differ is excluded, so a non-zero drift is always a finding:
 * - the increments are complete for the covered epochs only if the speed layer had committed every record before
 *   the new manifest's end offsets while it still folded those epochs (it skips epochs ≤ the watermark it knows):
 *   checked on the offsets Redis held just before the speed layer adopted the manifest; otherwise `skipped`;
 * - the previous version must be known to this process (it saw it current, or saw no manifest at all: then the
 *   previous version is empty) — a process started after the new version was published skips;
 * - both versions must hold the view with the speed layer's fingerprint, and be readable;
 * - floating-point sums folded in another order differ in the last bits: presented numbers are compared to a
 *   relative 1e-9, everything else exactly.
 */
import {
  type FileSystem,
  hgetallBuffers,
  type RedisClient,
  readParquetColumns,
  readTopicOffsets,
  scanKeys,
} from '@oxbow/connectors';
import {
  type BatchManifest,
  encodeReconciliation,
  RECONCILIATION_FORMAT,
  type RedisLayout,
  type ViewReconciliation,
} from '@oxbow/contracts';
import type { Aggregator } from '@oxbow/dataflow';
import type { AnyView } from './increments.ts';
import { viewEpochs } from './realtime-epochs.ts';

/** Views with batch tables larger than this are not reconciled (`skipped`): reading them would take too long. */
export const RECONCILE_MAX_ROWS = 2_000_000;

/** The previous version as the speed layer knew it: a manifest, or `null` for "there was none". */
export type PreviousVersion = BatchManifest | null;

/** What the speed layer noted just before it adopted a new manifest. */
export interface AdoptionSnapshot {
  readonly manifest: BatchManifest;
  /** The manifest current before (null: none), or undefined when this process never saw one current. */
  readonly previous: PreviousVersion | undefined;
  /** Per Kafka topic: true when Redis's committed offsets had reached the manifest's end offsets. */
  readonly caughtUp: ReadonlyMap<string, boolean>;
}

/**
 * Reads the offsets Redis holds for each Kafka topic of `manifest.endOffsets` and tells whether each reached them.
 *
 * @example
 * const caughtUp = await offsetsReached(redis, layout, manifest);
 */
export async function offsetsReached(
  redis: RedisClient,
  layout: RedisLayout,
  manifest: BatchManifest,
): Promise<Map<string, boolean>> {
  const reached = new Map<string, boolean>();
  for (const [topic, ends] of Object.entries(manifest.endOffsets)) {
    const held = await readTopicOffsets(redis, layout, topic);
    reached.set(
      topic,
      Object.entries(ends).every(([partition, end]) => {
        if (BigInt(end) === 0n) return true; // a partition with nothing before the watermark
        const at = held[partition];
        return at !== undefined && /^\d+$/.test(at) && BigInt(at) >= BigInt(end);
      }),
    );
  }
  return reached;
}

type AnyAggregator = Aggregator<unknown, unknown, unknown>;

/** Reads a version's table of `view`: `key bucket` → state. */
async function readTable(
  lake: FileSystem,
  path: string,
  aggregator: AnyAggregator,
): Promise<Map<string, unknown>> {
  const states = new Map<string, unknown>();
  for await (const row of readParquetColumns(lake, path, ['key', 'bucket', 'state'])) {
    const state = row.state as Uint8Array;
    states.set(`${String(row.key)}\u0000${String(row.bucket)}`, aggregator.codec.deserialize(state));
  }
  return states;
}

/** Presented values equal, numbers to a relative 1e-9. */
export function presentedEqual(left: unknown, right: unknown): boolean {
  if (typeof left === 'number' && typeof right === 'number') {
    if (Object.is(left, right)) return true;
    return Math.abs(left - right) <= 1e-9 * Math.max(1, Math.abs(left), Math.abs(right));
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((value, i) => presentedEqual(value, right[i]));
  }
  if (left !== null && right !== null && typeof left === 'object' && typeof right === 'object') {
    const a = left as Record<string, unknown>;
    const b = right as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!presentedEqual(a[key], b[key])) return false;
    return true;
  }
  return Object.is(left, right);
}

/** One view's inputs to {@link reconcileView}. */
export interface ReconcileViewInput {
  readonly redis: RedisClient;
  readonly layout: RedisLayout;
  readonly lake: FileSystem;
  /** The Kafka partitions whose epoch sets to read in the cluster layout (ignored standalone). */
  readonly partitions?: readonly number[];
  readonly view: AnyView;
  /** The Kafka topics the speed layer reads as the view's project topic. */
  readonly kafkaTopics: readonly string[];
  readonly snapshot: AdoptionSnapshot;
  /** The clock (ISO-8601 of `checkedAt`). */
  readonly now?: () => Date;
}

/**
 * Reconciles one view for a newly adopted manifest (see the module comment); never throws for a view that cannot
 * be checked: the record says `skipped` and why.
 *
 * @example
 * const record = await reconcileView({ redis, layout, lake, view, kafkaTopics: ['http_logs'], snapshot });
 * if (record.driftCells > 0) log(`drift in ${record.view}`);
 */
export async function reconcileView(input: ReconcileViewInput): Promise<ViewReconciliation> {
  const { redis, layout, lake, view, snapshot } = input;
  const next = snapshot.manifest;
  const base = {
    format: RECONCILIATION_FORMAT,
    version: 1,
    view: view.name,
    runId: next.runId,
    checkedAt: (input.now?.() ?? new Date()).toISOString(),
  } as const;
  const skipped = (reason: string): ViewReconciliation => ({
    ...base,
    outcome: 'skipped',
    reason,
    epochs: 0,
    cells: 0,
    driftCells: 0,
  });
  if (snapshot.previous === undefined)
    return skipped('the previous batch version is unknown to this process (it started after the new one)');
  const previous = snapshot.previous;
  const behind = input.kafkaTopics.filter((topic) => snapshot.caughtUp.get(topic) !== true);
  if (behind.length > 0)
    return skipped(
      `the speed layer had not committed up to the new version's end offsets of ${behind.join(', ')} when it adopted it`,
    );
  const newEntry = next.views.find((entry) => entry.name === view.name);
  if (newEntry === undefined || newEntry.fingerprint !== view.fingerprint)
    return skipped('the new version does not hold the view with the speed layer’s fingerprint');
  const oldEntry = previous?.views.find((entry) => entry.name === view.name);
  if (previous !== null && (oldEntry === undefined || oldEntry.fingerprint !== view.fingerprint))
    return skipped('the previous version does not hold the view with the speed layer’s fingerprint');
  if (newEntry.rows + (oldEntry?.rows ?? 0) > RECONCILE_MAX_ROWS)
    return skipped(`the view's tables hold more than ${RECONCILE_MAX_ROWS} rows`);
  const aggregator = view.aggregator as AnyAggregator;
  let before: Map<string, unknown>;
  let after: Map<string, unknown>;
  try {
    before = oldEntry === undefined ? new Map() : await readTable(lake, oldEntry.parquet, aggregator);
    after = await readTable(lake, newEntry.parquet, aggregator);
  } catch (error) {
    return skipped(`a batch table could not be read: ${String(error).slice(0, 200)}`);
  }

  // The increments of the newly covered epochs, summed over epochs and partitions with the view's monoid.
  const fromEpoch = previous === null ? Number.NEGATIVE_INFINITY : previous.watermarkEpoch;
  const partitions = input.partitions ?? [];
  const epochs = await viewEpochs(
    redis,
    layout,
    view.name,
    partitions,
    `(${fromEpoch === Number.NEGATIVE_INFINITY ? '-inf' : fromEpoch}`,
    String(next.watermarkEpoch),
  );
  const increments = new Map<string, unknown>();
  for (const epoch of epochs) {
    await scanKeys(redis, layout.incrementsPattern(view.name, epoch), async (keys) => {
      const hashes = await hgetallBuffers(redis, keys);
      keys.forEach((key, i) => {
        const parts = layout.parseIncrements(key);
        const hash = hashes[i];
        if (parts === undefined || hash === undefined) return;
        for (const [bucket, bytes] of Object.entries(hash)) {
          const at = `${parts.key}\u0000${bucket}`;
          const state = aggregator.codec.deserialize(bytes);
          const sum = increments.get(at);
          increments.set(at, sum === undefined ? state : aggregator.plus(sum, state));
        }
      });
    });
  }
  // The epochs must still all be there: another instance expiring them meanwhile would make the sum partial.
  const still = new Set(
    await viewEpochs(redis, layout, view.name, partitions, '-inf', String(next.watermarkEpoch)),
  );
  if (epochs.some((epoch) => !still.has(epoch)))
    return skipped('the increments were expired by another instance while they were read');

  let driftCells = 0;
  const cells = new Set([...after.keys(), ...increments.keys(), ...before.keys()]);
  for (const at of cells) {
    const old = before.get(at);
    const added = increments.get(at);
    const expected = old === undefined ? added : added === undefined ? old : aggregator.plus(old, added);
    const actual = after.get(at);
    if (expected === undefined || actual === undefined) {
      driftCells++;
      continue;
    }
    if (!presentedEqual(aggregator.present(expected), aggregator.present(actual))) driftCells++;
  }
  return { ...base, outcome: 'checked', epochs: epochs.length, cells: increments.size, driftCells };
}

/**
 * Writes the records of one reconciliation to `RedisLayout.reconciliation()` (one field per view).
 *
 * @example
 * await writeReconciliations(redis, layout, records);
 */
export async function writeReconciliations(
  redis: RedisClient,
  layout: RedisLayout,
  records: readonly ViewReconciliation[],
): Promise<void> {
  if (records.length === 0) return;
  await redis.hset(
    layout.reconciliation(),
    Object.fromEntries(records.map((record) => [record.view, encodeReconciliation(record)])),
  );
}

/** One log line of a view's reconciliation. */
export function describeReconciliation(record: ViewReconciliation): string {
  return record.outcome === 'skipped'
    ? `speed: reconciliation of ${record.view} with batch run ${record.runId} skipped: ${record.reason}`
    : `speed: reconciliation of ${record.view} with batch run ${record.runId}: ${record.epochs} epochs, ${record.cells} cells, drift ${record.driftCells} cells`;
}
