/**
 * What a view is once its project is loaded: a name, the topic it reads, a time bucket, a key per event, an
 * optional filter and the aggregator that folds the events of one key and bucket. The same definition runs in
 * the batch layer and in the speed layer. Users write views with `defineView`; `defineProject` binds each to its
 * topic's schema and yields this.
 */
import type { Aggregator } from '@oxbow/dataflow';
import type { Schema } from '../schema/define-schema.ts';

export { bucketStart } from '../project/buckets.ts';

/**
 * What kind of answer a view field is, for documentation, the API and the oracle: the aggregator's kind mapped
 * to a name (`hyperLogLog` is `distinct`), or the kind of a user's own aggregator.
 */
export type ViewFieldKind =
  | 'count'
  | 'sum'
  | 'distinct'
  | 'quantiles'
  | 'mean'
  | 'min'
  | 'max'
  | 'topK'
  | 'distinctSet'
  | (string & {});

/** One field of a view's presented value. */
export interface ViewField {
  readonly name: string;
  readonly kind: ViewFieldKind;
  readonly description: string;
  /** The field's aggregator. */
  readonly aggregator: Aggregator<never, unknown, unknown>;
}

/**
 * A bound view: events of `topic` pass `filter`, are grouped by `keyOf(event)` and by the `bucketMs`-long
 * event-time bucket `timeOf(event)` falls in (aligned to the Unix epoch, so days are UTC days), and each group
 * is folded with `aggregator` (the `product` of the fields).
 */
export interface ViewDefinition<E = never, S = unknown, O = unknown> {
  readonly name: string;
  readonly description: string;
  /** The project topic (Kafka topic) the view reads. */
  readonly topic: string;
  /** The topic's schema. */
  readonly schema: Schema<E>;
  /** Bucket length in milliseconds; divides a day. */
  readonly bucketMs: number;
  /** The view key of an event, e.g. its path. */
  keyOf(event: E): string;
  /** The event time of an event, epoch milliseconds. */
  timeOf(event: E): number;
  /** Events for which this is false are left out; absent when every event counts. */
  readonly filter?: (event: E) => boolean;
  /** The key's schema field when the key is a field name. */
  readonly keyField?: string;
  /** The longest key the pipeline can produce (the key field's `maxLength`), when known. */
  readonly keyMaxLength?: number;
  /** How the events of one key and bucket fold: a `product()` of the named fields. */
  readonly aggregator: Aggregator<E, S, O>;
  /** The fields of the presented value, in order. */
  readonly fields: readonly ViewField[];
  /**
   * A hash of everything that determines the view's states: the schema fields it reads, key, filter, bucket and
   * each field's aggregator kind, parameters and functions. States of different fingerprints never merge.
   */
  readonly fingerprint: string;
}

/** An event with its event time in epoch milliseconds (the shape of events in tests and generators). */
export interface TimedEvent {
  readonly tsMs: number;
}
