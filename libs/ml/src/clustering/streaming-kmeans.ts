/**
 * `StreamingKMeans` (Spark MLlib's): configure k, the decay and the initial centers, then `trainOn` a DStream of
 * points to update the model every micro-batch, and `predictOn`/`predictOnValues` to label points with the latest
 * model. The model is checkpointed with the `StreamingContext` (see {@link ModelTrainingDStream}).
 */
import type { DStream, RDD } from '@oxbow/dataflow';
import { MlError, requireArgument } from '../errors.ts';
import { kmeansPredictValuesKernel, withParams } from '../internal/kernels.ts';
import { SeededRandom } from '../internal/random.ts';
import type { Vector } from '../linalg.ts';
import { ModelTrainingDStream, type StreamingLearner } from '../streaming/training-dstream.ts';
import { type KMeansModel, StreamingKMeansModel, type TimeUnit } from './kmeans-model.ts';

/** Options of {@link StreamingKMeans}; defaults are Spark's (k 2, no forgetting, decay counted in batches). */
export interface StreamingKMeansOptions {
  /** The number of clusters (default 2). */
  k?: number;
  /** The decay factor `a` ≥ 0 (default 1: every batch counts the same; 0: only the latest batch counts). */
  decayFactor?: number;
  /** Whether the decay applies per batch or per point (default `'batches'`). */
  timeUnit?: TimeUnit;
}

/**
 * Streaming k-means, with Spark MLlib's update rule (see {@link StreamingKMeansModel}).
 *
 * @example
 * ```ts
 * const kmeans = new StreamingKMeans({ k: 3 }).setHalfLife(5, 'batches').setRandomCenters(2, 0, 7);
 * kmeans.trainOn(trainingPoints); // DStream<Vector>
 * kmeans.predictOnValues(keyedPoints).print(); // DStream<[key, cluster]>
 * ```
 */
export class StreamingKMeans {
  /** Decay counted per batch. */
  static readonly BATCHES: TimeUnit = 'batches';
  /** Decay counted per point. */
  static readonly POINTS: TimeUnit = 'points';

  private kValue: number;
  private decay: number;
  private unit: TimeUnit;
  private model: StreamingKMeansModel | undefined;
  /** The dimension of the initial model: a checkpointed model must have it. */
  private initialDimension: number | undefined;

  /** A streaming k-means with the given options; set initial centers before training. */
  constructor(options: StreamingKMeansOptions = {}) {
    this.kValue = 2;
    this.decay = 1;
    this.unit = 'batches';
    this.setK(options.k ?? 2);
    this.setDecayFactor(options.decayFactor ?? 1);
    this.setTimeUnit(options.timeUnit ?? 'batches');
  }

  /** The number of clusters. */
  get k(): number {
    return this.kValue;
  }

  /** The decay factor. */
  get decayFactor(): number {
    return this.decay;
  }

  /** The unit the decay is counted in. */
  get timeUnit(): TimeUnit {
    return this.unit;
  }

  /** Sets the number of clusters (a positive integer). */
  setK(k: number): this {
    requireArgument(
      Number.isInteger(k) && k > 0,
      `the number of clusters must be a positive integer, got ${k}`,
    );
    this.kValue = k;
    return this;
  }

  /** Sets the forgetfulness of past batches: the decay factor `a` ≥ 0. */
  setDecayFactor(a: number): this {
    requireArgument(
      Number.isFinite(a) && a >= 0,
      `the decay factor must be finite and non-negative, got ${a}`,
    );
    this.decay = a;
    return this;
  }

  /** Sets whether the decay applies per batch or per point. */
  setTimeUnit(timeUnit: TimeUnit): this {
    requireArgument(
      timeUnit === 'batches' || timeUnit === 'points',
      `the time unit must be 'batches' or 'points', got ${timeUnit}`,
    );
    this.unit = timeUnit;
    return this;
  }

  /**
   * Sets the decay by a half-life: after `halfLife` batches (or points), data weighs half as much. The decay
   * factor becomes `exp(ln(0.5) / halfLife)`.
   */
  setHalfLife(halfLife: number, timeUnit: TimeUnit): this {
    requireArgument(
      Number.isFinite(halfLife) && halfLife > 0,
      `the half life must be positive, got ${halfLife}`,
    );
    this.setTimeUnit(timeUnit);
    this.decay = Math.exp(Math.log(0.5) / halfLife);
    return this;
  }

  /** Sets the initial centers and their weights (`k` of each; weights ≥ 0, the points they stand for). */
  setInitialCenters(centers: readonly Vector[], weights: readonly number[]): this {
    requireArgument(
      centers.length === weights.length,
      `the number of initial centers (${centers.length}) must equal the number of weights (${weights.length})`,
    );
    requireArgument(
      centers.length === this.kValue,
      `the number of initial centers must be ${this.kValue}, got ${centers.length}`,
    );
    return this.useInitialModel(new StreamingKMeansModel(centers, weights));
  }

  /**
   * Sets `k` random centers of dimension `dim`, every coordinate standard normal (seeded: default 42), each with
   * weight `weight`.
   */
  setRandomCenters(dim: number, weight: number, seed = 42): this {
    requireArgument(
      Number.isInteger(dim) && dim > 0,
      `the number of dimensions must be positive, got ${dim}`,
    );
    requireArgument(Number.isFinite(weight) && weight >= 0, `the weight must be non-negative, got ${weight}`);
    const random = new SeededRandom(seed);
    const centers = Array.from({ length: this.kValue }, () =>
      Array.from({ length: dim }, () => random.nextGaussian()),
    );
    return this.useInitialModel(
      new StreamingKMeansModel(centers, new Array<number>(this.kValue).fill(weight)),
    );
  }

  /**
   * Starts from a trained model, typically the batch layer's: a {@link StreamingKMeansModel} keeps its weights;
   * a batch `KMeansModel` gets `weights` (one number for every cluster, or one per cluster; default: the cluster
   * sizes of its training summary, or 0). Sets `k` to the model's.
   */
  setInitialModel(model: KMeansModel, weights?: number | readonly number[]): this {
    let initial: StreamingKMeansModel;
    if (model instanceof StreamingKMeansModel && weights === undefined) {
      initial = model;
    } else {
      const perCluster =
        weights === undefined
          ? (model.summary?.clusterSizes ?? new Array<number>(model.k).fill(0))
          : typeof weights === 'number'
            ? new Array<number>(model.k).fill(weights)
            : weights;
      initial = new StreamingKMeansModel(model.clusterCenters, perCluster);
    }
    this.kValue = initial.k;
    return this.useInitialModel(initial);
  }

  /** The current model: the initial one, then the one after each trained batch. */
  latestModel(): StreamingKMeansModel {
    return this.requireModel();
  }

  /**
   * Updates the model with every batch of `data` (an output of the graph, so it runs in the order outputs were
   * registered: predictions registered later in a batch see the model updated with that batch, as in Spark).
   * Every batch counts, an empty one too (with `'batches'`, it decays the weights).
   */
  trainOn(data: DStream<Vector>): void {
    const model = this.requireModel();
    requireArgument(
      model.k === this.kValue,
      `k is ${this.kValue} but the initial model has ${model.k} centers: set the initial centers after setK`,
    );
    new ModelTrainingDStream<Vector>(data, this.learner());
  }

  /** The index of the closest center for every point of `data`, with the model current when the batch runs. */
  predictOn(data: DStream<Vector>): DStream<number> {
    this.requireModel();
    return data.transform((rdd) => this.latestModel().predict(rdd));
  }

  /** {@link predictOn} on the values of keyed points, keeping the keys. */
  predictOnValues<K>(data: DStream<[K, Vector]>): DStream<[K, number]> {
    this.requireModel();
    return data.transform((rdd) =>
      withParams(rdd, { centers: this.latestModel().clusterCenters }).map(kmeansPredictValuesKernel<K>),
    );
  }

  /** Updates the model with one batch of points (what `trainOn` does for every batch). */
  async update(data: RDD<Vector>): Promise<StreamingKMeansModel> {
    const next = await this.requireModel().update(data, this.decay, this.unit);
    this.model = next;
    return next;
  }

  private useInitialModel(model: StreamingKMeansModel): this {
    this.model = model;
    this.initialDimension = model.dimension;
    return this;
  }

  private requireModel(): StreamingKMeansModel {
    if (!this.model) {
      throw new MlError(
        'OXBOW_MODEL_NOT_INITIALIZED',
        'Initial cluster centers must be set before training or predicting (setInitialCenters, setRandomCenters or setInitialModel)',
      );
    }
    return this.model;
  }

  private learner(): StreamingLearner<Vector> {
    return {
      learnerName: 'StreamingKMeans',
      trainOnBatch: async (rdd) => {
        await this.update(rdd);
      },
      checkpointModel: () => this.requireModel().toJSON(),
      restoreModel: (saved) => {
        const model = StreamingKMeansModel.fromJSON(saved);
        if (model.k !== this.kValue || model.dimension !== this.initialDimension) {
          throw new MlError(
            'OXBOW_CHECKPOINT_MISMATCH',
            `the checkpointed k-means model has ${model.k} centers of dimension ${model.dimension}; the graph configures ${this.kValue} of dimension ${this.initialDimension}`,
          );
        }
        this.model = model;
      },
    };
  }
}
