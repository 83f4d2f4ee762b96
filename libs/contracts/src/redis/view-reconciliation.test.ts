import { describe, expect, it } from 'vitest';
import { RedisLayout } from './redis-layout.ts';
import {
  decodeReconciliation,
  encodeReconciliation,
  RECONCILIATION_FORMAT,
  type ViewReconciliation,
} from './view-reconciliation.ts';

const checked: ViewReconciliation = {
  format: RECONCILIATION_FORMAT,
  version: 1,
  view: 'page_views_hourly',
  runId: '20261201T020323548Z-98dd1ef3',
  checkedAt: '2026-12-01T02:03:24.000Z',
  outcome: 'checked',
  epochs: 2,
  cells: 363,
  driftCells: 0,
};

describe('reconciliation records', () => {
  it('decode what they encode, skipped ones with their reason', () => {
    expect(decodeReconciliation(encodeReconciliation(checked))).toEqual(checked);
    const skipped: ViewReconciliation = {
      ...checked,
      outcome: 'skipped',
      reason: 'behind',
      cells: 0,
      epochs: 0,
    };
    expect(decodeReconciliation(encodeReconciliation(skipped))).toEqual(skipped);
  });

  it('read anything else as no record', () => {
    for (const text of ['', 'not json', 'null', '[]', JSON.stringify({ ...checked, format: 'x' })])
      expect(decodeReconciliation(text), text).toBeUndefined();
    expect(decodeReconciliation(JSON.stringify({ ...checked, driftCells: -1 }))).toBeUndefined();
    expect(decodeReconciliation(JSON.stringify({ ...checked, outcome: 'maybe' }))).toBeUndefined();
  });

  it('live under the layout prefix', () => {
    expect(new RedisLayout('t:').reconciliation()).toBe('t:reconciliation');
    expect(new RedisLayout('t:').reconciliationLock()).toBe('t:reconciliation:lock');
  });
});
