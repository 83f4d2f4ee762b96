/**
 * The counters every source exposes: records and bytes received, records per second over a sliding window,
 * errors, reconnections and whether the source is connected. They live on the source object
 * (`stream.metrics()`), ready for an exporter to read.
 */

/** What a source reports about itself. */
export interface SourceMetrics {
  /** Records handed to the engine since the source was created. */
  readonly records: number;
  /** Payload bytes of those records (as received, before decoding). */
  readonly bytes: number;
  /** Records per second over the last {@link SourceMeter.windowMs} milliseconds. */
  readonly recordsPerSecond: number;
  /** Errors seen: failed or lost connections, records that could not be decoded or mapped, failed reads. */
  readonly errors: number;
  /** Reconnections after a failure (restarts of a receiver, new connections of a polling source). */
  readonly reconnects: number;
  /** True while the source is connected to its server (listening, for servers such as syslog). */
  readonly connected: boolean;
  /** The message of the last error, if there was one. */
  readonly lastError: string | undefined;
}

/** Anything with metrics: every source object of this folder. */
export interface MeteredSource<M extends SourceMetrics = SourceMetrics> {
  metrics(): M;
}

const BUCKET_MS = 1000;

/**
 * The mutable side of {@link SourceMetrics}: sources call `recordsIn`, `error`, `reconnected` and
 * `setConnected`; `snapshot()` returns the current figures. The rate counts records per one-second bucket over
 * a sliding window on the given clock.
 *
 * @example
 * ```ts
 * const meter = new SourceMeter(() => Date.now());
 * meter.recordsIn(3, 120);
 * meter.snapshot().recordsPerSecond; // 0.3 (3 records over the 10 s window)
 * ```
 */
export class SourceMeter {
  /** Length of the rate window in milliseconds. */
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly buckets: number[];
  private bucketStart: number;
  private bucketIndex = 0;
  private readonly createdAt: number;
  private records = 0;
  private bytes = 0;
  private errors = 0;
  private reconnects = 0;
  private connected = false;
  private lastError: string | undefined;

  constructor(now: () => number, windowMs = 10_000) {
    this.now = now;
    this.windowMs = Math.max(BUCKET_MS, Math.round(windowMs / BUCKET_MS) * BUCKET_MS);
    this.buckets = new Array<number>(this.windowMs / BUCKET_MS).fill(0);
    this.createdAt = now();
    this.bucketStart = Math.floor(this.createdAt / BUCKET_MS) * BUCKET_MS;
  }

  /** Counts `count` records of `bytes` payload bytes in total. */
  recordsIn(count: number, bytes = 0): void {
    if (count <= 0 && bytes <= 0) return;
    this.advance();
    this.records += count;
    this.bytes += bytes;
    this.buckets[this.bucketIndex] = (this.buckets[this.bucketIndex] ?? 0) + count;
  }

  /** Counts an error and remembers its message. */
  error(message: string): void {
    this.errors += 1;
    this.lastError = message;
  }

  /** Counts a reconnection. */
  reconnected(): void {
    this.reconnects += 1;
  }

  /** Records whether the source is connected. */
  setConnected(connected: boolean): void {
    this.connected = connected;
  }

  /** The figures now. */
  snapshot(): SourceMetrics {
    this.advance();
    const now = this.now();
    const sum = this.buckets.reduce((total, n) => total + n, 0);
    // Until a whole window has passed, divide by the time the meter has existed (at least one bucket).
    const span = Math.max(BUCKET_MS, Math.min(this.windowMs, now - this.createdAt));
    return {
      records: this.records,
      bytes: this.bytes,
      recordsPerSecond: (sum * 1000) / span,
      errors: this.errors,
      reconnects: this.reconnects,
      connected: this.connected,
      lastError: this.lastError,
    };
  }

  private advance(): void {
    const now = this.now();
    const steps = Math.floor((now - this.bucketStart) / BUCKET_MS);
    if (steps <= 0) return;
    const clear = Math.min(steps, this.buckets.length);
    for (let i = 1; i <= clear; i++) this.buckets[(this.bucketIndex + i) % this.buckets.length] = 0;
    this.bucketIndex = (this.bucketIndex + steps) % this.buckets.length;
    this.bucketStart += steps * BUCKET_MS;
  }
}
