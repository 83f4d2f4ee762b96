/**
 * `LinearRegressionModel`: weights and an intercept; predicts `w·x + b` (Spark MLlib's model of the same name).
 * Immutable, and saved as versioned JSON.
 */
import { RDD } from '@oxbow/dataflow';
import { MlError, requireArgument } from '../errors.ts';
import { type LinearParams, linearPredictKernel, withParams } from '../internal/kernels.ts';
import { checkVector, dot, frozenVector, positiveZero, type Vector } from '../linalg.ts';
import { MODEL_FORMAT, parseModelDocument, readEnvelope, readNumber, readVector } from '../serialization.ts';

/** What the gradient descent that made a model measured. */
export interface SgdSummary {
  /** Iterations that ran (with a non-empty mini-batch or not). */
  readonly numIterations: number;
  /** Whether it stopped on the convergence tolerance before `numIterations`. */
  readonly converged: boolean;
  /** The mean squared-error loss (halved) of each mini-batch, before its step, as Spark's loss history. */
  readonly lossHistory: readonly number[];
  /** Examples trained on (the size of the batch). */
  readonly numExamples: number;
}

/** The saved form of a {@link LinearRegressionModel}. */
export interface LinearRegressionModelJSON {
  readonly format: typeof MODEL_FORMAT;
  readonly type: 'linear-regression';
  readonly version: 1;
  readonly weights: number[];
  readonly intercept: number;
  readonly summary?: {
    numIterations: number;
    converged: boolean;
    lossHistory: number[];
    numExamples: number;
  };
}

const LINEAR_REGRESSION_VERSION = 1;

/**
 * A linear regression model.
 *
 * @example
 * ```ts
 * const model = new LinearRegressionModel([2, -1], 0.5);
 * model.predict([1, 1]); // 1.5
 * LinearRegressionModel.fromJSON(JSON.stringify(model)); // an equal model
 * ```
 */
export class LinearRegressionModel {
  /** The weight of each feature (frozen copy). */
  readonly weights: Vector;
  /** The intercept `b`. */
  readonly intercept: number;
  /** What training measured, for models made by gradient descent. */
  readonly summary: SgdSummary | undefined;

  /** A model with the given weights (finite, at least one) and intercept. */
  constructor(weights: Vector, intercept = 0, summary?: SgdSummary) {
    checkVector(weights, 'the weights');
    requireArgument(Number.isFinite(intercept), `the intercept must be finite, got ${intercept}`);
    this.weights = frozenVector(weights);
    this.intercept = positiveZero(intercept);
    this.summary =
      summary && Object.freeze({ ...summary, lossHistory: Object.freeze(Array.from(summary.lossHistory)) });
  }

  /** The number of features. */
  get numFeatures(): number {
    return this.weights.length;
  }

  /** The prediction `w·x + b` for one feature vector. */
  predict(features: Vector): number;
  /** The prediction for each feature vector of `data`, lazily (the RDD's tasks are shippable). */
  predict(data: RDD<Vector>): RDD<number>;
  predict(featuresOrData: Vector | RDD<Vector>): number | RDD<number> {
    if (featuresOrData instanceof RDD)
      return withParams(featuresOrData, this.params()).map(linearPredictKernel);
    checkVector(featuresOrData, 'the features', this.weights.length);
    return dot(featuresOrData, this.weights) + this.intercept;
  }

  /** The model as versioned JSON (`JSON.stringify(model)` calls it). */
  toJSON(): LinearRegressionModelJSON {
    const summary = this.summary;
    return {
      format: MODEL_FORMAT,
      type: 'linear-regression',
      version: LINEAR_REGRESSION_VERSION,
      weights: Array.from(this.weights),
      intercept: this.intercept,
      ...(summary
        ? {
            summary: {
              numIterations: summary.numIterations,
              converged: summary.converged,
              lossHistory: Array.from(summary.lossHistory),
              numExamples: summary.numExamples,
            },
          }
        : {}),
    };
  }

  /** Reads a saved model (a JSON string or the parsed object). */
  static fromJSON(json: unknown): LinearRegressionModel {
    const document = parseModelDocument(json);
    readEnvelope(document, ['linear-regression'], LINEAR_REGRESSION_VERSION);
    const weights = readVector(document.weights, 'linear-regression.weights');
    const intercept = readNumber(document, 'intercept', 'linear-regression');
    return new LinearRegressionModel(weights, intercept, readSummary(document.summary));
  }

  /**
   * The parameters the kernels receive (used by the streaming algorithm).
   *
   * @internal
   */
  params(fitIntercept = false): LinearParams {
    return { weights: this.weights, intercept: this.intercept, fitIntercept };
  }
}

function readSummary(value: unknown): SgdSummary | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new MlError('OXBOW_INVALID_MODEL', 'linear-regression.summary must be an object');
  }
  const summary = value as Record<string, unknown>;
  const where = 'linear-regression.summary';
  if (typeof summary.converged !== 'boolean') {
    throw new MlError('OXBOW_INVALID_MODEL', `${where}.converged must be a boolean`);
  }
  const history = summary.lossHistory;
  if (!Array.isArray(history) || history.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new MlError('OXBOW_INVALID_MODEL', `${where}.lossHistory must be an array of finite numbers`);
  }
  return {
    numIterations: readNumber(summary, 'numIterations', where),
    converged: summary.converged,
    lossHistory: history as number[],
    numExamples: readNumber(summary, 'numExamples', where),
  };
}
