import { describe, expect, it } from 'vitest';
import { maxRecordsPerPartition } from './batch-limits.ts';

describe('maxRecordsPerPartition', () => {
  const lags = new Map([
    ['t:0', 300n],
    ['t:1', 100n],
    ['t:2', 0n],
  ]);

  it('is unlimited without a cap or an estimate', () => {
    expect([...maxRecordsPerPartition(lags, { batchIntervalMs: 1000 }).values()]).toEqual([
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('caps each partition at maxRatePerPartition × interval', () => {
    const limits = maxRecordsPerPartition(lags, { batchIntervalMs: 250, maxRatePerPartition: 100 });
    expect(Object.fromEntries(limits)).toEqual({ 't:0': 25, 't:1': 25, 't:2': 25 });
  });

  it('shares the estimated rate in proportion to lag, under the cap, at least one record', () => {
    const limits = maxRecordsPerPartition(lags, {
      batchIntervalMs: 1000,
      estimatedRate: 200,
      maxRatePerPartition: 120,
    });
    // 300/400·200 = 150 → capped 120; 100/400·200 = 50; lag 0 → 0 → floor of 1.
    expect(Object.fromEntries(limits)).toEqual({ 't:0': 120, 't:1': 50, 't:2': 1 });
  });
});
