import { describe, expect, it } from 'vitest';
import { ThroughputHistory } from './throughput.ts';

describe('ThroughputHistory', () => {
  it('gives records per second between samples, none before two', () => {
    const history = new ThroughputHistory();
    history.add({ atMs: 10_000, records: 100 });
    expect(history.latestRate()).toBeNull();
    history.add({ atMs: 20_000, records: 600 });
    history.add({ atMs: 25_000, records: 600 });
    expect(history.latestRate()).toBe(0);
    expect(history.rates()).toEqual({ times: [20, 25], rates: [50, 0] });
  });

  it('starts again when the counters went down (a Redis reset)', () => {
    const history = new ThroughputHistory();
    history.add({ atMs: 1_000, records: 500 });
    history.add({ atMs: 2_000, records: 10 });
    expect(history.latestRate()).toBeNull();
  });
});
