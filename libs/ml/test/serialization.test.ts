/**
 * Saved models: every model survives JSON (and MessagePack, the checkpoints' encoding) exactly; documents of
 * version 1 stay readable; malformed, foreign and newer documents are refused with OXBOW_INVALID_MODEL.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KMeansModel,
  LinearRegressionModel,
  MlError,
  modelFromJSON,
  StreamingKMeansModel,
} from '../src/index.ts';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 });
const centers = fc
  .record({ k: fc.integer({ min: 1, max: 5 }), dim: fc.integer({ min: 1, max: 4 }) })
  .chain(({ k, dim }) =>
    fc.array(fc.array(finite, { minLength: dim, maxLength: dim }), { minLength: k, maxLength: k }),
  );

/** Saves with JSON.stringify and reads back with `read`. */
function roundTrip<T>(model: { toJSON(): unknown }, read: (json: unknown) => T): T {
  return read(JSON.stringify(model));
}

describe('model serialisation', () => {
  it('round-trips every model exactly through JSON text', () => {
    fc.assert(
      fc.property(
        centers,
        fc.array(fc.double({ min: 0, max: 1e12, noNaN: true }), { maxLength: 5 }),
        (c, w) => {
          const kmeans = new KMeansModel(c);
          expect(roundTrip(kmeans, KMeansModel.fromJSON).toJSON()).toEqual(kmeans.toJSON());
          const weights = c.map((_, i) => w[i] ?? 1);
          const streaming = new StreamingKMeansModel(c, weights);
          const back = roundTrip(streaming, StreamingKMeansModel.fromJSON);
          expect(back.clusterCenters).toEqual(streaming.clusterCenters);
          expect(back.clusterWeights).toEqual(streaming.clusterWeights);
          // A streaming model read as a k-means model is still a streaming model.
          expect(roundTrip(streaming, KMeansModel.fromJSON)).toBeInstanceOf(StreamingKMeansModel);
          expect(roundTrip(streaming, modelFromJSON)).toBeInstanceOf(StreamingKMeansModel);
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 6 }), finite, (weights, intercept) => {
        const model = new LinearRegressionModel(weights, intercept, {
          numIterations: 3,
          converged: false,
          lossHistory: [1.5, 0.25, 0.125],
          numExamples: 10,
        });
        const back = roundTrip(model, LinearRegressionModel.fromJSON);
        expect(back.toJSON()).toEqual(model.toJSON());
        expect(roundTrip(model, modelFromJSON)).toBeInstanceOf(LinearRegressionModel);
      }),
    );
  });

  it('reads version-1 documents as they are written today', () => {
    const kmeans = KMeansModel.fromJSON({
      format: 'oxbow-ml-model',
      type: 'kmeans',
      version: 1,
      clusterCenters: [
        [0, 1],
        [2, 3],
      ],
      summary: { trainingCost: 4.5, numIterations: 7, converged: true, clusterSizes: [10, 20] },
    });
    expect(kmeans.summary).toEqual({
      trainingCost: 4.5,
      numIterations: 7,
      converged: true,
      clusterSizes: [10, 20],
    });
    const streaming = StreamingKMeansModel.fromJSON(
      '{"format":"oxbow-ml-model","type":"streaming-kmeans","version":1,"clusterCenters":[[1]],"clusterWeights":[0.5]}',
    );
    expect(streaming.clusterWeights).toEqual([0.5]);
    const regression = LinearRegressionModel.fromJSON({
      format: 'oxbow-ml-model',
      type: 'linear-regression',
      version: 1,
      weights: [1, -1],
      intercept: 0.25,
    });
    expect(regression.predict([2, 1])).toBe(1.25);
  });

  it('refuses malformed, foreign and newer documents', () => {
    const base = { format: 'oxbow-ml-model', type: 'streaming-kmeans', version: 1 };
    const cases: Array<[unknown, string]> = [
      ['{not json', 'not valid JSON'],
      [[1, 2], 'must be a JSON object'],
      [{ ...base, format: 'other' }, 'not a saved model'],
      [{ ...base, version: 2, clusterCenters: [[1]], clusterWeights: [1] }, 'format version 2'],
      [{ ...base, version: 0 }, 'no valid version'],
      [{ ...base, clusterCenters: [[1], [2, 3]], clusterWeights: [1, 1] }, 'has 2 entries, expected 1'],
      [{ ...base, clusterCenters: [[1, null]], clusterWeights: [1] }, 'non-finite entry'],
      [{ ...base, clusterCenters: [[1]], clusterWeights: [-1] }, 'non-negative'],
      [{ ...base, clusterCenters: [[1]], clusterWeights: [1, 2] }, 'has 2 entries, expected 1'],
      [{ ...base, clusterCenters: [] }, 'non-empty array'],
      [{ ...base, type: 'linear-regression', weights: [1], intercept: 0 }, 'expected "streaming-kmeans"'],
    ];
    for (const [document, message] of cases) {
      let thrown: unknown;
      try {
        StreamingKMeansModel.fromJSON(document);
      } catch (error) {
        thrown = error;
      }
      expect(MlError.is(thrown, 'OXBOW_INVALID_MODEL'), JSON.stringify(document)).toBe(true);
      expect((thrown as Error).message).toContain(message);
    }
    expect(() => modelFromJSON({ format: 'oxbow-ml-model', type: 'forest', version: 1 })).toThrow(
      'unknown model type "forest"',
    );
    expect(() =>
      LinearRegressionModel.fromJSON({
        format: 'oxbow-ml-model',
        type: 'linear-regression',
        version: 1,
        weights: [1],
      }),
    ).toThrow('linear-regression.intercept must be a finite number');
  });

  it('models are immutable: their arrays are frozen copies', () => {
    const centers = [[1, 2]];
    const model = new StreamingKMeansModel(centers, [3]);
    centers[0] = [9, 9];
    expect(model.clusterCenters).toEqual([[1, 2]]);
    expect(Object.isFrozen(model.clusterCenters[0])).toBe(true);
    expect(Object.isFrozen(model.clusterWeights)).toBe(true);
    expect(() => new StreamingKMeansModel([[1, 2]], [Number.NaN])).toThrow('finite and non-negative');
    expect(() => new KMeansModel([[1, 2], [3]])).toThrow('expected 2');
    expect(() => new LinearRegressionModel([Number.POSITIVE_INFINITY])).toThrow('non-finite');
  });
});
