/**
 * Retries an operation with exponential backoff and full jitter while it fails with a retriable
 * {@link ConnectorError}. Sleeping is injected so tests run without waiting.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ConnectorError } from '../errors.ts';

/** How often and how long to retry. */
export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). Default 5. */
  maxAttempts?: number;
  /** Backoff before the second attempt, doubled each time. Default 100 ms. */
  baseDelayMs?: number;
  /** Cap on one backoff. Default 5 s. */
  maxDelayMs?: number;
  /** Waits the given milliseconds; injected in tests. Default: a timer. */
  sleep?: (millis: number) => Promise<void>;
  /** Uniform random number in [0, 1); injected in tests. Default Math.random. */
  random?: () => number;
}

/**
 * Runs `operation`, retrying retriable connector errors with backoff `random() * min(max, base * 2^n)`.
 *
 * @example
 * const body = await withRetry(() => getStatus(path), { maxAttempts: 3 });
 */
export async function withRetry<T>(operation: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const maxAttempts = Math.max(1, policy.maxAttempts ?? 5);
  const base = policy.baseDelayMs ?? 100;
  const cap = policy.maxDelayMs ?? 5000;
  const sleep = policy.sleep ?? ((millis: number) => delay(millis));
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= maxAttempts || !ConnectorError.is(error) || !error.retriable) throw error;
      await sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
    }
  }
}
