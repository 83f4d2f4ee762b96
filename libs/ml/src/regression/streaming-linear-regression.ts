/**
 * `StreamingLinearRegressionWithSGD` (Spark MLlib's): every non-empty micro-batch runs mini-batch SGD on that
 * batch, starting from the latest model's weights. The model is checkpointed with the `StreamingContext` (see
 * {@link ModelTrainingDStream}).
 */
import type { DStream, RDD } from '@oxbow/dataflow';
import { MlError } from '../errors.ts';
import { linearPredictValuesKernel, withParams } from '../internal/kernels.ts';
import { checkVector, type LabeledPoint, type Vector } from '../linalg.ts';
import { ModelTrainingDStream, type StreamingLearner } from '../streaming/training-dstream.ts';
import { checkSgdOptions, runMiniBatchSgd, type SgdOptions } from './gradient-descent.ts';
import { LinearRegressionModel } from './linear-regression-model.ts';

/** Options of {@link StreamingLinearRegressionWithSGD}; defaults are Spark's. */
export interface StreamingLinearRegressionOptions {
  /** Initial step size of each batch's SGD; iteration i steps `stepSize/√i` (default 0.1). */
  stepSize?: number;
  /** SGD iterations per batch at most (default 50). */
  numIterations?: number;
  /** Fraction of each batch sampled per iteration, in (0, 1] (default 1.0). */
  miniBatchFraction?: number;
  /** Stop a batch's SGD when the weights change by less than this, relatively (default 0.001). */
  convergenceTol?: number;
  /**
   * Learn the intercept too (default false). Spark's streaming regression never learns it; here, without this
   * option, the intercept of the initial model (0 unless one was given) is kept fixed.
   */
  intercept?: boolean;
  /** Iteration i of each batch samples with seed `seed + i` (default 42, as Spark). */
  seed?: number;
}

/**
 * Streaming linear regression by SGD.
 *
 * @example
 * ```ts
 * const regression = new StreamingLinearRegressionWithSGD({ stepSize: 0.5 }).setInitialWeights([0, 0]);
 * regression.trainOn(labelled); // DStream<LabeledPoint>
 * regression.predictOnValues(keyedFeatures).print(); // DStream<[key, prediction]>
 * ```
 */
export class StreamingLinearRegressionWithSGD {
  private options: SgdOptions;
  private model: LinearRegressionModel | undefined;

  /** A streaming regression with the given options; set the initial weights before training. */
  constructor(options: StreamingLinearRegressionOptions = {}) {
    this.options = {
      stepSize: options.stepSize ?? 0.1,
      numIterations: options.numIterations ?? 50,
      miniBatchFraction: options.miniBatchFraction ?? 1,
      convergenceTol: options.convergenceTol ?? 0.001,
      fitIntercept: options.intercept ?? false,
      seed: options.seed ?? 42,
    };
    checkSgdOptions(this.options);
  }

  /** The SGD settings each batch runs with. */
  get sgdOptions(): Readonly<SgdOptions> {
    return this.options;
  }

  /** Sets the initial step size (default 0.1). */
  setStepSize(stepSize: number): this {
    return this.set({ stepSize });
  }

  /** Sets the SGD iterations per batch (default 50). */
  setNumIterations(numIterations: number): this {
    return this.set({ numIterations });
  }

  /** Sets the fraction of each batch sampled per iteration (default 1.0). */
  setMiniBatchFraction(miniBatchFraction: number): this {
    return this.set({ miniBatchFraction });
  }

  /** Sets the convergence tolerance (default 0.001). */
  setConvergenceTol(convergenceTol: number): this {
    return this.set({ convergenceTol });
  }

  /** Learns the intercept too (an extension of Spark's streaming regression, which keeps it at 0). */
  setIntercept(fitIntercept: boolean): this {
    return this.set({ fitIntercept });
  }

  /** Sets the initial weights (and intercept, default 0): Spark's `setInitialWeights`. */
  setInitialWeights(weights: Vector, intercept = 0): this {
    checkVector(weights, 'the initial weights');
    this.model = new LinearRegressionModel(weights, intercept);
    return this;
  }

  /** Starts from a trained model, typically the batch layer's. */
  setInitialModel(model: LinearRegressionModel): this {
    this.model = model;
    return this;
  }

  /** The current model: the initial one, then the one after each non-empty trained batch. */
  latestModel(): LinearRegressionModel {
    if (!this.model) {
      throw new MlError(
        'OXBOW_MODEL_NOT_INITIALIZED',
        'Model must be initialized before training or predicting (setInitialWeights or setInitialModel)',
      );
    }
    return this.model;
  }

  /**
   * Updates the model with every non-empty batch of `data` (an output of the graph: predictions registered later
   * see the model updated with the same batch, as in Spark). The batch is cached for the SGD iterations.
   */
  trainOn(data: DStream<LabeledPoint>): void {
    this.latestModel();
    new ModelTrainingDStream<LabeledPoint>(data, this.learner());
  }

  /** The prediction for every feature vector of `data`, with the model current when the batch runs. */
  predictOn(data: DStream<Vector>): DStream<number> {
    this.latestModel();
    return data.transform((rdd) => this.latestModel().predict(rdd));
  }

  /** {@link predictOn} on the values of keyed feature vectors, keeping the keys. */
  predictOnValues<K>(data: DStream<[K, Vector]>): DStream<[K, number]> {
    this.latestModel();
    return data.transform((rdd) =>
      withParams(rdd, this.latestModel().params()).map(linearPredictValuesKernel<K>),
    );
  }

  /**
   * Updates the model with one batch of examples (what `trainOn` does for every batch); an empty batch leaves it
   * unchanged.
   */
  async update(data: RDD<LabeledPoint>): Promise<LinearRegressionModel> {
    const current = this.latestModel();
    const cached = data.getStorageLevel() === undefined;
    if (cached) data.persist();
    try {
      const next = await runMiniBatchSgd(data, current, this.options);
      this.model = next;
      return next;
    } finally {
      if (cached) data.unpersist();
    }
  }

  private set(changes: Partial<SgdOptions>): this {
    const options = { ...this.options, ...changes };
    checkSgdOptions(options);
    this.options = options;
    return this;
  }

  private learner(): StreamingLearner<LabeledPoint> {
    return {
      learnerName: 'StreamingLinearRegressionWithSGD',
      trainOnBatch: async (rdd) => {
        await this.update(rdd);
      },
      checkpointModel: () => this.latestModel().toJSON(),
      restoreModel: (saved) => {
        const model = LinearRegressionModel.fromJSON(saved);
        const expected = this.latestModel().numFeatures;
        if (model.numFeatures !== expected) {
          throw new MlError(
            'OXBOW_CHECKPOINT_MISMATCH',
            `the checkpointed regression model has ${model.numFeatures} features; the graph configures ${expected}`,
          );
        }
        this.model = model;
      },
    };
  }
}
