import { describe, expect, it } from 'vitest';
import { RateCounter } from './rate-limit.ts';

describe('rate counter', () => {
  it('counts per key in fixed windows and answers 429 with retry-after over the limit', () => {
    const counter = new RateCounter(2, 60_000);
    expect(counter.incr('a', 1_000)).toEqual({ current: 1, ttlMs: 60_000 });
    expect(counter.incr('a', 31_000)).toEqual({ current: 2, ttlMs: 30_000 });
    expect(counter.incr('b', 31_000)).toEqual({ current: 1, ttlMs: 60_000 });
    expect(counter.incr('a', 61_000)).toEqual({ current: 1, ttlMs: 60_000 });
    const headers: Record<string, string> = {};
    const set = (name: string, value: string) => {
      headers[name] = value;
    };
    counter.check('c', set);
    counter.check('c', set);
    expect(headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0' });
    expect(() => counter.check('c', set)).toThrow(/Rate limit exceeded/);
    expect(headers['retry-after']).toBe('60');
  });

  it('gives @fastify/rate-limit a store counting in the same windows', () => {
    const counter = new RateCounter(5, 60_000);
    const Store = counter.pluginStore();
    const store = new Store({});
    let seen: { current: number; ttl: number } | undefined;
    store.incr(
      'k',
      (_error, result) => {
        seen = result;
      },
      60_000,
      5,
    );
    expect(seen?.current).toBe(1);
    expect(counter.incr('k').current).toBe(2);
  });
});
