/**
 * k-means models: `KMeansModel` (cluster centers; made by `KMeans.train`) and `StreamingKMeansModel` (centers and
 * the weight of each cluster; updated one micro-batch at a time with Spark MLlib's forgetful mini-batch rule).
 * Models are immutable: `update` returns a new model, so a `latestModel()` handed to a server never changes
 * under it.
 */
import { RDD } from '@oxbow/dataflow';
import { MlError, requireArgument } from '../errors.ts';
import {
  type CentersParams,
  type KMeansPartitionStats,
  kmeansCostKernel,
  kmeansPredictKernel,
  kmeansStatsKernel,
  withParams,
} from '../internal/kernels.ts';
import { checkVector, closestCenter, frozenVector, type Vector } from '../linalg.ts';
import {
  MODEL_FORMAT,
  parseModelDocument,
  readEnvelope,
  readNumber,
  readVector,
  readVectors,
} from '../serialization.ts';

/** How decay is counted: per micro-batch, or per data point. */
export type TimeUnit = 'batches' | 'points';

/** What the last training run of `KMeans.train` measured (the assignment step of its last iteration). */
export interface KMeansTrainingSummary {
  /** Sum of squared distances of the points to their closest center, before the last center update. */
  readonly trainingCost: number;
  /** Lloyd iterations run. */
  readonly numIterations: number;
  /** Whether every center moved by at most `epsilon` in the last iteration (else `maxIterations` was reached). */
  readonly converged: boolean;
  /** Points assigned to each center in the last iteration. */
  readonly clusterSizes: readonly number[];
}

/** The saved form of a {@link KMeansModel} (and, with `type: 'streaming-kmeans'`, of a streaming model). */
export interface KMeansModelJSON {
  readonly format: typeof MODEL_FORMAT;
  readonly type: 'kmeans' | 'streaming-kmeans';
  readonly version: 1;
  readonly clusterCenters: number[][];
  readonly clusterWeights?: number[];
  readonly summary?: {
    trainingCost: number;
    numIterations: number;
    converged: boolean;
    clusterSizes: number[];
  };
}

/** The saved form of a {@link StreamingKMeansModel}. */
export interface StreamingKMeansModelJSON extends KMeansModelJSON {
  readonly type: 'streaming-kmeans';
  readonly clusterWeights: number[];
}

const KMEANS_VERSION = 1;

/**
 * A k-means model: `k` cluster centers; a point belongs to the closest one (squared Euclidean distance, lowest
 * index on ties).
 *
 * @example
 * ```ts
 * const model = new KMeansModel([[0, 0], [10, 10]]);
 * model.predict([9, 8]); // 1
 * const saved = JSON.stringify(model); // versioned JSON, read back with KMeansModel.fromJSON(saved)
 * ```
 */
export class KMeansModel {
  /** The cluster centers (frozen copies). */
  readonly clusterCenters: readonly Vector[];
  /** What training measured, for models made by `KMeans.train`. */
  readonly summary: KMeansTrainingSummary | undefined;

  /** A model with the given centers (at least one, all of one dimension, finite). */
  constructor(clusterCenters: readonly Vector[], summary?: KMeansTrainingSummary) {
    requireArgument(
      Array.isArray(clusterCenters) && clusterCenters.length > 0,
      'a k-means model needs at least one center',
    );
    const dimension = clusterCenters[0]?.length ?? 0;
    this.clusterCenters = Object.freeze(
      clusterCenters.map((center, i) => {
        checkVector(center, `cluster center ${i}`, dimension);
        return frozenVector(center);
      }),
    );
    this.summary = summary && freezeSummary(summary);
  }

  /** The number of clusters. */
  get k(): number {
    return this.clusterCenters.length;
  }

  /** The dimension of the points. */
  get dimension(): number {
    return (this.clusterCenters[0] as Vector).length;
  }

  /** The index of the closest center to `point`. */
  predict(point: Vector): number;
  /** The index of the closest center to each point of `points`, lazily (the RDD's tasks are shippable). */
  predict(points: RDD<Vector>): RDD<number>;
  predict(pointOrPoints: Vector | RDD<Vector>): number | RDD<number> {
    if (pointOrPoints instanceof RDD) {
      return withParams(pointOrPoints, this.params()).map(kmeansPredictKernel);
    }
    checkVector(pointOrPoints, 'the point', this.dimension);
    return closestCenter(this.clusterCenters, pointOrPoints)[0];
  }

  /** The k-means cost of `points`: the sum of squared distances to their closest centers (Spark's `computeCost`). */
  async computeCost(points: RDD<Vector>): Promise<number> {
    const costs = await withParams(points, this.params()).mapPartitions(kmeansCostKernel).collect();
    return costs.reduce((a, b) => a + b, 0);
  }

  /** The model as versioned JSON (`JSON.stringify(model)` calls it). */
  toJSON(): KMeansModelJSON {
    const summary = this.summary;
    return {
      format: MODEL_FORMAT,
      type: 'kmeans',
      version: KMEANS_VERSION,
      clusterCenters: this.clusterCenters.map((c) => Array.from(c)),
      ...(summary
        ? {
            summary: {
              trainingCost: summary.trainingCost,
              numIterations: summary.numIterations,
              converged: summary.converged,
              clusterSizes: Array.from(summary.clusterSizes),
            },
          }
        : {}),
    };
  }

  /**
   * Reads a saved k-means model (a JSON string or the parsed object). A saved streaming model comes back as a
   * {@link StreamingKMeansModel}, which is a `KMeansModel` too.
   */
  static fromJSON(json: unknown): KMeansModel {
    const document = parseModelDocument(json);
    const { type } = readEnvelope(document, ['kmeans', 'streaming-kmeans'], KMEANS_VERSION);
    const centers = readVectors(document.clusterCenters, `${type}.clusterCenters`);
    if (type === 'streaming-kmeans') {
      const weights = readWeights(document.clusterWeights, centers.length);
      return new StreamingKMeansModel(centers, weights);
    }
    return new KMeansModel(centers, readSummary(document.summary, centers.length));
  }

  /** The parameters the kernels receive. */
  protected params(): CentersParams {
    return { centers: this.clusterCenters };
  }
}

/**
 * A k-means model that keeps a weight per cluster (the discounted number of points it has absorbed) and learns
 * from micro-batches with Spark MLlib's forgetful mini-batch rule, for every cluster `c` given `m` new points
 * with sum `s` in a batch:
 *
 * ```
 * n ← n·d (every cluster, d the discount);  n' = n + m;  λ = m / max(n', 1e-16)
 * c ← (1 − λ)·c + (λ/m)·s;                   n ← n'
 * ```
 *
 * where the discount `d` is the decay factor `a` per batch (`timeUnit: 'batches'`) or `a^(points in the
 * batch)` (`'points'`). Then, if the smallest weight is below 1e-8 × the largest, that cluster is dying: the
 * largest is split in two, both getting the mean of the two weights, and centers `x ± 1e-14·max(|x|, 1)`
 * coordinate by coordinate.
 *
 * @example
 * ```ts
 * const model = new StreamingKMeansModel([[0, 0], [10, 10]], [100, 100]);
 * const next = await model.update(ctx.parallelize([[1, 1], [9, 9]]), 0.5, 'batches');
 * ```
 */
export class StreamingKMeansModel extends KMeansModel {
  /** The weight of each cluster (frozen copy). */
  readonly clusterWeights: readonly number[];

  /** A model with the given centers and non-negative weights, one per center. */
  constructor(clusterCenters: readonly Vector[], clusterWeights: readonly number[]) {
    super(clusterCenters);
    requireArgument(
      Array.isArray(clusterWeights) && clusterWeights.length === this.clusterCenters.length,
      `the number of weights (${clusterWeights?.length}) must equal the number of centers (${this.clusterCenters.length})`,
    );
    for (const w of clusterWeights) {
      requireArgument(
        Number.isFinite(w) && w >= 0,
        `cluster weights must be finite and non-negative, got ${w}`,
      );
    }
    this.clusterWeights = frozenVector(clusterWeights);
  }

  /**
   * The model after one micro-batch of `data` (Spark's `StreamingKMeansModel.update`): points are assigned to
   * the current centers, then every cluster is discounted and moved toward the mean of its new points.
   */
  async update(data: RDD<Vector>, decayFactor: number, timeUnit: TimeUnit): Promise<StreamingKMeansModel> {
    requireArgument(
      Number.isFinite(decayFactor) && decayFactor >= 0,
      `the decay factor must be finite and non-negative, got ${decayFactor}`,
    );
    requireArgument(
      timeUnit === 'batches' || timeUnit === 'points',
      `the time unit must be 'batches' or 'points', got ${timeUnit}`,
    );
    const stats = await withParams(data, this.params()).mapPartitions(kmeansStatsKernel).collect();
    const { sums, counts } = mergeKMeansStats(stats, this.k, this.dimension);
    return this.withBatch(sums, counts, decayFactor, timeUnit);
  }

  /**
   * The update rule itself, on one batch's per-cluster sums and counts (what `update` computes with a job). Public
   * for callers that aggregate points themselves.
   */
  withBatch(
    sums: readonly Vector[],
    counts: readonly number[],
    decayFactor: number,
    timeUnit: TimeUnit,
  ): StreamingKMeansModel {
    const k = this.k;
    const dimension = this.dimension;
    requireArgument(
      sums.length === k && counts.length === k,
      `sums and counts must have one entry per cluster`,
    );
    const centers = this.clusterCenters.map((c) => Array.from(c));
    let numNewPoints = 0;
    for (const count of counts) numNewPoints += count;
    const discount = timeUnit === 'batches' ? decayFactor : decayFactor ** numNewPoints;
    const weights = this.clusterWeights.map((w) => discount * w);

    for (let label = 0; label < k; label++) {
      const count = counts[label] as number;
      if (count <= 0) continue;
      const sum = sums[label] as Vector;
      const centroid = centers[label] as number[];
      const updatedWeight = (weights[label] as number) + count;
      const lambda = count / Math.max(updatedWeight, 1e-16);
      weights[label] = updatedWeight;
      const scale = 1 - lambda;
      const step = lambda / count;
      for (let j = 0; j < dimension; j++) centroid[j] = scale * (centroid[j] as number);
      for (let j = 0; j < dimension; j++) centroid[j] = (centroid[j] as number) + step * (sum[j] as number);
    }

    // The smallest cluster is dying: split the largest in two (first index wins ties, as Scala's maxBy/minBy).
    let largest = 0;
    let smallest = 0;
    for (let i = 1; i < k; i++) {
      if ((weights[i] as number) > (weights[largest] as number)) largest = i;
      if ((weights[i] as number) < (weights[smallest] as number)) smallest = i;
    }
    const maxWeight = weights[largest] as number;
    const minWeight = weights[smallest] as number;
    if (minWeight < 1e-8 * maxWeight) {
      const weight = (maxWeight + minWeight) / 2;
      weights[largest] = weight;
      weights[smallest] = weight;
      const largestCenter = centers[largest] as number[];
      const smallestCenter = centers[smallest] as number[];
      for (let j = 0; j < dimension; j++) {
        const x = largestCenter[j] as number;
        const p = 1e-14 * Math.max(Math.abs(x), 1);
        largestCenter[j] = x + p;
        smallestCenter[j] = x - p;
      }
    }
    return new StreamingKMeansModel(centers, weights);
  }

  /** The model as versioned JSON, with its weights. */
  override toJSON(): StreamingKMeansModelJSON {
    return {
      format: MODEL_FORMAT,
      type: 'streaming-kmeans',
      version: KMEANS_VERSION,
      clusterCenters: this.clusterCenters.map((c) => Array.from(c)),
      clusterWeights: Array.from(this.clusterWeights),
    };
  }

  /** Reads a saved streaming k-means model (a JSON string or the parsed object). */
  static override fromJSON(json: unknown): StreamingKMeansModel {
    const document = parseModelDocument(json);
    readEnvelope(document, ['streaming-kmeans'], KMEANS_VERSION);
    const centers = readVectors(document.clusterCenters, 'streaming-kmeans.clusterCenters');
    return new StreamingKMeansModel(centers, readWeights(document.clusterWeights, centers.length));
  }
}

/** Sums the per-partition statistics in partition order, from zero. */
export function mergeKMeansStats(
  stats: readonly KMeansPartitionStats[],
  k: number,
  dimension: number,
): { sums: number[][]; counts: number[]; cost: number } {
  const sums = Array.from({ length: k }, () => new Array<number>(dimension).fill(0));
  const counts = new Array<number>(k).fill(0);
  let cost = 0;
  for (const partition of stats) {
    for (let c = 0; c < k; c++) {
      const count = partition.counts[c] as number;
      if (count === 0) continue;
      counts[c] = (counts[c] as number) + count;
      const sum = sums[c] as number[];
      const add = partition.sums[c] as number[];
      for (let j = 0; j < dimension; j++) sum[j] = (sum[j] as number) + (add[j] as number);
    }
    cost += partition.cost;
  }
  return { sums, counts, cost };
}

function readWeights(value: unknown, k: number): number[] {
  const weights = readVector(value, 'streaming-kmeans.clusterWeights', k);
  if (weights.some((w) => w < 0)) {
    throw new MlError('OXBOW_INVALID_MODEL', 'streaming-kmeans.clusterWeights must be non-negative');
  }
  return Array.from(weights);
}

function readSummary(value: unknown, k: number): KMeansTrainingSummary | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new MlError('OXBOW_INVALID_MODEL', 'kmeans.summary must be an object');
  }
  const summary = value as Record<string, unknown>;
  const numIterations = readNumber(summary, 'numIterations', 'kmeans.summary');
  if (typeof summary.converged !== 'boolean') {
    throw new MlError('OXBOW_INVALID_MODEL', 'kmeans.summary.converged must be a boolean');
  }
  const sizes = summary.clusterSizes;
  if (!Array.isArray(sizes) || sizes.length !== k || sizes.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new MlError('OXBOW_INVALID_MODEL', `kmeans.summary.clusterSizes must be ${k} counts`);
  }
  return {
    trainingCost: readNumber(summary, 'trainingCost', 'kmeans.summary'),
    numIterations,
    converged: summary.converged,
    clusterSizes: sizes as number[],
  };
}

function freezeSummary(summary: KMeansTrainingSummary): KMeansTrainingSummary {
  return Object.freeze({ ...summary, clusterSizes: Object.freeze(Array.from(summary.clusterSizes)) });
}
