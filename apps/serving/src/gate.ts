/**
 * Concurrency caps and time limits of requests. Expensive work (rankings) runs at most `limit` at a time; more
 * wait in a bounded queue (beyond it: 503 at once), so under a flood of expensive requests the event loop stays
 * free for the cheap ones. A request's time limit aborts its signal: work that runs in slices (see pacer.ts)
 * stops there, and a request still queued leaves the queue.
 */
import { ServingError } from './errors.ts';

/**
 * A counting semaphore with a bounded queue.
 *
 * @example
 * const gate = new Gate(2, 32);
 * await gate.run(signal, () => buildRanking(signal));
 */
export class Gate {
  readonly #limit: number;
  readonly #queueLimit: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(limit: number, queueLimit: number) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  /** Work running now. */
  get running(): number {
    return this.#running;
  }

  /** Work waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Runs `work` once a slot is free (`OXBOW_UNAVAILABLE` when the queue is full; the signal's reason when it is
   * aborted while waiting).
   */
  async run<T>(signal: AbortSignal | undefined, work: () => Promise<T> | T): Promise<T> {
    if (this.#running >= this.#limit) {
      if (this.#queue.length >= this.#queueLimit) {
        throw new ServingError(
          'OXBOW_UNAVAILABLE',
          `too many expensive requests at once (${this.#running} running, ${this.#queue.length} waiting); retry shortly`,
        );
      }
      await new Promise<void>((resolve, reject) => {
        const start = () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          const index = this.#queue.indexOf(start);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', abort, { once: true });
        this.#queue.push(start);
      });
    }
    this.#running++;
    try {
      signal?.throwIfAborted();
      return await work();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }
}

/** A request's time limit, checked by one shared timer. */
interface Limit {
  readonly deadline: number;
  readonly controller: AbortController | undefined;
  readonly reject: (error: unknown) => void;
  readonly what: string;
  readonly ms: number;
}

/** Requests under a time limit; one timer (every 25 ms while any) checks them all, instead of a timer each. */
const limits = new Set<Limit>();
let ticker: NodeJS.Timeout | undefined;

function checkLimits(): void {
  const now = performance.now();
  for (const limit of limits) {
    if (now < limit.deadline) continue;
    limits.delete(limit);
    const timeout = new ServingError(
      'OXBOW_TIMEOUT',
      `${limit.what} took longer than the ${limit.ms} ms limit`,
    );
    limit.controller?.abort(timeout);
    limit.reject(timeout);
  }
  if (limits.size === 0 && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/**
 * Runs `work` with a time limit: after `ms` (within 25 ms) its signal is aborted and the returned promise rejects
 * with `OXBOW_TIMEOUT` (`what took longer than the … ms limit`), whether or not the work notices.
 *
 * @example
 * await withTimeLimit((signal) => queries.top('page_views_hourly', 'hits', 10, range, { signal }), 10_000, 'the ranking');
 */
export async function withTimeLimit<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  return raceTimeLimit(work, ms, what, new AbortController());
}

/**
 * {@link withTimeLimit} for work that has nothing to stop (it waits, then computes synchronously): no signal is
 * made; the returned promise still rejects with `OXBOW_TIMEOUT` once `ms` are over.
 *
 * @example
 * await withWaitLimit(queries.answerBytes('page_views_hourly', '/cart', range), 10_000, 'the query');
 */
export function withWaitLimit<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return raceTimeLimit(() => work, ms, what, undefined);
}

async function raceTimeLimit<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
  controller: AbortController | undefined,
): Promise<T> {
  let limit: Limit | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    limit = { deadline: performance.now() + ms, controller, reject, what, ms };
  });
  limits.add(limit as Limit);
  if (ticker === undefined) {
    ticker = setInterval(checkLimits, 25);
    ticker.unref();
  }
  try {
    return await Promise.race([work(controller?.signal as AbortSignal), timedOut]);
  } finally {
    limits.delete(limit as Limit);
  }
}
