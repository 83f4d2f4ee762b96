/**
 * Exponential backoff for reconnecting sources: the delay doubles (by `multiplier`) after every failed attempt,
 * up to `maxMs`, with a random part (`jitter`) so that many clients do not reconnect in lock-step; a success
 * resets it.
 */
import { SourceError } from './source-error.ts';

/** How a source backs off between reconnection attempts. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. Default 500. */
  readonly initialMs?: number;
  /** Longest delay, in milliseconds. Default 30 000. */
  readonly maxMs?: number;
  /** Growth factor per failed attempt. Default 2. */
  readonly multiplier?: number;
  /**
   * Fraction of each delay that is random, in [0, 1]: the delay is drawn from `[d·(1−jitter), d]`. Default 0.2;
   * 0 gives exact delays (tests).
   */
  readonly jitter?: number;
}

/**
 * The delays of successive retries.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
 * socket.on('close', () => setTimeout(connect, backoff.next())); // 100, 200, 400, … 5000 (minus jitter)
 * socket.on('connect', () => backoff.reset());
 * ```
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = random;
    if (!(this.initialMs >= 0 && this.maxMs >= this.initialMs && Number.isFinite(this.maxMs))) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        `backoff: need 0 ≤ initialMs ≤ maxMs < ∞, got initialMs ${this.initialMs} and maxMs ${this.maxMs}`,
      );
    }
    if (!(this.multiplier >= 1)) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        `backoff: multiplier must be ≥ 1, got ${this.multiplier}`,
      );
    }
    if (!(this.jitter >= 0 && this.jitter <= 1)) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        `backoff: jitter must be in [0, 1], got ${this.jitter}`,
      );
    }
  }

  /** Failed attempts since the last {@link Backoff.reset}. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const exponent = Math.min(this.failures, 64);
    this.failures += 1;
    const ceiling = Math.min(this.maxMs, this.initialMs * this.multiplier ** exponent);
    return Math.round(ceiling * (1 - this.jitter * this.random()));
  }

  /** Forgets the failures (call it once a connection succeeded). */
  reset(): void {
    this.failures = 0;
  }
}
