/**
 * What a served model holds, read from `@oxbow/ml`'s saved JSON (`{ format: 'oxbow-ml-model', type, version, … }`)
 * for the page to show as tables: a k-means model's centers (with the streaming model's weights, or the points of
 * the batch model's last iteration), a linear regression's weights and intercept. A document of another type or
 * shape is shown as JSON.
 */

/** The centers of a k-means model (`kmeans` from the batch layer, `streaming-kmeans` from the speed layer). */
export interface KMeansContent {
  readonly type: 'kmeans';
  /** One row per center, one column per feature. */
  readonly centers: readonly (readonly number[])[];
  /**
   * Per center: the streaming model's weight (decayed points), or the points assigned to it in the batch model's
   * last iteration; `undefined` when the model has neither.
   */
  readonly centerWeights: { readonly label: string; readonly values: readonly number[] } | undefined;
  /** The batch training's cost, iterations and convergence, when saved. */
  readonly training:
    | { readonly cost: number; readonly iterations: number; readonly converged: boolean }
    | undefined;
}

/** A linear regression: `prediction = intercept + Σ weights[i] · features[i]`. */
export interface LinearRegressionContent {
  readonly type: 'linear-regression';
  readonly weights: readonly number[];
  readonly intercept: number;
  /** The batch training's iterations, convergence and last loss, when saved. */
  readonly training:
    | {
        readonly iterations: number;
        readonly converged: boolean;
        readonly finalLoss: number | undefined;
      }
    | undefined;
}

/** A model the page has no table for: shown as its JSON. */
export interface OtherContent {
  readonly type: 'other';
  readonly json: unknown;
}

export type ModelContent = KMeansContent | LinearRegressionContent | OtherContent;

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every(isNumber);
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readKMeans(saved: Readonly<Record<string, unknown>>): KMeansContent | undefined {
  const centers = saved.clusterCenters;
  if (!Array.isArray(centers) || centers.length === 0 || !centers.every(isVector)) return undefined;
  const dimension = centers[0]?.length;
  if (!centers.every((center) => center.length === dimension)) return undefined;
  const summary = isObject(saved.summary) ? saved.summary : undefined;
  const sizes = summary?.clusterSizes;
  let centerWeights: KMeansContent['centerWeights'];
  if (isVector(saved.clusterWeights) && saved.clusterWeights.length === centers.length) {
    centerWeights = { label: 'weight', values: saved.clusterWeights };
  } else if (isVector(sizes) && sizes.length === centers.length) {
    centerWeights = { label: 'points', values: sizes };
  }
  const training =
    summary !== undefined && isNumber(summary.trainingCost) && isNumber(summary.numIterations)
      ? {
          cost: summary.trainingCost,
          iterations: summary.numIterations,
          converged: summary.converged === true,
        }
      : undefined;
  return { type: 'kmeans', centers, centerWeights, training };
}

function readLinearRegression(saved: Readonly<Record<string, unknown>>): LinearRegressionContent | undefined {
  if (!isVector(saved.weights) || !isNumber(saved.intercept)) return undefined;
  const summary = isObject(saved.summary) ? saved.summary : undefined;
  const losses = summary?.lossHistory;
  const training =
    summary !== undefined && isNumber(summary.numIterations)
      ? {
          iterations: summary.numIterations,
          converged: summary.converged === true,
          finalLoss: isVector(losses) ? losses.at(-1) : undefined,
        }
      : undefined;
  return { type: 'linear-regression', weights: saved.weights, intercept: saved.intercept, training };
}

/**
 * Reads a saved model for the page.
 *
 * @example
 * readModelContent({ format: 'oxbow-ml-model', type: 'linear-regression', version: 1, weights: [2], intercept: 1 });
 * // { type: 'linear-regression', weights: [2], intercept: 1, training: undefined }
 */
export function readModelContent(saved: unknown): ModelContent {
  if (isObject(saved) && saved.format === 'oxbow-ml-model') {
    const content =
      saved.type === 'kmeans' || saved.type === 'streaming-kmeans'
        ? readKMeans(saved)
        : saved.type === 'linear-regression'
          ? readLinearRegression(saved)
          : undefined;
    if (content !== undefined) return content;
  }
  return { type: 'other', json: saved };
}
