/**
 * `defineLiveView`: a speed-only view written with the DStream API (windows, `updateStateByKey`,
 * `mapWithState`, …). The speed layer feeds it the parsed events of its topic, collects each batch's output and
 * keeps `present(rows)` in Redis as the view's latest value; the batch layer never recomputes it.
 */
import type { DStream } from '@oxbow/dataflow';
import type { AnyEvent } from './define-view.ts';

/** Settings a live view may read (durations, thresholds), passed by the speed layer; tests pass short ones. */
export type LiveViewSettings = Readonly<Record<string, unknown>>;

/** What a user writes: see {@link defineLiveView}. */
export interface LiveViewSpec<E, T, V> {
  /** The live view's name (letters, digits, `_`): `GET /v1/live/<name>`. */
  readonly name: string;
  /** The project topic it reads. */
  readonly topic: string;
  /** What it answers, for the API and docs. */
  readonly description?: string;
  /**
   * Builds the view's stream from the topic's events. `settings` holds the speed layer's live-view settings
   * (read your own durations from it, with defaults).
   */
  build(events: DStream<E>, settings: LiveViewSettings): DStream<T>;
  /** Turns one batch's collected output into the JSON value served. */
  present(rows: T[]): V;
  /**
   * True when the value may name individual users (e.g. user ids): the API then serves it to admin keys only.
   * Default false.
   */
  readonly personal?: boolean;
}

/** A declared live view. */
export interface LiveViewDefinition<E = AnyEvent, T = unknown, V = unknown> extends LiveViewSpec<E, T, V> {
  readonly kind: 'live';
}

/**
 * Declares a live view.
 *
 * @example
 * ```ts
 * defineLiveView({
 *   name: 'orders_last_5m', topic: 'orders',
 *   build: (events) => events.map((e): [string, number] => [e.store, 1])
 *     .reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 300_000, 10_000),
 *   present: (pairs) => ({ stores: pairs.length }),
 * });
 * ```
 */
export function defineLiveView<E = AnyEvent, T = unknown, V = unknown>(
  spec: LiveViewSpec<E, T, V>,
): LiveViewDefinition<E, T, V> {
  return { ...spec, kind: 'live' };
}
