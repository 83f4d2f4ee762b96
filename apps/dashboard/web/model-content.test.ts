import { describe, expect, it } from 'vitest';
import { readModelContent } from './model-content.ts';

const envelope = { format: 'oxbow-ml-model', version: 1 } as const;

describe('readModelContent', () => {
  it("reads a batch k-means model's centers, the points of its last iteration and its training", () => {
    expect(
      readModelContent({
        ...envelope,
        type: 'kmeans',
        clusterCenters: [
          [21.5, 40],
          [30, 65.25],
        ],
        summary: { trainingCost: 12.5, numIterations: 7, converged: true, clusterSizes: [10, 4] },
      }),
    ).toEqual({
      type: 'kmeans',
      centers: [
        [21.5, 40],
        [30, 65.25],
      ],
      centerWeights: { label: 'points', values: [10, 4] },
      training: { cost: 12.5, iterations: 7, converged: true },
    });
  });

  it("reads a streaming k-means model's centers with their weights", () => {
    expect(
      readModelContent({
        ...envelope,
        type: 'streaming-kmeans',
        clusterCenters: [[1], [2]],
        clusterWeights: [3, 0.5],
      }),
    ).toEqual({
      type: 'kmeans',
      centers: [[1], [2]],
      centerWeights: { label: 'weight', values: [3, 0.5] },
      training: undefined,
    });
  });

  it('reads a linear regression with its last loss', () => {
    expect(
      readModelContent({
        ...envelope,
        type: 'linear-regression',
        weights: [-27.9, 142.6],
        intercept: 61.3,
        summary: { numIterations: 200, converged: false, lossHistory: [900, 120.5], numExamples: 10 },
      }),
    ).toEqual({
      type: 'linear-regression',
      weights: [-27.9, 142.6],
      intercept: 61.3,
      training: { iterations: 200, converged: false, finalLoss: 120.5 },
    });
  });

  it('keeps anything else as JSON: other formats, unknown types, malformed parameters', () => {
    const documents = [
      null,
      [1, 2],
      { format: 'other', type: 'kmeans', clusterCenters: [[1]] },
      { ...envelope, type: 'decision-tree', nodes: [] },
      { ...envelope, type: 'kmeans', clusterCenters: [[1, 2], [3]] },
      { ...envelope, type: 'kmeans', clusterCenters: [] },
      { ...envelope, type: 'linear-regression', weights: [1, 'x'], intercept: 0 },
      { ...envelope, type: 'linear-regression', weights: [1] },
    ];
    for (const document of documents) {
      expect(readModelContent(document)).toEqual({ type: 'other', json: document });
    }
  });
});
