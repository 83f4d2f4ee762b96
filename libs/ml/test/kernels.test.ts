/**
 * Every per-partition function is shippable (reads nothing from its enclosing scope), so training and prediction
 * run on worker threads; and the seeded generator is deterministic and uniform enough for sampling.
 */
import { analyzeFunction } from '@oxbow/dataflow';
import { describe, expect, it } from 'vitest';
import * as kernels from '../src/internal/kernels.ts';
import { SeededRandom } from '../src/internal/random.ts';

describe('kernels', () => {
  const functions = Object.entries(kernels).filter(
    ([name, value]) => typeof value === 'function' && name.endsWith('Kernel'),
  );

  it('are all shippable', () => {
    expect(functions.length).toBeGreaterThanOrEqual(10);
    for (const [name, fn] of functions) {
      const verdict = analyzeFunction(fn as (...args: never[]) => unknown);
      expect(verdict.shippable ? 'shippable' : verdict.reason, name).toBe('shippable');
    }
  });

  it('the selection kernel draws what the driver-side generator draws for the same seed', () => {
    // The k-means|| kernel spells out SplitMix32; with zero costs nothing is chosen, with sumCosts = 2·k·cost
    // every point whose uniform draw is below 1 is chosen: all of them.
    const seed = 12345;
    const params = { centers: [[0]], seed, step: 1, k: 1, sumCosts: 2 };
    const points = [[1], [1], [1]];
    const records = points.map((p): readonly [number[], typeof params] => [p, params]);
    const chosen = [...kernels.kmeansParallelSelectKernel(3, records[Symbol.iterator]())];
    expect(chosen).toEqual(points);
    // And the threshold: point kept iff u < 2·k·cost/sumCosts, u from SeededRandom(seed ^ (step << 16) ^ index).
    const random = new SeededRandom(seed ^ (1 << 16) ^ 3);
    const draws = points.map(() => random.nextDouble());
    const half = { ...params, sumCosts: 4 }; // threshold 0.5
    const kept = [
      ...kernels.kmeansParallelSelectKernel(
        3,
        points.map((p): readonly [number[], typeof half] => [p, half])[Symbol.iterator](),
      ),
    ];
    expect(kept.length).toBe(draws.filter((u) => u < 0.5).length);
  });
});

describe('SeededRandom', () => {
  it('is deterministic per seed, uniform on [0, 1), and gives standard normal deviates', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const xs = Array.from({ length: 20_000 }, () => a.nextDouble());
    expect(Array.from({ length: 20_000 }, () => b.nextDouble())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const g = new SeededRandom(3);
    const zs = Array.from({ length: 20_000 }, () => g.nextGaussian());
    const zMean = zs.reduce((s, z) => s + z, 0) / zs.length;
    const zVar = zs.reduce((s, z) => s + (z - zMean) ** 2, 0) / zs.length;
    expect(Math.abs(zMean)).toBeLessThan(0.03);
    expect(Math.abs(zVar - 1)).toBeLessThan(0.03);
    expect(new SeededRandom(8).nextUint32()).not.toBe(new SeededRandom(7).nextUint32());
  });
});
