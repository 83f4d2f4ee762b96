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

/**
 * Runs `work` with a time limit: after `ms` its signal is aborted and the returned promise rejects with
 * `OXBOW_TIMEOUT` (`what took longer than the … ms limit`), whether or not the work notices.
 *
 * @example
 * await withTimeLimit((signal) => queries.top('page_views_hourly', 'hits', 10, range, { signal }), 10_000, 'the ranking');
 */
export async function withTimeLimit<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = new ServingError('OXBOW_TIMEOUT', `${what} took longer than the ${ms} ms limit`);
      controller.abort(timeout);
      reject(timeout);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), limit]);
  } finally {
    clearTimeout(timer);
  }
}
