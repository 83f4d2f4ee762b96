import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { SourceError } from './source-error.ts';
import { SourceMeter } from './source-metrics.ts';

describe('Backoff', () => {
  it('doubles up to the maximum and starts over after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoff.attempts).toBe(5);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('draws each delay from [d·(1−jitter), d]', () => {
    expect(new Backoff({ initialMs: 1000, jitter: 0.5 }, () => 0.999_999).next()).toBe(500);
    expect(new Backoff({ initialMs: 1000, jitter: 0.5 }, () => 0).next()).toBe(1000);
    const random = new Backoff({ initialMs: 1000, jitter: 0.2 });
    for (let i = 0; i < 50; i++) {
      random.reset();
      const delay = random.next();
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1000);
    }
  });

  it('refuses nonsense options with OXBOW_SOURCE_BAD_OPTIONS', () => {
    for (const options of [
      { initialMs: 10, maxMs: 5 },
      { multiplier: 0.5 },
      { jitter: 2 },
      { initialMs: -1 },
    ]) {
      expect(() => new Backoff(options)).toThrow(SourceError);
    }
  });
});

describe('SourceMeter', () => {
  it('counts records, bytes, errors and reconnections', () => {
    let now = 10_000;
    const meter = new SourceMeter(() => now);
    meter.recordsIn(3, 30);
    meter.error('boom');
    meter.error('bang');
    meter.reconnected();
    meter.setConnected(true);
    now += 500;
    expect(meter.snapshot()).toEqual({
      records: 3,
      bytes: 30,
      recordsPerSecond: 3,
      errors: 2,
      reconnects: 1,
      connected: true,
      lastError: 'bang',
    });
  });

  it('computes records per second over the sliding window', () => {
    let now = 0;
    const meter = new SourceMeter(() => now, 10_000);
    for (let second = 0; second < 30; second++) {
      now = second * 1000;
      meter.recordsIn(100);
    }
    now = 29_999;
    expect(meter.snapshot().recordsPerSecond).toBe(100);
    now = 34_999; // five silent seconds: half the window is empty
    expect(meter.snapshot().recordsPerSecond).toBe(50);
    now = 100_000;
    expect(meter.snapshot().recordsPerSecond).toBe(0);
    expect(meter.snapshot().records).toBe(3000);
  });
});
