/**
 * Custom receivers, as in Spark: a receiver runs from `onStart` until `onStop`, hands records to the engine with
 * `store`, and asks for a restart (`restart`) or reports an error (`reportError`) when its source fails. The
 * engine cuts what was stored since the last batch into that batch's RDD.
 */

/** What the engine gives a receiver to talk back. */
export interface ReceiverSupervisor<T> {
  store(items: readonly T[]): void;
  restart(message: string, error: unknown, delayMs: number): void;
  reportError(message: string, error: unknown): void;
  isStopped(): boolean;
}

/**
 * A source of records. Implement `onStart` (start threads of work: sockets, timers; must not block) and
 * `onStop` (release them).
 *
 * @example
 * ```ts
 * class Ticks extends Receiver<number> {
 *   private timer?: NodeJS.Timeout;
 *   onStart() { let n = 0; this.timer = setInterval(() => this.store(n++), 10); }
 *   onStop() { clearInterval(this.timer); }
 * }
 * const ticks = ssc.receiverStream(new Ticks());
 * ```
 */
export abstract class Receiver<T> {
  private supervisor: ReceiverSupervisor<T> | undefined;

  /** Starts receiving; must return promptly. */
  abstract onStart(): void | Promise<void>;
  /** Stops receiving and releases resources. */
  abstract onStop(): void | Promise<void>;

  /** Hands one record, or several, to the engine. */
  store(item: T | readonly T[]): void {
    this.requireSupervisor().store(Array.isArray(item) ? (item as readonly T[]) : [item as T]);
  }

  /** Asks the engine to stop and start this receiver again after `delayMs` (default 2 s, as Spark). */
  restart(message: string, error?: unknown, delayMs = 2000): void {
    this.requireSupervisor().restart(message, error, delayMs);
  }

  /** Reports an error without stopping (counted, logged). */
  reportError(message: string, error?: unknown): void {
    this.requireSupervisor().reportError(message, error);
  }

  /** Whether the engine stopped this receiver. */
  isStopped(): boolean {
    return this.supervisor?.isStopped() ?? true;
  }

  /** Used by the engine when the receiver is attached to a stream. */
  attachSupervisor(supervisor: ReceiverSupervisor<T>): void {
    this.supervisor = supervisor;
  }

  private requireSupervisor(): ReceiverSupervisor<T> {
    if (!this.supervisor) throw new Error('the receiver is not attached to a stream');
    return this.supervisor;
  }
}
