/**
 * Batch k-means: Lloyd's iterations against the reference step by step, k-means|| and random initialisation on
 * known clusters, determinism (same seed, same model; parallelism 1 or worker threads, same model), costs,
 * predictions, and the edge cases (fewer distinct points than k, empty data).
 */
import { DataflowContext } from '@oxbow/dataflow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KMeans, KMeansModel, MlError, type Vector } from '../src/index.ts';
import { referenceLloyd } from './support/reference.ts';
import { gaussianBlobs, worstMatch } from './support/synthetic.ts';

const ctx = new DataflowContext({ parallelism: 1 });
const threaded = new DataflowContext({ parallelism: 2 });
afterAll(async () => {
  await ctx.stop();
  await threaded.stop();
});

const truth = [
  [-6, 0, 2],
  [0, 6, -2],
  [6, 0, 0],
  [0, -6, 4],
];
const blobs = gaussianBlobs(truth, 2000, 0.6, 17);

describe('KMeans.train', () => {
  it('Lloyd iterations match the reference step by step from the same initial centers', async () => {
    const coordinate = fc.integer({ min: -40, max: 40 }).map((n) => n / 4);
    const scenario = fc
      .record({ k: fc.integer({ min: 1, max: 4 }), dim: fc.integer({ min: 1, max: 3 }) })
      .chain(({ k, dim }) =>
        fc.record({
          initial: fc.array(fc.array(coordinate, { minLength: dim, maxLength: dim }), {
            minLength: k,
            maxLength: k,
          }),
          points: fc.array(fc.array(coordinate, { minLength: dim, maxLength: dim }), {
            minLength: 1,
            maxLength: 40,
          }),
          maxIterations: fc.integer({ min: 0, max: 6 }),
          slices: fc.integer({ min: 1, max: 5 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ initial, points, maxIterations, slices }) => {
        const model = await KMeans.train(ctx.parallelize(points, slices), {
          k: initial.length,
          maxIterations,
          initialModel: new KMeansModel(initial),
        });
        const expected = referenceLloyd(initial, points, maxIterations, 1e-4);
        expect(model.clusterCenters).toEqual(expected.centers);
        expect(model.summary?.numIterations).toBe(expected.iterations);
        expect(model.summary?.converged).toBe(expected.converged);
        expect(model.summary?.clusterSizes).toEqual(expected.sizes);
        expect(model.summary?.trainingCost).toBeCloseTo(expected.cost, 9);
      }),
      { numRuns: 60 },
    );
  });

  it('k-means|| finds four known clusters (σ = 0.6) within 0.1, and converges', async () => {
    const points = ctx.parallelize(blobs, 4).cache();
    const model = await KMeans.train(points, { k: 4, seed: 5 });
    expect(model.k).toBe(4);
    expect(worstMatch(truth, model.clusterCenters)).toBeLessThan(0.1);
    expect(model.summary?.converged).toBe(true);
    expect(model.summary?.clusterSizes).toEqual([500, 500, 500, 500]);
    // The cost is about n·d·σ²: 2000 points × 3 dimensions × 0.36.
    expect(model.summary?.trainingCost).toBeGreaterThan(0.9 * 2000 * 3 * 0.36);
    expect(model.summary?.trainingCost).toBeLessThan(1.1 * 2000 * 3 * 0.36);
    expect(await model.computeCost(points)).toBeCloseTo(model.summary?.trainingCost ?? 0, 6);
  });

  it('finds them for every seed tried, with k-means|| and with random initialisation', async () => {
    const points = ctx.parallelize(blobs, 3).cache();
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const parallel = await KMeans.train(points, { k: 4, seed });
      expect(worstMatch(truth, parallel.clusterCenters)).toBeLessThan(0.1);
    }
    // Random initialisation can put two centers in one cluster; these seeds do not, and the result is stable.
    const random = await KMeans.train(points, { k: 4, seed: 3, initializationMode: 'random' });
    expect(random.k).toBe(4);
    expect(worstMatch(truth, random.clusterCenters)).toBeLessThan(0.1);
  });

  it('is deterministic: the same seed gives the same model, in-process or on worker threads', async () => {
    const a = await KMeans.train(ctx.parallelize(blobs, 4), { k: 4, seed: 8 });
    const b = await KMeans.train(ctx.parallelize(blobs, 4), { k: 4, seed: 8 });
    const before = { ...threaded.schedulerStats };
    const c = await KMeans.train(threaded.parallelize(blobs, 4).cache(), { k: 4, seed: 8 });
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(c.toJSON()).toEqual(a.toJSON());
    // Every kernel is shippable, so the tasks ran on the worker threads.
    expect(threaded.schedulerStats.tasksInWorkers).toBeGreaterThan(before.tasksInWorkers);
    expect(threaded.schedulerStats.tasksInProcess).toBe(before.tasksInProcess);
  });

  it('predicts with the closest center, for one point or an RDD', async () => {
    const model = new KMeansModel([
      [0, 0],
      [10, 0],
    ]);
    expect(model.predict([4.9, 3])).toBe(0);
    expect(model.predict([5, 0])).toBe(0); // a tie goes to the lowest index
    expect(model.predict([5.1, -7])).toBe(1);
    const points: Vector[] = [
      [1, 1],
      [9, 9],
      [5, 5],
      [6, 0],
    ];
    expect(await model.predict(ctx.parallelize(points, 3)).collect()).toEqual([0, 1, 0, 1]);
    expect(await model.computeCost(ctx.parallelize(points, 2))).toBe(2 + 82 + 50 + 16);
    expect(() => model.predict([1])).toThrow('expected 2');
  });

  it('returns fewer centers when the data has fewer distinct points than k (as Spark)', async () => {
    const points = ctx.parallelize(
      [
        [1, 1],
        [1, 1],
        [2, 2],
        [1, 1],
      ],
      2,
    );
    const parallel = await KMeans.train(points, { k: 3 });
    expect([...parallel.clusterCenters].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const random = await KMeans.train(points, { k: 3, initializationMode: 'random' });
    // Random initialisation draws 3 of the 4 points (Spark's takeSample), then drops duplicates: here it drew
    // [1, 1] three times, so the single center ends at the mean.
    expect(random.clusterCenters).toEqual([[1.25, 1.25]]);
  });

  it('refuses empty data, bad options and points of another dimension', async () => {
    await expect(KMeans.train(ctx.parallelize<Vector>([], 2), { k: 2 })).rejects.toThrow(MlError);
    expect(() => new KMeans({ k: 0 })).toThrow('positive integer');
    expect(() => new KMeans({ k: 2, initializationMode: 'kmeans++' as 'random' })).toThrow(
      'initialization mode',
    );
    expect(() => new KMeans({ k: 2, initialModel: new KMeansModel([[0]]) })).toThrow('initial model has 1');
    await expect(
      KMeans.train(ctx.parallelize([[1, 2], [3]], 1), { k: 1, initialModel: new KMeansModel([[0, 0]]) }),
    ).rejects.toThrow('a point has 1 dimensions, the model has 2');
  });
});
