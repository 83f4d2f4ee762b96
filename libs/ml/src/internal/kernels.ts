/**
 * The per-partition computations of training and prediction, written as **shippable** functions: each reads only
 * its parameters, its locals and standard globals, so the engine runs its tasks on worker threads (see
 * docs/design/0001-task-model.md). The model's parameters (centers, weights) reach a task as data: every record is
 * paired with one parameters object by `withParams` (a cartesian product with a one-element RDD), never captured
 * from the driver's scope. Helpers are therefore written out inside each kernel; the tests check every kernel with
 * the engine's own closure analysis.
 *
 * Arithmetic is spelled out in the same order as Spark's BLAS calls and as the reference implementations in the
 * tests (sums in record order, dot products in index order), so results are reproducible bit for bit for a given
 * partitioning.
 */
import type { RDD, RddFactory } from '@oxbow/dataflow';
import { MlError } from '../errors.ts';
import type { LabeledPoint, Vector } from '../linalg.ts';

/** The parameters of the k-means kernels. */
export interface CentersParams {
  readonly centers: readonly Vector[];
}

/** What one partition contributes to a k-means step: per-center sums and counts, and the cost. */
export interface KMeansPartitionStats {
  readonly sums: number[][];
  readonly counts: number[];
  readonly cost: number;
}

/** The parameters of the k-means|| selection kernel. */
export interface SelectionParams extends CentersParams {
  readonly seed: number;
  readonly step: number;
  readonly k: number;
  readonly sumCosts: number;
}

/** Which records to pick from each partition: `[offset in partition, position in the sample]`, by offset. */
export interface PickParams {
  readonly wanted: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
}

/** The parameters of the linear-model kernels. */
export interface LinearParams {
  readonly weights: Vector;
  readonly intercept: number;
  readonly fitIntercept: boolean;
}

/** What one partition contributes to a gradient step of least squares. */
export interface GradientPartitionStats {
  readonly gradient: number[];
  readonly interceptGradient: number;
  readonly loss: number;
  readonly count: number;
}

/** Pairs every record of `rdd` with `params` (one shared object per partition), so kernels receive it as data. */
export function withParams<T, P>(rdd: RDD<T>, params: P): RDD<[T, P]> {
  return rdd.cartesian(factoryOf(rdd).parallelize([params], 1));
}

/** The context that made `rdd`, to create the one-element parameters RDD. */
function factoryOf(rdd: RDD<unknown>): Pick<RddFactory, 'parallelize'> {
  const host = rdd.host as Partial<RddFactory>;
  if (typeof host.parallelize !== 'function') {
    throw new MlError(
      'OXBOW_INVALID_ARGUMENT',
      'training and prediction run on the driver, with RDDs of a context',
    );
  }
  return host as Pick<RddFactory, 'parallelize'>;
}

/**
 * Assigns every point to its closest center (lowest index on ties, as Spark's `findClosest`) and sums the points
 * and counts per center, with the total squared distance: one record per non-empty partition.
 */
export const kmeansStatsKernel = (
  iterator: Iterator<readonly [Vector, CentersParams]>,
): Iterable<KMeansPartitionStats> => {
  let sums: number[][] | undefined;
  let counts: number[] = [];
  let cost = 0;
  let k = 0;
  let d = 0;
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const point = next.value[0];
    const centers = next.value[1].centers;
    if (sums === undefined) {
      k = centers.length;
      d = (centers[0] as Vector).length;
      sums = [];
      for (let c = 0; c < k; c++) sums.push(new Array<number>(d).fill(0));
      counts = new Array<number>(k).fill(0);
    }
    if (!Array.isArray(point) || point.length !== d) {
      throw new Error(
        `a point has ${Array.isArray(point) ? point.length : 'no'} dimensions, the model has ${d}`,
      );
    }
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const center = centers[c] as Vector;
      let distance = 0;
      for (let j = 0; j < d; j++) {
        const diff = (point[j] as number) - (center[j] as number);
        distance += diff * diff;
      }
      if (distance < bestDistance) {
        bestDistance = distance;
        best = c;
      }
    }
    if (!(bestDistance < Number.POSITIVE_INFINITY)) {
      throw new Error(
        `a point has a non-finite coordinate (or one too large to square): [${point.join(', ')}]`,
      );
    }
    const sum = sums[best] as number[];
    for (let j = 0; j < d; j++) sum[j] = (sum[j] as number) + (point[j] as number);
    counts[best] = (counts[best] as number) + 1;
    cost += bestDistance;
  }
  return sums === undefined ? [] : [{ sums, counts, cost }];
};

/** The k-means cost of a partition: the sum of squared distances from each point to its closest center. */
export const kmeansCostKernel = (iterator: Iterator<readonly [Vector, CentersParams]>): Iterable<number> => {
  let cost = 0;
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const point = next.value[0];
    const centers = next.value[1].centers;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < centers.length; c++) {
      const center = centers[c] as Vector;
      if (point.length !== center.length) {
        throw new Error(`a point has ${point.length} dimensions, the model has ${center.length}`);
      }
      let distance = 0;
      for (let j = 0; j < center.length; j++) {
        const diff = (point[j] as number) - (center[j] as number);
        distance += diff * diff;
      }
      if (distance < bestDistance) bestDistance = distance;
    }
    cost += bestDistance;
  }
  return [cost];
};

/** The index of the closest center to a point (lowest index on ties). */
export const kmeansPredictKernel = (record: readonly [Vector, CentersParams]): number => {
  const point = record[0];
  const centers = record[1].centers;
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centers.length; c++) {
    const center = centers[c] as Vector;
    if (point.length !== center.length) {
      throw new Error(`a point has ${point.length} dimensions, the model has ${center.length}`);
    }
    let distance = 0;
    for (let j = 0; j < center.length; j++) {
      const diff = (point[j] as number) - (center[j] as number);
      distance += diff * diff;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return best;
};

/** `kmeansPredictKernel` on the value of a `[key, point]` record, keeping the key. */
export const kmeansPredictValuesKernel = <K>(
  record: readonly [readonly [K, Vector], CentersParams],
): [K, number] => {
  const key = record[0][0];
  const point = record[0][1];
  const centers = record[1].centers;
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centers.length; c++) {
    const center = centers[c] as Vector;
    if (point.length !== center.length) {
      throw new Error(`a point has ${point.length} dimensions, the model has ${center.length}`);
    }
    let distance = 0;
    for (let j = 0; j < center.length; j++) {
      const diff = (point[j] as number) - (center[j] as number);
      distance += diff * diff;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return [key, best];
};

/**
 * One k-means|| sampling pass over partition `index` (Spark's `initKMeansParallel`): each point is kept with
 * probability `2·k·cost / sumCosts`, its cost being the squared distance to the closest center chosen so far, with
 * a generator seeded by `seed ^ (step << 16) ^ index` (the driver's SplitMix32, written out here).
 */
export const kmeansParallelSelectKernel = (
  index: number,
  iterator: Iterator<readonly [Vector, SelectionParams]>,
): Iterable<Vector> => {
  const chosen: Vector[] = [];
  let state = 0;
  let seeded = false;
  const nextUint32 = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const point = next.value[0];
    const params = next.value[1];
    if (!seeded) {
      state = (params.seed ^ (params.step << 16) ^ index) | 0;
      seeded = true;
    }
    let cost = Number.POSITIVE_INFINITY;
    for (let c = 0; c < params.centers.length; c++) {
      const center = params.centers[c] as Vector;
      let distance = 0;
      for (let j = 0; j < center.length; j++) {
        const diff = (point[j] as number) - (center[j] as number);
        distance += diff * diff;
      }
      if (distance < cost) cost = distance;
    }
    const high = nextUint32() >>> 5;
    const low = nextUint32() >>> 6;
    const u = (high * 67108864 + low) / 9007199254740992;
    if (u < (2 * cost * params.k) / params.sumCosts) chosen.push(point);
  }
  return chosen;
};

/** The number of records of a partition, as one record. */
export const partitionSizeKernel = (iterator: Iterator<unknown>): Iterable<number> => {
  let n = 0;
  while (!iterator.next().done) n++;
  return [n];
};

/** The records of partition `index` at the wanted offsets, as `[position in the sample, record]`. */
export const pickKernel = <T>(
  index: number,
  iterator: Iterator<readonly [T, PickParams]>,
): Iterable<[number, T]> => {
  const picked: Array<[number, T]> = [];
  let wanted: ReadonlyArray<readonly [number, number]> | undefined;
  let w = 0;
  let offset = 0;
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    wanted ??= next.value[1].wanted[index] ?? [];
    if (w >= wanted.length) break;
    const target = wanted[w] as readonly [number, number];
    if (target[0] === offset) {
      picked.push([target[1], next.value[0]]);
      w++;
    }
    offset++;
  }
  return picked;
};

/**
 * Least squares over a partition (Spark's `LeastSquaresGradient`): for each example, `diff = w·x + b − y`, the
 * loss `diff²/2` and the gradient `diff·x` (and `diff` for the intercept, the weight of a constant feature 1.0
 * appended last, as Spark's `appendBias`), summed: one record per partition.
 */
export const leastSquaresKernel = (
  iterator: Iterator<readonly [LabeledPoint, LinearParams]>,
): Iterable<GradientPartitionStats> => {
  let gradient: number[] | undefined;
  let interceptGradient = 0;
  let loss = 0;
  let count = 0;
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const example = next.value[0];
    const params = next.value[1];
    const weights = params.weights;
    const features = example.features;
    const d = weights.length;
    gradient ??= new Array<number>(d).fill(0);
    if (!Array.isArray(features) || features.length !== d) {
      throw new Error(
        `an example has ${Array.isArray(features) ? features.length : 'no'} features, the model has ${d}`,
      );
    }
    let margin = 0;
    for (let j = 0; j < d; j++) margin += (features[j] as number) * (weights[j] as number);
    margin += params.intercept;
    const diff = margin - example.label;
    if (!Number.isFinite(diff)) {
      throw new Error(
        `an example gives a non-finite residual: label ${example.label}, [${features.join(', ')}]`,
      );
    }
    for (let j = 0; j < d; j++) gradient[j] = (gradient[j] as number) + diff * (features[j] as number);
    if (params.fitIntercept) interceptGradient += diff;
    loss += (diff * diff) / 2;
    count++;
  }
  return gradient === undefined ? [] : [{ gradient, interceptGradient, loss, count }];
};

/** The prediction `w·x + b` of a linear model for one feature vector. */
export const linearPredictKernel = (record: readonly [Vector, LinearParams]): number => {
  const features = record[0];
  const weights = record[1].weights;
  if (features.length !== weights.length) {
    throw new Error(`a feature vector has ${features.length} dimensions, the model has ${weights.length}`);
  }
  let margin = 0;
  for (let j = 0; j < weights.length; j++) margin += (features[j] as number) * (weights[j] as number);
  return margin + record[1].intercept;
};

/** `linearPredictKernel` on the value of a `[key, features]` record, keeping the key. */
export const linearPredictValuesKernel = <K>(
  record: readonly [readonly [K, Vector], LinearParams],
): [K, number] => {
  const features = record[0][1];
  const weights = record[1].weights;
  if (features.length !== weights.length) {
    throw new Error(`a feature vector has ${features.length} dimensions, the model has ${weights.length}`);
  }
  let margin = 0;
  for (let j = 0; j < weights.length; j++) margin += (features[j] as number) * (weights[j] as number);
  return [record[0][0], margin + record[1].intercept];
};
