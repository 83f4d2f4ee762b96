/**
 * The one transformation of every view: events → `[[key, bucketStartMs], state]`, merged per key and bucket.
 * The batch layer applies it to an RDD read from the lake, the speed layer to each micro-batch
 * (`stream.transform((rdd) => aggregateView(view, rdd))`).
 */
import type { RDD } from '@oxbow/dataflow';
import { bucketStart, type ViewDefinition } from './view-definition.ts';

/** A view's key and bucket: `[key, bucketStartMs]`. */
export type ViewKey = [key: string, bucketStartMs: number];

/**
 * Aggregates `events` into one state per (key, bucket). Each partition is folded with the aggregator's `append`
 * into one state per key and bucket it holds (no state is allocated per row), then partial states are merged
 * across partitions with `plus` by `reduceByKey` (into `numPartitions` partitions, default the input's).
 *
 * Its functions capture the view, so at parallelism above 1 run it inside a job module (see `viewJob`) to use
 * worker threads; called inline, its stages run on the driver with the same answer.
 *
 * @example
 * ```ts
 * const view = project.view('orders_by_store_hourly');
 * const rows = presentViewRows(view, await aggregateView(view, ctx.parallelize(events)).collect());
 * ```
 */
export function aggregateView<E, S, O>(
  view: Pick<ViewDefinition<E, S, O>, 'aggregator' | 'bucketMs' | 'keyOf' | 'timeOf' | 'filter'>,
  events: RDD<E>,
  numPartitions?: number,
): RDD<[ViewKey, S]> {
  const { aggregator, bucketMs, filter } = view;
  const keyOf = (event: E) => view.keyOf(event);
  const timeOf = (event: E) => view.timeOf(event);
  return events
    .mapPartitions((iterator): Array<[ViewKey, S]> => {
      const byKey = new Map<string, Map<number, S>>();
      for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
        const event = next.value;
        if (filter !== undefined && !filter(event)) continue;
        const key = keyOf(event);
        const bucket = bucketStart(timeOf(event), bucketMs);
        let buckets = byKey.get(key);
        if (buckets === undefined) {
          buckets = new Map();
          byKey.set(key, buckets);
        }
        const state = buckets.get(bucket);
        buckets.set(bucket, aggregator.append(state === undefined ? aggregator.zero : state, event));
      }
      const partials: Array<[ViewKey, S]> = [];
      for (const [key, buckets] of byKey) {
        for (const [bucket, state] of buckets) partials.push([[key, bucket], state]);
      }
      return partials;
    })
    .reduceByKey((left: S, right: S) => aggregator.plus(left, right), numPartitions);
}

/** One presented row of a view. */
export interface ViewRow<O> {
  readonly key: string;
  readonly bucketStartMs: number;
  readonly value: O;
}

/**
 * Presents collected view states as rows sorted by key, then bucket.
 *
 * @example
 * ```ts
 * presentViewRows(view, await aggregateView(view, events).collect());
 * // [{ key: '2xx', bucketStartMs: 1795957200000, value: { hits: 812 } }, …]
 * ```
 */
export function presentViewRows<S, O>(
  view: Pick<ViewDefinition<never, S, O>, 'aggregator'>,
  states: Iterable<readonly [ViewKey, S]>,
): ViewRow<O>[] {
  const rows: ViewRow<O>[] = [];
  for (const [[key, bucketStartMs], state] of states) {
    rows.push({ key, bucketStartMs, value: view.aggregator.present(state) });
  }
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.bucketStartMs - b.bucketStartMs));
}
