/**
 * `State` and `StateSpec` of `mapWithState`, as in Spark: the mapping function sees one key's state through a
 * `State` (exists, get, update, remove, isTimingOut), and a `StateSpec` carries the function with its options.
 */
import { DataflowError, requireArgument } from '../errors.ts';
import { HashPartitioner, type Partitioner } from '../partitioner.ts';
import type { RDD } from '../rdd/rdd.ts';

/** One key's state, as the mapping function sees it. */
export class State<S> {
  private value: S | undefined;
  private present = false;
  private updated = false;
  private removed = false;
  private timingOut = false;

  /** Whether the key has a state. */
  exists(): boolean {
    return this.present;
  }

  /** The state; fails when there is none. */
  get(): S {
    if (!this.present) throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'State is not set');
    return this.value as S;
  }

  /** The state, or undefined (Spark's `getOption`). */
  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  /** Sets the state. Not allowed while the state is timing out or after `remove`. */
  update(newState: S): void {
    if (this.removed)
      throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'Cannot update the state after it has been removed');
    if (this.timingOut)
      throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'Cannot update the state that is timing out');
    this.value = newState;
    this.present = true;
    this.updated = true;
  }

  /** Removes the key's state. */
  remove(): void {
    if (this.removed)
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        'Cannot remove the state that has already been removed',
      );
    if (this.timingOut)
      throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'Cannot remove the state that is timing out');
    this.removed = true;
    this.present = false;
    this.value = undefined;
  }

  /** Whether the key is being called because its state timed out (it is then removed). */
  isTimingOut(): boolean {
    return this.timingOut;
  }

  /** Points this object at a key's state (engine use). */
  wrap(present: boolean, value: S | undefined, timingOut = false): void {
    this.present = present;
    this.value = value;
    this.updated = false;
    this.removed = false;
    this.timingOut = timingOut;
  }

  /** Whether `update` was called since `wrap` (engine use). */
  isUpdated(): boolean {
    return this.updated;
  }

  /** Whether `remove` was called since `wrap` (engine use). */
  isRemoved(): boolean {
    return this.removed;
  }
}

/** The mapping function of `mapWithState`: called once per record of the batch (value defined), and once with `undefined` when the key times out. */
export type MappingFunction<K, V, S, M> = (key: K, value: V | undefined, state: State<S>) => M;

/** What `mapWithState` runs, with its options. */
export class StateSpec<K, V, S, M> {
  readonly mappingFunction: MappingFunction<K, V, S, M>;
  private initial: RDD<[K, S]> | undefined;
  private partitionerValue: Partitioner | undefined;
  private timeoutMs: number | undefined;

  private constructor(mappingFunction: MappingFunction<K, V, S, M>) {
    this.mappingFunction = mappingFunction;
  }

  /** A spec for `mappingFunction`. */
  static function<K, V, S, M>(mappingFunction: MappingFunction<K, V, S, M>): StateSpec<K, V, S, M> {
    return new StateSpec(mappingFunction);
  }

  /** States to start from. */
  initialState(rdd: RDD<[K, S]>): this {
    this.initial = rdd;
    return this;
  }

  /** Hash-partitions the state into `n` partitions. */
  numPartitions(n: number): this {
    this.partitionerValue = new HashPartitioner(n);
    return this;
  }

  /** Partitions the state with `partitioner`. */
  partitioner(partitioner: Partitioner): this {
    this.partitionerValue = partitioner;
    return this;
  }

  /** Removes a key's state when it had no record for `idleMs` (the function is called once more, timing out). */
  timeout(idleMs: number): this {
    requireArgument(idleMs > 0, `timeout must be positive, got ${idleMs}`);
    this.timeoutMs = idleMs;
    return this;
  }

  /** The initial states, if any. */
  getInitialStateRDD(): RDD<[K, S]> | undefined {
    return this.initial;
  }

  /** The partitioner, if set. */
  getPartitioner(): Partitioner | undefined {
    return this.partitionerValue;
  }

  /** The idle timeout, if set. */
  getTimeout(): number | undefined {
    return this.timeoutMs;
  }
}
