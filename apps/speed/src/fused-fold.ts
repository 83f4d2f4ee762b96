/**
 * The fused fold: one pass over a partition's records of a micro-batch folds every view of the topic into the
 * partition's cached cell states, in place — the same transformation as `aggregateView` (the batch layer's) keyed
 * additionally by epoch and partition, without an RDD job, a shuffle or a state per record.
 */
import type { KafkaRecord } from '@oxbow/connectors';
import type { Aggregator } from '@oxbow/dataflow';
import { type AnyEvent, bucketStart } from '@oxbow/views';
import type { BatchChanges, CellGroup, FoldView, PartitionCells } from './cell-store.ts';
import type { AnyView } from './increments.ts';

/**
 * The fold plans of `views`, their slots numbered in order.
 *
 * @example
 * ```ts
 * const plans = foldViews(settings.views);
 * ```
 */
export function foldViews(views: readonly AnyView[]): FoldView[] {
  return views.map((view, slot) => {
    const filter = view.filter;
    return {
      slot,
      name: view.name,
      bucketMs: view.bucketMs,
      keyOf: (event: AnyEvent) => view.keyOf(event),
      timeOf: (event: AnyEvent) => view.timeOf(event),
      // As aggregateView: an event counts when the filter returns anything truthy.
      filter: filter === undefined ? undefined : (event: AnyEvent) => Boolean(filter(event)),
      aggregator: view.aggregator as Aggregator<AnyEvent, unknown, unknown>,
    };
  });
}

/** What one partition's fold saw. */
export interface FoldOutcome {
  /** Records folded (those of epochs after the watermark, and those skipped as older). */
  readonly records: number;
  /** The largest append time among them (0 for none). */
  readonly maxAppendTime: number;
}

/**
 * Folds `records[from …]` of one partition into its cells for every view in `views`: each record goes to epoch
 * `⌊appendTime / epochMs⌋` (records of epochs ≤ `afterEpoch` are counted but not folded: the batch views serve
 * them), and, per view that keeps it (`filter`), to the cell of its key and event-time bucket, with the view's
 * `append` on the cached state. Changed cells are listed in `batch` (once each).
 */
export function foldPartition(
  cells: PartitionCells,
  views: readonly FoldView[],
  records: ReadonlyArray<KafkaRecord<AnyEvent>>,
  from: number,
  epochMs: number,
  afterEpoch: number,
  batch: BatchChanges,
): FoldOutcome {
  const sequence = batch.sequence;
  const changed = batch.changed;
  const groups: Array<CellGroup | undefined> = views.map(() => undefined);
  let maxAppendTime = 0;
  for (let r = from; r < records.length; r++) {
    const record = records[r] as KafkaRecord<AnyEvent>;
    const timestamp = record.timestamp;
    if (timestamp > maxAppendTime) maxAppendTime = timestamp;
    const epoch = Math.floor(timestamp / epochMs);
    if (epoch <= afterEpoch) continue;
    const event = record.value;
    for (let v = 0; v < views.length; v++) {
      const view = views[v] as FoldView;
      if (view.filter !== undefined && !view.filter(event)) continue;
      let group = groups[v];
      if (group === undefined || group.epoch !== epoch) {
        group = cells.group(view, epoch);
        group.lastTouched = sequence;
        groups[v] = group;
      }
      const cell = group.cell(view.keyOf(event), bucketStart(view.timeOf(event), view.bucketMs), batch);
      cell.state = view.aggregator.append(cell.state, event);
      if (cell.changedIn !== sequence) {
        cell.changedIn = sequence;
        changed.push(cell);
      }
    }
  }
  return { records: Math.max(0, records.length - from), maxAppendTime };
}
