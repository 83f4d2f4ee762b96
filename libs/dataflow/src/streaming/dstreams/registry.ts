/**
 * Constructors of the derived streams, reached through a table so that `dstream.ts` (whose methods create them)
 * and the derived classes (which extend `DStream`) do not import each other. `dstreams/index.ts` fills it; the
 * streaming entry points import that module.
 */
import type { Partitioner } from '../../partitioner.ts';
import type { RDD } from '../../rdd/rdd.ts';
import type { DStream, EventTimeWindowStream, ForeachFunction, MapWithStateStream } from '../dstream.ts';
import type { EventTimeWindowOptions } from '../event-time/event-time-window-dstream.ts';
import type { StateSpec } from '../state.ts';
import type { StreamingContext } from '../streaming-context.ts';

/** The factories `DStream` methods call. */
export interface StreamOperatorTable {
  transformed<U>(
    ssc: StreamingContext,
    parents: readonly DStream<unknown>[],
    f: (rdds: RDD<unknown>[], time: number) => RDD<U>,
  ): DStream<U>;
  foreach(ssc: StreamingContext, parent: DStream<unknown>, f: ForeachFunction<unknown>): void;
  windowed<T>(parent: DStream<T>, windowDuration: number, slideDuration: number): DStream<T>;
  reducedWindowed<K, V>(
    parent: DStream<[K, V]>,
    reduce: (a: V, b: V) => V,
    inverse: (a: V, b: V) => V,
    filter: ((pair: [K, V]) => boolean) | undefined,
    windowDuration: number,
    slideDuration: number,
    partitioner: Partitioner,
  ): DStream<[K, V]>;
  state<K, V, S>(
    parent: DStream<[K, V]>,
    update: (values: V[], state: S | undefined) => S | undefined,
    partitioner: Partitioner,
    initial: RDD<[K, S]> | undefined,
  ): DStream<[K, S]>;
  eventTimeWindow<T, K, S, O>(
    parent: DStream<T>,
    options: EventTimeWindowOptions<T, K, S, O>,
  ): EventTimeWindowStream<T, K, O>;
  mapWithState<K, V, S, M>(parent: DStream<[K, V]>, spec: StateSpec<K, V, S, M>): MapWithStateStream<K, S, M>;
}

/** Filled by `dstreams/index.ts`. */
export const StreamOperators = {} as StreamOperatorTable;
