/**
 * Linear regression by SGD: gradient descent against the reference step by step (full and mini-batches, with and
 * without intercept, convergence stops), recovery of known coefficients in batch and streaming, the batch-to-speed
 * hand-over, predictions, and exact resumption of the streaming model from a checkpoint.
 */
import { DataflowContext, type DStream, ManualClock, StreamingContext } from '@oxbow/dataflow';
import { runStream, TestInputStream } from '@oxbow/dataflow/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type LabeledPoint,
  LinearRegressionModel,
  type LinearRegressionModelJSON,
  LinearRegressionWithSGD,
  MlError,
  runMiniBatchSgd,
  StreamingLinearRegressionWithSGD,
  type Vector,
} from '../src/index.ts';
import { referenceSgd } from './support/reference.ts';
import { batches, linearData } from './support/synthetic.ts';

const ctx = new DataflowContext({ parallelism: 1 });
afterAll(() => ctx.stop());

const value = fc.double({ min: -4, max: 4, noNaN: true });
const sgdScenario = fc.integer({ min: 1, max: 3 }).chain((d) =>
  fc.record({
    examples: fc.array(
      fc.record({ label: value, features: fc.array(value, { minLength: d, maxLength: d }) }),
      { maxLength: 30 },
    ),
    initialWeights: fc.array(value, { minLength: d, maxLength: d }),
    initialIntercept: value,
    stepSize: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    numIterations: fc.integer({ min: 0, max: 30 }),
    convergenceTol: fc.constantFrom(0, 0.001, 0.05),
    fitIntercept: fc.boolean(),
  }),
);

function expectClose(actual: readonly number[], expected: readonly number[], digits: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, j) => {
    const e = expected[j] as number;
    expect(Math.abs(a - e)).toBeLessThanOrEqual(10 ** -digits * Math.max(1, Math.abs(e)));
  });
}

function positiveZero(x: number): number {
  return x === 0 ? 0 : x;
}

/** Every entry within `tolerance` of the expected one. */
function expectWithin(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, j) => {
    expect(Math.abs(a - (expected[j] as number))).toBeLessThan(tolerance);
  });
}

describe('mini-batch gradient descent', () => {
  it('matches the reference step by step: bit for bit in one partition, to 1e-9 in several', async () => {
    await fc.assert(
      fc.asyncProperty(sgdScenario, fc.integer({ min: 2, max: 5 }), async (s, slices) => {
        const options = { ...s, miniBatchFraction: 1, seed: 42 };
        const initial = new LinearRegressionModel(s.initialWeights, s.initialIntercept);
        const expected = referenceSgd(s.examples, s.initialWeights, s.initialIntercept, s);
        const one = await runMiniBatchSgd(ctx.parallelize(s.examples, 1), initial, options);
        // Models store −0 as 0 (JSON has no −0); the reference keeps the sign of zeros.
        expect([...one.weights]).toEqual(expected.weights.map(positiveZero));
        expect(one.intercept).toBe(positiveZero(expected.intercept));
        if (s.examples.length > 0) {
          expect(one.summary?.numIterations).toBe(expected.iterations);
          expect(one.summary?.lossHistory).toEqual(expected.losses);
        }
        const many = await runMiniBatchSgd(ctx.parallelize(s.examples, slices), initial, options);
        expectClose(many.weights, expected.weights, 9);
        expectClose([many.intercept], [expected.intercept], 9);
      }),
      { numRuns: 80 },
    );
  });

  it('samples a mini-batch with seed 42 + i at iteration i, as Spark', async () => {
    const examples = linearData([1, -1], 0.5, 200, 0.1, 3);
    const data = ctx.parallelize(examples, 3);
    const samples = new Map<number, LabeledPoint[]>();
    for (let i = 1; i <= 20; i++) samples.set(i, await data.sample(false, 0.3, 42 + i).collect());
    const model = await runMiniBatchSgd(data, new LinearRegressionModel([0, 0], 0), {
      stepSize: 0.5,
      numIterations: 20,
      miniBatchFraction: 0.3,
      convergenceTol: 0,
      fitIntercept: true,
      seed: 42,
    });
    const expected = referenceSgd(examples, [0, 0], 0, {
      stepSize: 0.5,
      numIterations: 20,
      convergenceTol: 0,
      fitIntercept: true,
      miniBatch: (i) => samples.get(i) ?? [],
    });
    expectClose(model.weights, expected.weights, 12);
    expectClose([model.intercept], [expected.intercept], 12);
  });

  it('returns the initial model for empty data', async () => {
    const initial = new LinearRegressionModel([1, 2], 3);
    const options = {
      stepSize: 1,
      numIterations: 10,
      miniBatchFraction: 1,
      convergenceTol: 0,
      fitIntercept: true,
      seed: 1,
    };
    expect(await runMiniBatchSgd(ctx.parallelize<LabeledPoint>([], 2), initial, options)).toBe(initial);
  });
});

describe('LinearRegressionWithSGD.train', () => {
  const examples = linearData([2, -3], 0.5, 2000, 0.1, 7);

  it('recovers known coefficients and intercept within 0.02', async () => {
    const model = await LinearRegressionWithSGD.train(ctx.parallelize(examples, 4).cache(), {
      numIterations: 500,
      stepSize: 1,
      intercept: true,
      convergenceTol: 1e-6,
    });
    expectWithin(model.weights, [2, -3], 0.02);
    expect(Math.abs(model.intercept - 0.5)).toBeLessThan(0.02);
    expect(model.summary?.numExamples).toBe(2000);
    // The loss ends near the noise's: σ²/2 = 0.005.
    expect(model.summary?.lossHistory.at(-1)).toBeLessThan(0.006);
  });

  it("without an intercept, fits through the origin (Spark's default)", async () => {
    const centered = linearData([1.5, 0.5, -1], 0, 1000, 0.05, 8);
    const model = await LinearRegressionWithSGD.train(ctx.parallelize(centered, 2), {
      numIterations: 400,
      convergenceTol: 1e-6,
    });
    expect(model.intercept).toBe(0);
    expectWithin(model.weights, [1.5, 0.5, -1], 0.02);
  });

  it('refuses empty data without initial weights, and examples of another dimension', async () => {
    await expect(LinearRegressionWithSGD.train(ctx.parallelize<LabeledPoint>([], 1))).rejects.toThrow(
      MlError,
    );
    await expect(
      LinearRegressionWithSGD.train(ctx.parallelize([{ label: 1, features: [1, 2] }]), {
        initialWeights: [0],
      }),
    ).rejects.toThrow('an example has 2 features, the model has 1');
    await expect(
      LinearRegressionWithSGD.train(ctx.parallelize(examples), { miniBatchFraction: 0 }),
    ).rejects.toThrow('mini-batch fraction');
  });

  it('predicts w·x + b for one vector or an RDD', async () => {
    const model = new LinearRegressionModel([2, -1], 0.5);
    expect(model.predict([1, 1])).toBe(1.5);
    expect(
      await model
        .predict(
          ctx.parallelize<Vector>(
            [
              [0, 0],
              [1, 2],
              [3, 0],
            ],
            2,
          ),
        )
        .collect(),
    ).toEqual([0.5, 0.5, 6.5]);
    expect(() => model.predict([1])).toThrow('expected 2');
  });
});

describe('StreamingLinearRegressionWithSGD', () => {
  it('matches the reference batch by batch, leaving the model unchanged on empty batches', async () => {
    const input = [
      ...batches(linearData([1, -2], 0, 60, 0.2, 4), 20),
      [],
      batches(linearData([1, -2], 0, 20, 0.2, 5), 20)[0] ?? [],
    ];
    const regression = new StreamingLinearRegressionWithSGD({
      stepSize: 0.3,
      numIterations: 15,
    }).setInitialWeights([0.5, 0.5]);
    const out = await runStream(
      input,
      (examples: DStream<LabeledPoint>) => {
        regression.trainOn(examples);
        return examples.count().map(() => regression.latestModel().toJSON());
      },
      { numInputPartitions: 1 },
    );
    let weights: number[] = [0.5, 0.5];
    input.forEach((batch, i) => {
      if (batch.length > 0) {
        weights = referenceSgd(batch, weights, 0, {
          stepSize: 0.3,
          numIterations: 15,
          convergenceTol: 0.001,
          fitIntercept: false,
        }).weights;
      }
      const model = out[i]?.[0] as LinearRegressionModelJSON;
      expect(model.weights).toEqual(weights);
      expect(model.intercept).toBe(0);
    });
  });

  it("converges to known coefficients over a stream (20 batches of 100, as Spark's parameter-accuracy test)", async () => {
    const input = batches(linearData([10, 10], 0, 2000, 0.1, 42), 100);
    const regression = new StreamingLinearRegressionWithSGD()
      .setInitialWeights([0, 0])
      .setStepSize(0.2)
      .setNumIterations(25)
      .setConvergenceTol(0.0001);
    await runStream(input, (examples: DStream<LabeledPoint>) => {
      regression.trainOn(examples);
      return examples.count();
    });
    expectWithin(regression.latestModel().weights, [10, 10], 0.05);
  });

  it('starts from the batch model and follows a drift, learning the intercept when asked', async () => {
    const history = linearData([2, -3], 0.5, 2000, 0.1, 9);
    const batchModel = await LinearRegressionWithSGD.train(ctx.parallelize(history, 4), {
      numIterations: 500,
      intercept: true,
      convergenceTol: 1e-6,
    });
    const drifted = batches(linearData([2.5, -3], 1, 3000, 0.1, 10), 100);
    const speed = new StreamingLinearRegressionWithSGD({ stepSize: 0.5, numIterations: 20, intercept: true });
    speed.setInitialModel(batchModel);
    const predictions = await runStream(
      drifted.map((batch) => batch.map((e) => ({ ...e }))),
      (examples: DStream<LabeledPoint>) => {
        speed.trainOn(examples);
        return speed.predictOnValues(examples.map((e): [number, Vector] => [e.label, e.features]));
      },
    );
    expectWithin(speed.latestModel().weights, [2.5, -3], 0.05);
    expect(Math.abs(speed.latestModel().intercept - 1)).toBeLessThan(0.05);
    // The last batch's predictions are close to the labels (noise σ = 0.1).
    const last = predictions.at(-1) ?? [];
    const rmse = Math.sqrt(last.reduce((s, [label, p]) => s + (label - p) ** 2, 0) / last.length);
    expect(rmse).toBeLessThan(0.15);
  });

  it('predictOn uses the model trained on the same batch', async () => {
    const regression = new StreamingLinearRegressionWithSGD({
      stepSize: 1,
      numIterations: 1,
    }).setInitialWeights([0]);
    const out = await runStream([[{ label: 4, features: [1] }]], (examples: DStream<LabeledPoint>) => {
      regression.trainOn(examples);
      return regression.predictOn(examples.map((e) => e.features));
    });
    // One step of size 1 from 0: w = 0 − 1·(0·1 − 4)·1 = 4.
    expect(out).toEqual([[4]]);
  });

  it('refuses to train before initial weights are set, and bad settings', () => {
    const regression = new StreamingLinearRegressionWithSGD();
    expect(() => regression.latestModel()).toThrow('Model must be initialized');
    expect(() => regression.setStepSize(0)).toThrow('step size');
    expect(() => regression.setMiniBatchFraction(1.5)).toThrow('mini-batch fraction');
    expect(() => regression.setNumIterations(2.5)).toThrow('iterations');
    expect(regression.sgdOptions).toMatchObject({ stepSize: 0.1, numIterations: 50, miniBatchFraction: 1 });
  });

  it('resumes the model exactly after a restart from the StreamingContext checkpoint', async () => {
    const input = batches(linearData([1, 2, 3], 0.5, 600, 0.2, 12), 60);
    let models: LinearRegressionModelJSON[] = [];
    const build =
      (clock: ManualClock, features = 3) =>
      () => {
        const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
        const examples = new TestInputStream<LabeledPoint>(ssc, input, 2);
        const regression = new StreamingLinearRegressionWithSGD({
          intercept: true,
          miniBatchFraction: 0.5,
        }).setInitialWeights(new Array(features).fill(0));
        regression.trainOn(examples);
        examples.count().foreachRDD(() => {
          models.push(regression.latestModel().toJSON());
        });
        return ssc;
      };
    const run = async (ssc: StreamingContext, clock: ManualClock, count: number) => {
      await ssc.start();
      for (let i = 0; i < count; i++) {
        clock.advance(1000);
        await ssc.awaitBatchCompletion(clock.now());
      }
      await ssc.stop();
    };
    const wholeClock = new ManualClock(0);
    await run(
      await StreamingContext.getOrCreate(`memory://slr-whole-${Date.now()}`, build(wholeClock)),
      wholeClock,
      10,
    );
    const uninterrupted = models;
    models = [];
    const location = `memory://slr-restart-${Date.now()}`;
    const firstClock = new ManualClock(0);
    await run(await StreamingContext.getOrCreate(location, build(firstClock)), firstClock, 3);
    const secondClock = new ManualClock(3000);
    await run(await StreamingContext.getOrCreate(location, build(secondClock)), secondClock, 7);
    expect(models).toEqual(uninterrupted);

    const other = await StreamingContext.getOrCreate(location, build(new ManualClock(10_000), 2));
    await expect(other.start()).rejects.toThrow('checkpointed regression model has 3 features');
    await other.stop();
  });
});
