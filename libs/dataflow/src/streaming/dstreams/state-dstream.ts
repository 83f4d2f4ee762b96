/**
 * `updateStateByKey`: the state at t is `updateFunc(values of the batch at t, state at t − slide)` for every key
 * that has values or a state; `undefined` removes the key. Each state RDD is materialized (lineage stays one
 * batch deep) and saved in checkpoints as data, never as functions.
 */
import type { Partitioner } from '../../partitioner.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import { materialize, restoreSnapshot, type StateSnapshot, snapshotLatest } from './materialize.ts';

export class StateDStream<K, V, S> extends DStream<[K, S]> {
  override readonly mustCheckpoint = true;
  private readonly parent: DStream<[K, V]>;
  private readonly updateFunc: (values: V[], state: S | undefined) => S | undefined;
  private readonly partitioner: Partitioner;
  private readonly initialRDD: RDD<[K, S]> | undefined;

  constructor(
    parent: DStream<[K, V]>,
    updateFunc: (values: V[], state: S | undefined) => S | undefined,
    partitioner: Partitioner,
    initialRDD: RDD<[K, S]> | undefined,
  ) {
    super(parent.ssc);
    this.parent = parent;
    this.updateFunc = updateFunc;
    this.partitioner = partitioner;
    this.initialRDD = initialRDD;
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  async compute(time: number): Promise<RDD<[K, S]> | undefined> {
    const previous = (await this.getOrCompute(time - this.slideDuration)) ?? this.initialRDD;
    const batch = await this.parent.getOrCompute(time);
    const update = this.updateFunc;
    if (!previous && !batch) return undefined;
    const ctx = this.ssc.dataflowContext;
    const left = previous ?? ctx.parallelize<[K, S]>([], 1);
    const right = batch ?? ctx.parallelize<[K, V]>([], 1);
    return left.cogroup(right, this.partitioner).mapPartitions((groups) => {
      const states: Array<[K, S]> = [];
      for (let next = groups.next(); !next.done; next = groups.next()) {
        const [key, [previousStates, values]] = next.value;
        const state = update(values, previousStates[0]);
        if (state !== undefined) states.push([key, state]);
      }
      return states;
    }, true);
  }

  protected override afterCompute(_time: number, rdd: RDD<[K, S]>): Promise<RDD<[K, S]>> {
    return materialize(this.ssc.dataflowContext, rdd);
  }

  override checkpointState(): Promise<StateSnapshot<[K, S]> | undefined> {
    return snapshotLatest(this.generatedRDDs);
  }

  override restoreState(state: unknown): void {
    const snapshot = state as StateSnapshot<[K, S]> | undefined;
    restoreSnapshot(this.ssc.dataflowContext, this.generatedRDDs, snapshot, this.partitioner);
  }
}
