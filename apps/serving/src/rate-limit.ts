/**
 * Rate limiting of `apiRateLimit` requests per minute per API key (per client address without a valid key), in
 * fixed one-minute windows. `@fastify/rate-limit` limits every route, counting in a {@link RateCounter} given to it
 * as its store; the view routes (the hot path) opt out of the plugin and are limited by a synchronous hook
 * ({@link RateCounter.check}) on the same counters — the same budget, the same 429, `retry-after` and
 * `x-ratelimit-*` headers, without the plugin's promises (about a quarter of a cached answer's CPU).
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { ServingError } from './errors.ts';

interface Window {
  count: number;
  /** When the window started (ms since the epoch). */
  startMs: number;
}

/** How a request stands against the limit. */
export interface RateDecision {
  /** Requests counted in the current window, this one included. */
  readonly current: number;
  /** Milliseconds until the window resets. */
  readonly ttlMs: number;
}

/** The most keys remembered; the oldest are dropped beyond (a window then starts afresh). */
const MAX_KEYS = 100_000;

/**
 * Per-key request counters in fixed windows.
 *
 * @example
 * const counter = new RateCounter(600, 60_000);
 * counter.incr('ip:127.0.0.1'); // { current: 1, ttlMs: 60000 }
 */
export class RateCounter {
  readonly max: number;
  readonly windowMs: number;
  readonly #windows = new Map<string, Window>();

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Counts one request of `key`. */
  incr(key: string, now = Date.now()): RateDecision {
    let window = this.#windows.get(key);
    if (window === undefined || window.startMs + this.windowMs <= now) {
      if (window === undefined && this.#windows.size >= MAX_KEYS) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      window = { count: 0, startMs: now };
      this.#windows.delete(key);
      this.#windows.set(key, window);
    }
    window.count++;
    return { current: window.count, ttlMs: window.startMs + this.windowMs - now };
  }

  /**
   * Counts one request of `key`, sets the `x-ratelimit-*` headers through `header`, and throws a 429
   * (`OXBOW_RATE_LIMITED`, with `retry-after`) when it is over the limit.
   */
  check(key: string, header: (name: string, value: string) => void): void {
    const { current, ttlMs } = this.incr(key);
    const resetS = String(Math.ceil(ttlMs / 1000));
    header('x-ratelimit-limit', String(this.max));
    header('x-ratelimit-remaining', String(Math.max(0, this.max - current)));
    header('x-ratelimit-reset', resetS);
    if (current <= this.max) return;
    header('retry-after', resetS);
    throw new ServingError(
      'OXBOW_RATE_LIMITED',
      `Rate limit exceeded (${this.max} requests per minute), retry in ${resetS} s`,
    );
  }

  /**
   * A store class for `@fastify/rate-limit` (`store` option) that counts in this counter, so the plugin's routes
   * and {@link RateCounter.check}'s share one budget per key.
   */
  pluginStore(): FastifyRateLimitStoreCtor {
    const counter = this;
    class SharedStore implements FastifyRateLimitStore {
      incr(
        key: string,
        callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      ): void {
        const { current, ttlMs } = counter.incr(key);
        callback(null, { current, ttl: ttlMs });
      }

      child(): FastifyRateLimitStore {
        return new SharedStore();
      }
    }
    return SharedStore;
  }
}
