/**
 * The stream `trainOn` adds to the graph: at each batch it updates a streaming model with its parent's RDD, and it
 * puts the model into the `StreamingContext`'s checkpoints as data (like dataflow's stateful streams put their
 * state), so `StreamingContext.getOrCreate` resumes the model exactly where the last checkpointed batch left it.
 */
import { DStream, type RDD } from '@oxbow/dataflow';
import { MlError } from '../errors.ts';

/** What a streaming algorithm gives its training stream. */
export interface StreamingLearner<T> {
  /** A stable name of the algorithm (part of the stream's name, which the checkpoint matches). */
  readonly learnerName: string;
  /** Updates the model with one micro-batch. */
  trainOnBatch(rdd: RDD<T>, time: number): Promise<void>;
  /** The current model as plain data (its versioned JSON). */
  checkpointModel(): unknown;
  /** Replaces the current model by a checkpointed one (refusing one that does not fit the configuration). */
  restoreModel(saved: unknown): void;
}

/** The state a training stream writes into each checkpoint. */
interface TrainingCheckpoint {
  format: 'oxbow-ml-training';
  version: 1;
  learner: string;
  /** The batch time of the last update the model reflects. */
  time: number | undefined;
  model: unknown;
}

/** One training stream per `trainOn` call; an output of the graph, registered in call order. */
export class ModelTrainingDStream<T> extends DStream<T> {
  private readonly parent: DStream<T>;
  private readonly learner: StreamingLearner<T>;
  private lastTrainedTime: number | undefined;

  /** Adds the training stream of `learner` over `parent`, and its output, to `parent`'s context. */
  constructor(parent: DStream<T>, learner: StreamingLearner<T>) {
    super(parent.ssc);
    this.parent = parent;
    this.learner = learner;
    this.foreachRDD(() => undefined);
  }

  /** The same as the parent's. */
  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  /** The parent only. */
  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  /** Includes the algorithm, so a checkpoint of another algorithm's graph is refused by the context. */
  override get name(): string {
    return `ModelTrainingDStream[${this.learner.learnerName}]`;
  }

  /** Trains on the parent's RDD of `time` (once: the engine memoizes the result) and passes the RDD on. */
  async compute(time: number): Promise<RDD<T> | undefined> {
    const rdd = await this.parent.getOrCompute(time);
    if (!rdd) return undefined;
    await this.learner.trainOnBatch(rdd, time);
    this.lastTrainedTime = time;
    return rdd;
  }

  /** The model after the batch being checkpointed. */
  override checkpointState(): TrainingCheckpoint {
    return {
      format: 'oxbow-ml-training',
      version: 1,
      learner: this.learner.learnerName,
      time: this.lastTrainedTime,
      model: this.learner.checkpointModel(),
    };
  }

  /** Puts the checkpointed model back into the algorithm. */
  override restoreState(saved: unknown): void {
    const state = saved as Partial<TrainingCheckpoint> | undefined;
    if (state?.format !== 'oxbow-ml-training' || state.version !== 1) {
      throw new MlError(
        'OXBOW_CHECKPOINT_MISMATCH',
        `${this.name}: the checkpoint holds no model state this version of @oxbow/ml can read`,
      );
    }
    if (state.learner !== this.learner.learnerName) {
      throw new MlError(
        'OXBOW_CHECKPOINT_MISMATCH',
        `${this.name}: the checkpoint holds a ${state.learner} model, the graph trains ${this.learner.learnerName}`,
      );
    }
    this.learner.restoreModel(state.model);
    this.lastTrainedTime = state.time;
  }
}
