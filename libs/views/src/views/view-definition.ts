/**
 * What a view is: a name, the topic it reads, a time bucket, a key per event and the aggregator that folds the
 * events of one key and bucket. The same definition runs in the batch layer and in the speed layer.
 */
import type { Aggregator } from '@oxbow/dataflow';

/** The topics views read. */
export type ViewTopic = 'http_logs' | 'sensor_readings';

/** What kind of answer a view field is, for documentation, the API and the oracle. */
export type ViewFieldKind = 'count' | 'sum' | 'distinct' | 'quantiles' | 'mean' | 'min' | 'max';

/** One field of a view's presented value. */
export interface ViewField {
  readonly name: string;
  readonly kind: ViewFieldKind;
  readonly description: string;
}

/** An event with its event time in epoch milliseconds: what views bucket by. */
export interface TimedEvent {
  readonly tsMs: number;
}

/**
 * A view: events of `topic` are grouped by `keyOf(event)` and by the `bucketMs`-long event-time bucket they fall
 * in (aligned to the Unix epoch, so days are UTC days), and each group is folded with `aggregator`.
 *
 * @example
 * ```ts
 * const hitsPerPath: ViewDefinition<HttpLogEvent, { hits: number }, { hits: number }> = {
 *   name: 'hits_per_path', description: 'Requests per path and hour', topic: 'http_logs', bucketMs: 3_600_000,
 *   keyOf: (event) => event.path,
 *   aggregator: product({ hits: count<HttpLogEvent>() }),
 *   fields: [{ name: 'hits', kind: 'count', description: 'requests' }],
 * };
 * ```
 */
export interface ViewDefinition<E, S, O> {
  readonly name: string;
  readonly description: string;
  readonly topic: ViewTopic;
  /** Bucket length in milliseconds: 60 000 (minute), 3 600 000 (hour) or 86 400 000 (day). */
  readonly bucketMs: number;
  /** The view key of an event, e.g. its path. */
  keyOf(event: E): string;
  /** How the events of one key and bucket fold: a `product()` of the named fields. */
  readonly aggregator: Aggregator<E, S, O>;
  /** The fields of the presented value, in order. */
  readonly fields: readonly ViewField[];
}

/**
 * The start of the `bucketMs`-long bucket holding `tsMs` (buckets are aligned to the Unix epoch).
 *
 * @example
 * ```ts
 * bucketStart(Date.parse('2026-11-24T13:05:12Z'), 3_600_000); // Date.parse('2026-11-24T13:00:00Z')
 * ```
 */
export function bucketStart(tsMs: number, bucketMs: number): number {
  return tsMs - (((tsMs % bucketMs) + bucketMs) % bucketMs);
}
