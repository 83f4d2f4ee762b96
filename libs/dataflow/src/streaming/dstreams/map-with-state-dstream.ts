/**
 * `mapWithState`, as Spark's `MapWithStateDStream`: per batch, the mapping function runs once per record (in
 * order) with the key's `State`; states not touched for `timeout` are timed out — on the batches where the state
 * is checkpointed (every 10 batches by default, or `checkpoint(interval)`), exactly when Spark does its full scan.
 * The state of each partition lives in a materialized RDD; it goes into checkpoints as data.
 */
import { KeyMap } from '../../keys/key-map.ts';
import { HashPartitioner, type Partitioner } from '../../partitioner.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import { State, type StateSpec } from '../state.ts';

/** One partition of the internal state stream: the key states (with their last update time) and the mapped output. */
export interface StatePartition<K, S, M> {
  states: Array<[K, S, number]>;
  mapped: M[];
}

/** The internal stream: one {@link StatePartition} per partition and batch. */
export class InternalMapWithStateDStream<K, V, S, M> extends DStream<StatePartition<K, S, M>> {
  override readonly mustCheckpoint = true;
  private readonly parent: DStream<[K, V]>;
  private readonly spec: StateSpec<K, V, S, M>;
  readonly statePartitioner: Partitioner;

  constructor(parent: DStream<[K, V]>, spec: StateSpec<K, V, S, M>) {
    super(parent.ssc);
    this.parent = parent;
    this.spec = spec;
    this.statePartitioner =
      spec.getPartitioner() ?? new HashPartitioner(parent.ssc.dataflowContext.defaultParallelism);
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  override initialize(zeroTime: number): void {
    // Spark's default for mapWithState: checkpoint (and scan for timeouts) every 10 batches.
    this.checkpointDuration ??= this.slideDuration * 10;
    super.initialize(zeroTime);
  }

  async compute(time: number): Promise<RDD<StatePartition<K, S, M>> | undefined> {
    const ctx = this.ssc.dataflowContext;
    const partitioner = this.statePartitioner;
    const previous = await this.previousStates(time);
    const data = (await this.parent.getOrCompute(time)) ?? ctx.parallelize<[K, V]>([], 1);
    const dataPartitions = await data.partitionBy(partitioner).glom().collect();
    const timeout = this.spec.getTimeout();
    const fullScan =
      timeout !== undefined &&
      (time - (this.zeroTime ?? 0)) % (this.checkpointDuration ?? this.slideDuration) === 0;
    const mapping = this.spec.mappingFunction;
    const state = new State<S>();

    const partitions = previous.map((previousStates, p): StatePartition<K, S, M> => {
      const states = new KeyMap<K, [S, number]>();
      for (const [key, value, updated] of previousStates) states.set(key, [value, updated]);
      const mapped: M[] = [];
      for (const [key, value] of dataPartitions[p] ?? []) {
        const current = states.get(key);
        state.wrap(current !== undefined, current?.[0]);
        mapped.push(mapping(key, value, state));
        if (state.isRemoved()) states.delete(key);
        else if (state.isUpdated() || (state.exists() && timeout !== undefined)) {
          states.set(key, [state.get(), time]);
        }
      }
      if (fullScan && timeout !== undefined) {
        const threshold = time - timeout;
        for (const [key, [value, updated]] of [...states.entries()]) {
          if (updated >= threshold) continue;
          state.wrap(true, value, true);
          mapped.push(mapping(key, undefined, state));
          states.delete(key);
        }
      }
      return {
        states: [...states.entries()].map(([key, [value, updated]]) => [key, value, updated]),
        mapped,
      };
    });
    return ctx.fromPartitions(partitions.map((partition) => [partition]));
  }

  private async previousStates(time: number): Promise<Array<Array<[K, S, number]>>> {
    const numPartitions = this.statePartitioner.numPartitions;
    const previous = await this.getOrCompute(time - this.slideDuration);
    if (previous) return (await previous.collect()).map((partition) => partition.states);
    const initial = this.spec.getInitialStateRDD();
    if (!initial) return Array.from({ length: numPartitions }, () => []);
    const parts = await initial.partitionBy(this.statePartitioner).glom().collect();
    return parts.map((part) => part.map(([key, value]): [K, S, number] => [key, value, time]));
  }

  override async checkpointState(): Promise<unknown> {
    const latest = [...this.generatedRDDs.entries()].sort((a, b) => b[0] - a[0])[0];
    if (!latest) return undefined;
    return { time: latest[0], states: (await latest[1].collect()).map((partition) => partition.states) };
  }

  override restoreState(saved: unknown): void {
    const snapshot = saved as { time: number; states: Array<Array<[K, S, number]>> } | undefined;
    if (!snapshot) return;
    const partitions = snapshot.states.map(
      (states): Array<StatePartition<K, S, M>> => [{ states, mapped: [] }],
    );
    this.generatedRDDs.set(snapshot.time, this.ssc.dataflowContext.fromPartitions(partitions));
  }
}

/** The stream `mapWithState` returns: the mapped values, plus `stateSnapshots()`. */
export class MapWithStateDStream<K, V, S, M> extends DStream<M> {
  private readonly internal: InternalMapWithStateDStream<K, V, S, M>;

  constructor(parent: DStream<[K, V]>, spec: StateSpec<K, V, S, M>) {
    super(parent.ssc);
    this.internal = new InternalMapWithStateDStream(parent, spec);
  }

  get slideDuration(): number {
    return this.internal.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.internal as DStream<unknown>];
  }

  async compute(time: number): Promise<RDD<M> | undefined> {
    const rdd = await this.internal.getOrCompute(time);
    return rdd?.flatMap((partition) => partition.mapped);
  }

  /** Every key's state after each batch. */
  stateSnapshots(): DStream<[K, S]> {
    return this.internal.flatMap((partition) => partition.states.map(([key, value]): [K, S] => [key, value]));
  }

  /** Sets how often the state is checkpointed and scanned for timeouts (a multiple of the batch interval). */
  override checkpoint(intervalMs: number): this {
    this.internal.checkpoint(intervalMs);
    return this;
  }
}
