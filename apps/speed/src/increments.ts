/**
 * The increments of one micro-batch: the view's own transformation (`aggregateView`, the one the batch layer
 * runs) over the batch's records, grouped additionally by epoch (`epochOf` the append time) and Kafka
 * partition, so each Redis hash has a single writer and expires with its epoch.
 */
import type { KafkaRecord } from '@oxbow/connectors';
import { epochOf } from '@oxbow/contracts';
import type { Aggregator, RDD } from '@oxbow/dataflow';
import { aggregateView, type ViewDefinition } from '@oxbow/views';

/** A view as the speed layer runs it (its state and output types erased). */
// biome-ignore lint/suspicious/noExplicitAny: views of every state type share this slot; their aggregator keeps its own types.
export type AnyView = ViewDefinition<any, any, any>;

/** One record as the increments see it: the event, and where and when Kafka appended it. */
export interface EpochRecord<E> {
  readonly epoch: number;
  readonly partition: number;
  readonly event: E;
}

/** One increment: the aggregated state of a (view, epoch, partition, key, bucket) in this batch. */
export interface Increment<S> {
  readonly view: string;
  readonly epoch: number;
  readonly partition: number;
  readonly key: string;
  readonly bucketStartMs: number;
  readonly state: S;
}

/** The same aggregator over records that carry the event (`prepare`/`append` see `record.event`). */
export function onEvents<E, S, O>(aggregator: Aggregator<E, S, O>): Aggregator<EpochRecord<E>, S, O> {
  return {
    kind: aggregator.kind,
    commutative: aggregator.commutative,
    approximate: aggregator.approximate,
    errorBound: aggregator.errorBound,
    codec: aggregator.codec,
    get zero() {
      return aggregator.zero;
    },
    plus: (left, right) => aggregator.plus(left, right),
    prepare: (record) => aggregator.prepare(record.event),
    append: (state, record) => aggregator.append(state, record.event),
    present: (state) => aggregator.present(state),
  };
}

const KEY_PATTERN = /^(-?\d+):(\d+):([\s\S]*)$/;

/** What {@link aggregateView} needs of a view. */
export type AggregatedView<E, S, O> = Pick<
  ViewDefinition<E, S, O>,
  'aggregator' | 'bucketMs' | 'keyOf' | 'timeOf' | 'filter'
>;

/**
 * The view keyed additionally by epoch and partition: key `<epoch>:<partition>:<view key>`, the same event time,
 * filter, buckets and aggregator. Its results split back with {@link splitIncrementKey}.
 */
export function incrementView<E, S, O>(view: AggregatedView<E, S, O>): AggregatedView<EpochRecord<E>, S, O> {
  const filter = view.filter;
  return {
    bucketMs: view.bucketMs,
    keyOf: (record) => `${record.epoch}:${record.partition}:${view.keyOf(record.event)}`,
    timeOf: (record) => view.timeOf(record.event),
    ...(filter === undefined ? {} : { filter: (record: EpochRecord<E>) => filter(record.event) }),
    aggregator: onEvents(view.aggregator),
  };
}

/** Splits a key of {@link incrementView} into epoch, partition and view key. */
export function splitIncrementKey(compound: string): { epoch: number; partition: number; key: string } {
  const match = KEY_PATTERN.exec(compound);
  if (!match) throw new Error(`not an increment key: ${compound}`);
  return { epoch: Number(match[1]), partition: Number(match[2]), key: match[3] ?? '' };
}

/**
 * The increments of `view` in one batch: records of epochs after `afterEpoch` (the batch manifest's watermark;
 * older epochs are served by the batch views) folded per (epoch, partition, key, bucket).
 *
 * @example
 * ```ts
 * const increments = await computeIncrements(project.view('status_minutely'), rdd, 3_600_000, manifest.watermarkEpoch);
 * ```
 */
export async function computeIncrements<E, S, O>(
  view: AggregatedView<E, S, O> & { readonly name: string },
  records: RDD<KafkaRecord<E>>,
  epochMs: number,
  afterEpoch = Number.NEGATIVE_INFINITY,
): Promise<Increment<S>[]> {
  const epochRecords = records
    .map(
      (record): EpochRecord<E> => ({
        epoch: epochOf(record.timestamp, epochMs),
        partition: record.partition,
        event: record.value,
      }),
    )
    .filter((record) => record.epoch > afterEpoch);
  const states = await aggregateView(incrementView(view), epochRecords).collect();
  return states.map(([[compound, bucketStartMs], state]) => {
    const { epoch, partition, key } = splitIncrementKey(compound);
    return { view: view.name, epoch, partition, key, bucketStartMs, state };
  });
}
