import { describe, expect, it } from 'vitest';
import { InFlightBudget } from './budget.ts';

describe('InFlightBudget', () => {
  it('grants shares within the limits and takes them back once', () => {
    const budget = new InFlightBudget({ maxRecords: 10, maxBytes: 100 });
    const a = budget.tryReserve(0, 60);
    expect(a).toBeDefined();
    expect(budget.tryReserve(0, 41)).toBeUndefined();
    const b = budget.tryReserve(4, 40);
    expect(b).toBeDefined();
    expect(a?.resize(7, 50)).toBe(false); // 11 records
    expect(a?.resize(6, 50)).toBe(true);
    expect([budget.inFlightRecords, budget.inFlightBytes]).toEqual([10, 90]);
    a?.release();
    a?.release();
    expect([budget.inFlightRecords, budget.inFlightBytes]).toEqual([4, 40]);
    expect(a?.resize(1, 1)).toBe(false);
    b?.release();
    expect([budget.inFlightRecords, budget.inFlightBytes]).toEqual([0, 0]);
  });

  it('always lets a share shrink', () => {
    const budget = new InFlightBudget({ maxRecords: 1, maxBytes: 10 });
    const share = budget.tryReserve(1, 10);
    expect(share?.resize(0, 3)).toBe(true);
    expect(share?.bytes).toBe(3);
    expect(budget.tryReserve(1, 7)).toBeDefined();
  });
});
