/**
 * StreamingKMeans: the update rule against the reference step by step (generated data, every partitioning, decay
 * in batches and points, dying clusters), the dying-cluster split exactly, convergence on known clusters,
 * forgetting with a half-life, predictions ordered after training, and exact resumption from a checkpoint.
 */
import { DataflowContext, type DStream, ManualClock, StreamingContext } from '@oxbow/dataflow';
import { runStream, TestInputStream } from '@oxbow/dataflow/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  KMeansModel,
  MlError,
  StreamingKMeans,
  StreamingKMeansModel,
  type StreamingKMeansModelJSON,
  type Vector,
} from '../src/index.ts';
import { referenceStreamingKMeansStep } from './support/reference.ts';
import { batches, gaussianBlobs, worstMatch } from './support/synthetic.ts';

const ctx = new DataflowContext({ parallelism: 1 });
afterAll(() => ctx.stop());

/** Trains `kmeans` on the batches with `runStream`; returns the model after each batch. */
async function modelsAfterEachBatch(
  kmeans: StreamingKMeans,
  input: readonly (readonly Vector[])[],
  numInputPartitions = 2,
): Promise<StreamingKMeansModelJSON[]> {
  const out = await runStream(
    input,
    (points: DStream<Vector>) => {
      kmeans.trainOn(points);
      return points.count().map(() => kmeans.latestModel().toJSON());
    },
    { numInputPartitions },
  );
  return out.map((batch) => batch[0] as StreamingKMeansModelJSON);
}

/** Coordinates that are multiples of 1/8: sums of points are exact in any order, so results compare bit for bit. */
const coordinate = fc.integer({ min: -80, max: 80 }).map((n) => n / 8);

describe('StreamingKMeans update rule', () => {
  it('matches the reference implementation batch by batch, for any data, decay and partitioning', async () => {
    const scenario = fc
      .record({ k: fc.integer({ min: 1, max: 4 }), dim: fc.integer({ min: 1, max: 3 }) })
      .chain(({ k, dim }) =>
        fc.record({
          centers: fc.array(fc.array(coordinate, { minLength: dim, maxLength: dim }), {
            minLength: k,
            maxLength: k,
          }),
          weights: fc.array(
            fc.oneof(
              fc.constant(0),
              fc.integer({ min: 0, max: 50 }),
              fc.double({ min: 0, max: 5, noNaN: true }),
            ),
            {
              minLength: k,
              maxLength: k,
            },
          ),
          input: fc.array(
            fc.array(fc.array(coordinate, { minLength: dim, maxLength: dim }), { maxLength: 12 }),
            {
              minLength: 1,
              maxLength: 6,
            },
          ),
          decayFactor: fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
          timeUnit: fc.constantFrom('batches' as const, 'points' as const),
          partitions: fc.integer({ min: 1, max: 4 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ centers, weights, input, decayFactor, timeUnit, partitions }) => {
        const kmeans = new StreamingKMeans({ k: centers.length, decayFactor, timeUnit }).setInitialCenters(
          centers,
          weights,
        );
        const models = await modelsAfterEachBatch(kmeans, input, partitions);
        let expected = { centers, weights };
        for (const [i, batch] of input.entries()) {
          expected = referenceStreamingKMeansStep(
            expected.centers,
            expected.weights,
            batch,
            decayFactor,
            timeUnit,
          );
          expect(models[i]?.clusterCenters).toEqual(expected.centers);
          expect(models[i]?.clusterWeights).toEqual(expected.weights);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('is the forgetful mini-batch mean: c ← (c·n·a + Σx)/(n·a + m), n ← n·a + m', () => {
    const model = new StreamingKMeansModel(
      [
        [0, 0],
        [10, 10],
      ],
      [4, 6],
    );
    const next = model.withBatch(
      [
        [3, 3],
        [22, 20],
      ],
      [3, 2],
      0.5,
      'batches',
    );
    expect(next.clusterWeights).toEqual([2 + 3, 3 + 2]);
    expect(next.clusterCenters[0]?.[0]).toBeCloseTo((0 * 4 * 0.5 + 3) / (4 * 0.5 + 3), 12);
    expect(next.clusterCenters[1]?.[0]).toBeCloseTo((10 * 6 * 0.5 + 22) / (6 * 0.5 + 2), 12);
    expect(next.clusterCenters[1]?.[1]).toBeCloseTo((10 * 6 * 0.5 + 20) / (6 * 0.5 + 2), 12);
    // In points, the discount is a^(points in the batch).
    const byPoints = model.withBatch(
      [
        [3, 3],
        [0, 0],
      ],
      [3, 0],
      0.5,
      'points',
    );
    expect(byPoints.clusterWeights).toEqual([4 * 0.125 + 3, 6 * 0.125]);
  });

  it('splits the largest cluster when the smallest is dying (weight below 1e-8 of the largest)', async () => {
    // Every point goes to cluster 0; cluster 1 only decays: 2 → 1 → 0.5 … until 2·0.5^t < 1e-8 × the weight of 0.
    const kmeans = new StreamingKMeans({ k: 2, decayFactor: 0.5 }).setInitialCenters(
      [
        [1, -2],
        [100, 100],
      ],
      [2, 2],
    );
    const input = Array.from({ length: 30 }, () => [
      [1, -2],
      [3, -2],
    ]);
    const models = await modelsAfterEachBatch(kmeans, input);
    const splitAt = models.findIndex((m) => m.clusterCenters[1]?.[0] !== 100);
    expect(splitAt).toBeGreaterThan(0);
    const before = models[splitAt - 1] as StreamingKMeansModelJSON;
    const after = models[splitAt] as StreamingKMeansModelJSON;
    // Before the split, cluster 0 sits at the mean (2, −2) and weighs about 4 (2 points a batch, halved each batch).
    expect(before.clusterCenters[0]?.[0]).toBeCloseTo(2, 6);
    const w0 = 0.5 * (before.clusterWeights[0] as number) + 2;
    const w1 = 0.5 * (before.clusterWeights[1] as number);
    expect(w1).toBeLessThan(1e-8 * w0);
    expect(after.clusterWeights).toEqual([(w0 + w1) / 2, (w0 + w1) / 2]);
    const x = after.clusterCenters[0] as number[];
    const y = after.clusterCenters[1] as number[];
    // The two halves sit 1e-14·max(|x|, 1) on either side of the largest cluster's updated center.
    const lambda = 2 / w0;
    const batchSum = [4, -4];
    const updated = (before.clusterCenters[0] as number[]).map(
      (c, j) => (1 - lambda) * c + (lambda / 2) * (batchSum[j] as number),
    );
    for (let j = 0; j < 2; j++) {
      const c = updated[j] as number;
      const p = 1e-14 * Math.max(Math.abs(c), 1);
      expect(x[j]).toBe(c + p);
      expect(y[j]).toBe(c - p);
    }
    // Then the two halves share the points and the model keeps two live clusters.
    const last = models[models.length - 1] as StreamingKMeansModelJSON;
    expect(Math.min(...last.clusterWeights)).toBeGreaterThan(1e-8 * Math.max(...last.clusterWeights));
  });
});

describe('StreamingKMeans on known clusters', () => {
  const truth = [
    [-5, -5],
    [0, 5],
    [5, -5],
  ];

  it('converges to the true centers from random centers, whatever the seed (30 batches of 90 points, σ = 0.5)', async () => {
    // With a half-life, the assignments of the first batches (made with random centers) fade out; without decay
    // they would weigh forever, and some seeds end 0.15 away.
    const stream = batches(gaussianBlobs(truth, 2700, 0.5, 11), 90);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const kmeans = new StreamingKMeans({ k: 3 }).setHalfLife(5, 'batches').setRandomCenters(2, 0, seed);
      const models = await modelsAfterEachBatch(kmeans, stream);
      const final = StreamingKMeansModel.fromJSON(models[models.length - 1]);
      expect(worstMatch(truth, final.clusterCenters)).toBeLessThan(0.1);
      expect(kmeans.latestModel().toJSON()).toEqual(final.toJSON());
    }
    // Without decay every point counts once: the weights add up to the points seen.
    const counting = new StreamingKMeans({ k: 3 }).setInitialModel(new KMeansModel(truth), 0);
    await modelsAfterEachBatch(counting, stream);
    expect(counting.latestModel().clusterWeights).toEqual([900, 900, 900]);
    expect(worstMatch(truth, counting.latestModel().clusterCenters)).toBeLessThan(0.05);
  });

  it('follows the clusters when they move, fast with a short half-life and slowly without decay', async () => {
    const moved = truth.map(([x, y]) => [(x as number) + 3, (y as number) + 3]);
    const stream = [
      ...batches(gaussianBlobs(truth, 900, 0.3, 5), 90),
      ...batches(gaussianBlobs(moved, 1800, 0.3, 6), 90),
    ];
    const start = new KMeansModel(truth);
    const forgetful = new StreamingKMeans().setHalfLife(1, 'batches').setInitialModel(start, 90);
    const stubborn = new StreamingKMeans({ decayFactor: 1 }).setInitialModel(start, 0);
    await modelsAfterEachBatch(forgetful, stream);
    await modelsAfterEachBatch(stubborn, stream);
    // Half-life 1 batch: after 20 batches the old positions weigh 2^-20.
    expect(worstMatch(moved, forgetful.latestModel().clusterCenters)).toBeLessThan(0.1);
    // No decay: every point counts the same, so each center is the mean of 10 batches at the old position and 20
    // at the new one, 2/3 of the way.
    const twoThirds = truth.map(([x, y]) => [(x as number) + 2, (y as number) + 2]);
    expect(worstMatch(twoThirds, stubborn.latestModel().clusterCenters)).toBeLessThan(0.1);
  });

  it('labels points with the model updated by the same batch (training is registered first)', async () => {
    const kmeans = new StreamingKMeans({ k: 2, decayFactor: 0 }).setInitialCenters(
      [
        [0, 0],
        [1, 1],
      ],
      [1, 1],
    );
    // With decay 0 each batch replaces the centers by its own means: [10, 10] moves center 1 onto itself.
    const input = [
      [
        [10, 10],
        [-1, -1],
      ],
      [
        [9, 9],
        [-1, -1],
      ],
    ];
    const out = await runStream(input, (points: DStream<Vector>) => {
      kmeans.trainOn(points);
      return kmeans.predictOnValues(points.map((p): [string, Vector] => [p.join(','), p]));
    });
    expect(out).toEqual([
      [
        ['10,10', 1],
        ['-1,-1', 0],
      ],
      [
        ['9,9', 1],
        ['-1,-1', 0],
      ],
    ]);
    expect(kmeans.latestModel().clusterCenters).toEqual([
      [-1, -1],
      [9, 9],
    ]);
    const predicted = await runStream([[[8, 8]]], (points: DStream<Vector>) => kmeans.predictOn(points));
    expect(predicted).toEqual([[1]]);
  });

  it('refuses to train or predict before initial centers are set', () => {
    const kmeans = new StreamingKMeans({ k: 2 });
    expect(() => kmeans.latestModel()).toThrow(MlError);
    expect(() => kmeans.setInitialCenters([[0]], [1])).toThrow('must be 2');
    expect(() => kmeans.setDecayFactor(-1)).toThrow('non-negative');
    expect(() => kmeans.setHalfLife(0, 'batches')).toThrow('positive');
    expect(kmeans.setHalfLife(2, 'points').decayFactor).toBeCloseTo(Math.SQRT1_2, 15);
    expect(kmeans.timeUnit).toBe('points');
    kmeans.setInitialCenters([[0], [1]], [1, 1]).setK(3);
    const ssc = new StreamingContext(ctx, 1000, { clock: new ManualClock(0) });
    const points = new TestInputStream<Vector>(ssc, [], 1);
    expect(() => kmeans.trainOn(points)).toThrow('k is 3 but the initial model has 2 centers');
  });
});

describe('StreamingKMeans checkpoints', () => {
  const input = batches(
    gaussianBlobs(
      [
        [0, 0],
        [4, 4],
      ],
      400,
      1,
      21,
    ),
    40,
  );

  function build(clock: ManualClock, seen: number[][][], k = 2) {
    return () => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
      const points = new TestInputStream<Vector>(ssc, input, 3);
      const kmeans = new StreamingKMeans({ k }).setHalfLife(3, 'batches').setRandomCenters(2, 1, 9);
      kmeans.trainOn(points);
      kmeans.predictOn(points).foreachRDD(async (rdd) => {
        seen.push([await rdd.collect()]);
      });
      points.count().foreachRDD(() => {
        models.push(kmeans.latestModel().toJSON());
      });
      return ssc;
    };
  }
  let models: StreamingKMeansModelJSON[] = [];

  async function run(ssc: StreamingContext, clock: ManualClock, count: number): Promise<void> {
    await ssc.start();
    for (let i = 0; i < count; i++) {
      clock.advance(1000);
      await ssc.awaitBatchCompletion(clock.now());
    }
    await ssc.stop();
  }

  it('resumes the model exactly after a restart (the model is part of the StreamingContext checkpoint)', async () => {
    models = [];
    const whole: number[][][] = [];
    const wholeClock = new ManualClock(0);
    await run(
      await StreamingContext.getOrCreate(`memory://skm-whole-${Date.now()}`, build(wholeClock, whole)),
      wholeClock,
      10,
    );
    const uninterrupted = models;

    models = [];
    const location = `memory://skm-restart-${Date.now()}`;
    const before: number[][][] = [];
    const firstClock = new ManualClock(0);
    await run(await StreamingContext.getOrCreate(location, build(firstClock, before)), firstClock, 4);
    const after: number[][][] = [];
    const secondClock = new ManualClock(4000);
    const second = await StreamingContext.getOrCreate(location, build(secondClock, after));
    await run(second, secondClock, 6);
    expect(second.restoredCheckpointTime).toBe(4000);
    expect(models).toEqual(uninterrupted);
    expect([...before, ...after]).toEqual(whole);
  });

  it('refuses a checkpoint whose model does not fit the configured algorithm', async () => {
    const location = `memory://skm-mismatch-${Date.now()}`;
    const clock = new ManualClock(0);
    await run(await StreamingContext.getOrCreate(location, build(clock, [])), clock, 2);
    const other = await StreamingContext.getOrCreate(location, build(new ManualClock(2000), [], 3));
    await expect(other.start()).rejects.toThrow('checkpointed k-means model has 2 centers');
    await other.stop();
  });
});
