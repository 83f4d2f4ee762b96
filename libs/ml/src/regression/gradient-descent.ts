/**
 * Mini-batch stochastic gradient descent for least squares (Spark MLlib's `GradientDescent.runMiniBatchSGD` with
 * `LeastSquaresGradient` and `SimpleUpdater`). Iteration `i` (from 1):
 *
 * 1. sample the data without replacement with fraction `f` and seed `seed + i` (every example when `f = 1`);
 * 2. sum over the sample `g = Σ (w·x + b − y)·x` (and `Σ (w·x + b − y)` for a fitted intercept) and the loss;
 * 3. when the sample is not empty: `w ← w − (η/√i)·g/m` (m the sample size), then stop when
 *    `‖w_i − w_{i−1}‖ < tol · max(‖w_i‖, 1)` (from the second step on; the intercept counts as a weight).
 *
 * An empty data set returns the initial weights (Spark: no data, no NaNs). Each iteration is one job with a
 * shippable task; pass a cached RDD, since every iteration reads it again.
 */
import type { RDD } from '@oxbow/dataflow';
import { requireArgument } from '../errors.ts';
import {
  type GradientPartitionStats,
  type LinearParams,
  leastSquaresKernel,
  withParams,
} from '../internal/kernels.ts';
import type { LabeledPoint, Vector } from '../linalg.ts';
import { LinearRegressionModel } from './linear-regression-model.ts';

/** The settings of one gradient-descent run. */
export interface SgdOptions {
  /** Initial step size η; iteration i steps η/√i. */
  readonly stepSize: number;
  /** Iterations at most. */
  readonly numIterations: number;
  /** Fraction of the data sampled for each iteration, in (0, 1]. */
  readonly miniBatchFraction: number;
  /** Relative change of the weights under which iterations stop (0 runs them all). */
  readonly convergenceTol: number;
  /** Whether the intercept is learnt (as the weight of a constant feature 1.0) or kept fixed. */
  readonly fitIntercept: boolean;
  /** Iteration i samples with seed `seed + i` (Spark: 42). */
  readonly seed: number;
}

/** Checks SGD settings, with the names of Spark's setters in the messages. */
export function checkSgdOptions(options: SgdOptions): void {
  const { stepSize, numIterations, miniBatchFraction, convergenceTol, seed } = options;
  requireArgument(
    Number.isFinite(stepSize) && stepSize > 0,
    `the step size must be positive, got ${stepSize}`,
  );
  requireArgument(
    Number.isInteger(numIterations) && numIterations >= 0,
    `the number of iterations must be a non-negative integer, got ${numIterations}`,
  );
  requireArgument(
    miniBatchFraction > 0 && miniBatchFraction <= 1,
    `the mini-batch fraction must be in (0, 1], got ${miniBatchFraction}`,
  );
  requireArgument(
    convergenceTol >= 0 && convergenceTol <= 1,
    `the convergence tolerance must be in [0, 1], got ${convergenceTol}`,
  );
  requireArgument(Number.isInteger(seed), `the seed must be an integer, got ${seed}`);
}

/**
 * Runs gradient descent from `initial` on `data` and returns the resulting model (with a summary). The examples'
 * features must have as many entries as the initial weights.
 */
export async function runMiniBatchSgd(
  data: RDD<LabeledPoint>,
  initial: LinearRegressionModel,
  options: SgdOptions,
): Promise<LinearRegressionModel> {
  checkSgdOptions(options);
  const { stepSize, numIterations, miniBatchFraction, convergenceTol, fitIntercept, seed } = options;
  const numExamples = await data.count();
  if (numExamples === 0) return initial;

  const weights = Array.from(initial.weights);
  let intercept = initial.intercept;
  const dimension = weights.length;
  const lossHistory: number[] = [];
  let previous: Vector | undefined;
  let current: Vector | undefined;
  let converged = false;
  let i = 1;
  for (; !converged && i <= numIterations; i++) {
    const sample = miniBatchFraction >= 1 ? data : data.sample(false, miniBatchFraction, seed + i);
    const params: LinearParams = { weights: weights.slice(), intercept, fitIntercept };
    const stats = await withParams(sample, params).mapPartitions(leastSquaresKernel).collect();
    const { gradient, interceptGradient, loss, count } = mergeGradients(stats, dimension);
    if (count === 0) continue;
    lossHistory.push(loss / count);
    const step = stepSize / Math.sqrt(i);
    for (let j = 0; j < dimension; j++) {
      weights[j] = (weights[j] as number) + -step * ((gradient[j] as number) / count);
    }
    if (fitIntercept) intercept = intercept + -step * (interceptGradient / count);
    previous = current;
    current = fitIntercept ? [...weights, intercept] : weights.slice();
    if (previous !== undefined) converged = isConverged(previous, current, convergenceTol);
  }
  return new LinearRegressionModel(weights, intercept, {
    numIterations: i - 1,
    converged,
    lossHistory,
    numExamples,
  });
}

/** Sums the per-partition gradients in partition order, from zero. */
function mergeGradients(
  stats: readonly GradientPartitionStats[],
  dimension: number,
): { gradient: number[]; interceptGradient: number; loss: number; count: number } {
  const gradient = new Array<number>(dimension).fill(0);
  let interceptGradient = 0;
  let loss = 0;
  let count = 0;
  for (const partition of stats) {
    for (let j = 0; j < dimension; j++)
      gradient[j] = (gradient[j] as number) + (partition.gradient[j] as number);
    interceptGradient += partition.interceptGradient;
    loss += partition.loss;
    count += partition.count;
  }
  return { gradient, interceptGradient, loss, count };
}

/** Spark's test: the solution moved by less than `tol` relative to its norm (at least 1). */
function isConverged(previous: Vector, current: Vector, tol: number): boolean {
  let diff = 0;
  let size = 0;
  for (let j = 0; j < current.length; j++) {
    const d = (previous[j] as number) - (current[j] as number);
    diff += d * d;
    size += (current[j] as number) * (current[j] as number);
  }
  return Math.sqrt(diff) < tol * Math.max(Math.sqrt(size), 1);
}
