/**
 * Time for the streaming engine is injected: the system clock in production, a manual clock in tests (Spark's
 * `ManualClock`), so windows, batches and timeouts are tested in virtual time, never with sleeps.
 */

/** A source of time in milliseconds that can wait for a moment. */
export interface Clock {
  now(): number;
  /** Resolves once `now() >= time` (or at once when it already is). */
  waitUntil(time: number): Promise<void>;
}

/** The wall clock. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  waitUntil(time: number): Promise<void> {
    const delay = time - Date.now();
    if (delay <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      setTimeout(resolve, delay);
    });
  }
}

/** A clock that moves only when told to; waiters wake when it passes their time. */
export class ManualClock implements Clock {
  private time: number;
  private readonly waiters: Array<{ time: number; resolve: () => void }> = [];

  constructor(startTime = 0) {
    this.time = startTime;
  }

  now(): number {
    return this.time;
  }

  waitUntil(time: number): Promise<void> {
    if (this.time >= time) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ time, resolve });
    });
  }

  /** Moves the clock forward by `ms` and wakes every waiter whose time has come. */
  advance(ms: number): void {
    this.setTime(this.time + ms);
  }

  /** Sets the clock (never backwards). */
  setTime(time: number): void {
    this.time = Math.max(this.time, time);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter && waiter.time <= this.time) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** How many waits are pending (tests use it to know the engine is idle). */
  get pendingWaits(): number {
    return this.waiters.length;
  }
}
