import { describe, expect, it } from 'vitest';
import { PidRateEstimator } from './pid-rate-estimator.ts';

describe('PidRateEstimator', () => {
  it('returns nothing on the first update and remembers the processing rate', () => {
    const estimator = new PidRateEstimator({ batchIntervalMs: 1000 });
    expect(estimator.compute(1000, 500, 250, 0)).toBeUndefined();
    // latestRate = 2000 rec/s; error = 2000 − 1000 = 1000; newRate = 2000 − 1·1000 = 1000.
    expect(estimator.compute(2000, 500, 500, 0)).toBe(1000);
  });

  it('subtracts the integral of the backlog (scheduling delay)', () => {
    const estimator = new PidRateEstimator({ batchIntervalMs: 1000 });
    estimator.compute(1000, 1000, 1000, 0); // latestRate = 1000
    // processingRate = 800/1000·1000 = 800; error = 1000 − 800 = 200; historical = 500·800/1000 = 400;
    // newRate = 1000 − 200 − 0.2·400 = 720.
    expect(estimator.compute(2000, 800, 1000, 500)).toBeCloseTo(720, 10);
    // processingRate = 720; error = 720 − 720 = 0; historical = 0; newRate = 720.
    expect(estimator.compute(3000, 720, 1000, 0)).toBeCloseTo(720, 10);
  });

  it('applies the derivative gain to the change of error per second', () => {
    const estimator = new PidRateEstimator({ batchIntervalMs: 500, derivative: 0.5 });
    estimator.compute(1000, 1000, 500, 0); // latestRate = 2000, latestError = 0
    // t = 1500 (0.5 s later): processingRate = 1000; error = 1000; historical = 100·1000/500 = 200;
    // dError = (1000 − 0)/0.5 = 2000; newRate = 2000 − 1000 − 0.2·200 − 0.5·2000 = −40 → floor 100.
    expect(estimator.compute(1500, 500, 500, 100)).toBe(100);
    // t = 2500 (1 s later): processingRate = 400; error = 100 − 400 = −300; historical = 0;
    // dError = (−300 − 1000)/1 = −1300; newRate = 100 + 300 + 0.5·1300 = 1050.
    expect(estimator.compute(2500, 200, 500, 0)).toBeCloseTo(1050, 10);
  });

  it('never goes below the minimum rate', () => {
    const estimator = new PidRateEstimator({ batchIntervalMs: 1000, minRate: 250 });
    estimator.compute(1000, 10, 1000, 0); // 10 rec/s observed
    expect(estimator.compute(2000, 10, 1000, 10_000)).toBe(250);
  });

  it('ignores empty batches, zero processing time and time that does not advance', () => {
    const estimator = new PidRateEstimator({ batchIntervalMs: 1000 });
    expect(estimator.compute(1000, 0, 100, 0)).toBeUndefined();
    expect(estimator.compute(1000, 100, 0, 0)).toBeUndefined();
    expect(estimator.compute(1000, 1000, 1000, 0)).toBeUndefined(); // first real update
    expect(estimator.compute(1000, 500, 1000, 0)).toBeUndefined(); // same time: ignored
    expect(estimator.compute(999, 500, 1000, 0)).toBeUndefined(); // earlier: ignored
    // Still primed with latestRate 1000: processingRate 500, error 500 → 500.
    expect(estimator.compute(2000, 500, 1000, 0)).toBe(500);
  });

  it('rejects a non-positive interval or negative gains', () => {
    expect(() => new PidRateEstimator({ batchIntervalMs: 0 })).toThrow(RangeError);
    expect(() => new PidRateEstimator({ batchIntervalMs: 1000, integral: -1 })).toThrow(RangeError);
  });
});
