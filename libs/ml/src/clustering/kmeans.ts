/**
 * Batch k-means on an RDD (Spark MLlib's `KMeans`): k-means|| (or random) initialisation, then Lloyd iterations
 * until every center moves by at most `epsilon` or `maxIterations` is reached. Each iteration is one job whose
 * tasks are shippable; pass a cached RDD, since every iteration reads it again.
 */
import type { RDD } from '@oxbow/dataflow';
import { requireArgument } from '../errors.ts';
import {
  type CentersParams,
  kmeansCostKernel,
  kmeansParallelSelectKernel,
  kmeansStatsKernel,
  type SelectionParams,
  withParams,
} from '../internal/kernels.ts';
import { SeededRandom } from '../internal/random.ts';
import { takeSample } from '../internal/sample.ts';
import { squaredDistance, type Vector } from '../linalg.ts';
import { KMeansModel, mergeKMeansStats } from './kmeans-model.ts';
import { kMeansPlusPlus } from './local-kmeans.ts';

/** How the first centers are chosen. */
export type InitializationMode = 'k-means||' | 'random';

/** Options of {@link KMeans}. */
export interface KMeansOptions {
  /** The number of clusters (the model may have fewer when the data has fewer distinct points). */
  k: number;
  /** Lloyd iterations at most (default 20, as Spark). */
  maxIterations?: number;
  /** `'k-means||'` (default, Bahmani et al.'s scalable k-means++) or `'random'` (k distinct random points). */
  initializationMode?: InitializationMode;
  /** Sampling passes of k-means|| (default 2, as Spark). */
  initializationSteps?: number;
  /** Convergence: stop when no center moves farther than this (default 1e-4, as Spark). */
  epsilon?: number;
  /** Seed of every random choice (default 42: training is deterministic unless told otherwise). */
  seed?: number;
  /** Start from these centers instead of initialising (Spark's `setInitialModel`), e.g. the previous batch's. */
  initialModel?: KMeansModel;
}

/**
 * Trains k-means models on RDDs of points.
 *
 * @example
 * ```ts
 * const points = ctx.parallelize(vectors).cache();
 * const model = await KMeans.train(points, { k: 3, maxIterations: 20, seed: 7 });
 * model.summary?.trainingCost;
 * ```
 */
export class KMeans {
  /** The random initialisation mode's name. */
  static readonly RANDOM = 'random';
  /** The k-means|| initialisation mode's name. */
  static readonly K_MEANS_PARALLEL = 'k-means||';

  private readonly options: Required<Omit<KMeansOptions, 'initialModel'>> & {
    initialModel: KMeansModel | undefined;
  };

  /** A trainer with the given options (checked here). */
  constructor(options: KMeansOptions) {
    const {
      k,
      maxIterations = 20,
      initializationMode = 'k-means||',
      initializationSteps = 2,
      epsilon = 1e-4,
      seed = 42,
      initialModel,
    } = options;
    requireArgument(
      Number.isInteger(k) && k > 0,
      `the number of clusters must be a positive integer, got ${k}`,
    );
    requireArgument(
      Number.isInteger(maxIterations) && maxIterations >= 0,
      `maxIterations must be a non-negative integer, got ${maxIterations}`,
    );
    requireArgument(
      initializationMode === 'k-means||' || initializationMode === 'random',
      `the initialization mode must be 'k-means||' or 'random', got ${initializationMode}`,
    );
    requireArgument(
      Number.isInteger(initializationSteps) && initializationSteps > 0,
      `initializationSteps must be a positive integer, got ${initializationSteps}`,
    );
    requireArgument(Number.isFinite(epsilon) && epsilon >= 0, `epsilon must be non-negative, got ${epsilon}`);
    requireArgument(Number.isFinite(seed), `the seed must be a number, got ${seed}`);
    requireArgument(
      initialModel === undefined || initialModel.k === k,
      `the initial model has ${initialModel?.k} centers, k is ${k}`,
    );
    this.options = { k, maxIterations, initializationMode, initializationSteps, epsilon, seed, initialModel };
  }

  /** Trains a model on `data` (Spark's `KMeans.train`). */
  static train(data: RDD<Vector>, options: KMeansOptions): Promise<KMeansModel> {
    return new KMeans(options).run(data);
  }

  /** Trains a model on `data`. Fails with `OXBOW_INVALID_ARGUMENT` when `data` is empty. */
  async run(data: RDD<Vector>): Promise<KMeansModel> {
    const { maxIterations, epsilon, initialModel } = this.options;
    const centers: Vector[] = initialModel
      ? Array.from(initialModel.clusterCenters)
      : this.options.initializationMode === 'random'
        ? await this.initRandom(data)
        : await this.initKMeansParallel(data);
    const k = centers.length;
    const dimension = (centers[0] as Vector).length;

    let converged = false;
    let cost = 0;
    let iteration = 0;
    let clusterSizes = new Array<number>(k).fill(0);
    while (iteration < maxIterations && !converged) {
      const params: CentersParams = { centers: centers.slice() };
      const stats = await withParams(data, params).mapPartitions(kmeansStatsKernel).collect();
      const merged = mergeKMeansStats(stats, k, dimension);
      converged = true;
      for (let c = 0; c < k; c++) {
        const count = merged.counts[c] as number;
        if (count === 0) continue;
        const inverse = 1 / count;
        const center = (merged.sums[c] as number[]).map((s) => s * inverse);
        if (converged && squaredDistance(center, centers[c] as Vector) > epsilon * epsilon) converged = false;
        centers[c] = center;
      }
      cost = merged.cost;
      clusterSizes = merged.counts;
      iteration++;
    }
    return new KMeansModel(centers, {
      trainingCost: cost,
      numIterations: iteration,
      converged,
      clusterSizes,
    });
  }

  /** k distinct random points (fewer when the data has fewer distinct points), as Spark's `initRandom`. */
  private async initRandom(data: RDD<Vector>): Promise<Vector[]> {
    const random = new SeededRandom(this.options.seed);
    const sample = await takeSample(data, this.options.k, new SeededRandom(random.nextUint32()));
    requireArgument(sample.length > 0, 'k-means needs at least one point to train on');
    return distinct(sample);
  }

  /**
   * k-means|| (Spark's `initKMeansParallel`): one random point, then `initializationSteps` passes each keeping
   * every point with probability `2·k·cost / Σcost` (cost: squared distance to the closest center so far), then,
   * when more than `k` distinct candidates remain, k-means++ on the candidates weighted by their closest points.
   */
  private async initKMeansParallel(data: RDD<Vector>): Promise<Vector[]> {
    const { k, initializationSteps } = this.options;
    const random = new SeededRandom(this.options.seed);
    const first = await takeSample(data, 1, new SeededRandom(random.nextUint32()));
    requireArgument(first.length > 0, 'k-means needs at least one point to train on');
    const selectionSeed = random.nextUint32() | 0;
    const centers: Vector[] = [first[0] as Vector];
    for (let step = 0; step < initializationSteps; step++) {
      const snapshot = centers.slice();
      const costs = await withParams(data, { centers: snapshot }).mapPartitions(kmeansCostKernel).collect();
      const sumCosts = costs.reduce((a, b) => a + b, 0);
      const params: SelectionParams = { centers: snapshot, seed: selectionSeed, step, k, sumCosts };
      const chosen = await withParams(data, params)
        .mapPartitionsWithIndex(kmeansParallelSelectKernel)
        .collect();
      centers.push(...chosen);
    }
    const candidates = distinct(centers);
    if (candidates.length <= k) return candidates;
    const stats = await withParams(data, { centers: candidates }).mapPartitions(kmeansStatsKernel).collect();
    const weights = mergeKMeansStats(stats, candidates.length, (candidates[0] as Vector).length).counts;
    return kMeansPlusPlus(candidates, weights, k, 30, new SeededRandom(random.nextUint32()));
  }
}

/** The distinct vectors of `vectors`, first occurrences in order (−0 equals 0, as Spark's vector equality). */
function distinct(vectors: readonly Vector[]): Vector[] {
  const seen = new Set<string>();
  const out: Vector[] = [];
  for (const v of vectors) {
    const key = v.map((x) => String(x)).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(Array.from(v));
  }
  return out;
}
