/**
 * Batch linear regression on an RDD of labelled points, by mini-batch SGD (Spark MLlib's
 * `LinearRegressionWithSGD`).
 */
import { DataflowError, type RDD } from '@oxbow/dataflow';
import { MlError, requireArgument } from '../errors.ts';
import { checkVector, type LabeledPoint, type Vector } from '../linalg.ts';
import { runMiniBatchSgd } from './gradient-descent.ts';
import { LinearRegressionModel } from './linear-regression-model.ts';

/** Options of {@link LinearRegressionWithSGD.train}; defaults are Spark's `LinearRegressionWithSGD`'s. */
export interface LinearRegressionWithSGDOptions {
  /** Iterations at most (default 100). */
  numIterations?: number;
  /** Initial step size; iteration i steps `stepSize/√i` (default 1.0). */
  stepSize?: number;
  /** Fraction of the data each iteration samples, in (0, 1] (default 1.0). */
  miniBatchFraction?: number;
  /** Stop when the weights change by less than this, relatively (default 0.001). */
  convergenceTol?: number;
  /** Starting weights (default zeros, with as many features as the first example). */
  initialWeights?: Vector;
  /** Learn an intercept (default false, as Spark). */
  intercept?: boolean;
  /**
   * Starting intercept when `intercept` is true (default 1.0: Spark appends a bias weight of 1.0 to the initial
   * weights); otherwise the fixed intercept of the model (default 0).
   */
  initialIntercept?: number;
  /** Iteration i samples with seed `seed + i` (default 42, as Spark). */
  seed?: number;
}

/**
 * Trains linear regression models with SGD.
 *
 * @example
 * ```ts
 * const examples = ctx.parallelize(points).cache(); // RDD<LabeledPoint>
 * const model = await LinearRegressionWithSGD.train(examples, { numIterations: 200, stepSize: 0.5 });
 * model.predict([1, 2]);
 * ```
 */
export class LinearRegressionWithSGD {
  private readonly options: LinearRegressionWithSGDOptions;

  /** A trainer with the given options (checked when it runs). */
  constructor(options: LinearRegressionWithSGDOptions = {}) {
    this.options = { ...options };
  }

  /** Trains a model on `data` (fails with `OXBOW_INVALID_ARGUMENT` when it is empty and no weights are given). */
  static train(
    data: RDD<LabeledPoint>,
    options: LinearRegressionWithSGDOptions = {},
  ): Promise<LinearRegressionModel> {
    return new LinearRegressionWithSGD(options).run(data);
  }

  /** Trains a model on `data`. */
  async run(data: RDD<LabeledPoint>): Promise<LinearRegressionModel> {
    const options = this.options;
    const fitIntercept = options.intercept ?? false;
    const initialIntercept = options.initialIntercept ?? (fitIntercept ? 1 : 0);
    requireArgument(Number.isFinite(initialIntercept), `the initial intercept must be finite`);
    let initialWeights = options.initialWeights;
    if (initialWeights === undefined) {
      const first = await firstExample(data);
      checkVector(first.features, 'the features of the first example');
      initialWeights = new Array<number>(first.features.length).fill(0);
    }
    checkVector(initialWeights, 'the initial weights');
    return runMiniBatchSgd(data, new LinearRegressionModel(initialWeights, initialIntercept), {
      stepSize: options.stepSize ?? 1,
      numIterations: options.numIterations ?? 100,
      miniBatchFraction: options.miniBatchFraction ?? 1,
      convergenceTol: options.convergenceTol ?? 0.001,
      fitIntercept,
      seed: options.seed ?? 42,
    });
  }
}

async function firstExample(data: RDD<LabeledPoint>): Promise<LabeledPoint> {
  try {
    return await data.first();
  } catch (error) {
    if (DataflowError.is(error, 'OXBOW_EMPTY_COLLECTION')) {
      throw new MlError(
        'OXBOW_INVALID_ARGUMENT',
        'linear regression needs at least one example to train on',
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
