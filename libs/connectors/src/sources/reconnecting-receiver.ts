/**
 * The base of the connection-oriented receivers (syslog, MQTT, ZeroMQ): the engine's {@link Receiver} plus what
 * each of them needs the same way — a clear error from `StreamingContext.start()` when the source cannot start,
 * reconnection with exponential backoff through the engine's `restart`, and metrics.
 *
 * A subclass implements `connect` (open one connection or listener, resolve once it is usable) and `disconnect`,
 * calls `connectionLost` when an open connection fails, and hands records over with `deliver`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DStream, Receiver, type StreamingContext } from '@oxbow/dataflow';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { messageOf, SourceError, type SourceErrorCode } from './source-error.ts';
import { type MeteredSource, SourceMeter, type SourceMetrics } from './source-metrics.ts';

/** Options every reconnecting receiver takes. */
export interface ReconnectOptions {
  /**
   * How long `StreamingContext.start()` keeps trying to make the first connection before it fails with
   * `OXBOW_SOURCE_UNAVAILABLE`. Bad addresses and refused credentials fail at once. Default 10 000 ms.
   */
  readonly startTimeoutMs?: number;
  /** Delays between reconnection attempts once running (and between first attempts). */
  readonly backoff?: BackoffOptions;
}

/** Codes that retrying cannot fix: `start()` fails with them at once. */
const FATAL_AT_START: ReadonlySet<SourceErrorCode> = new Set([
  'OXBOW_SOURCE_BAD_OPTIONS',
  'OXBOW_SOURCE_BAD_ADDRESS',
  'OXBOW_SOURCE_AUTH',
  'OXBOW_SOURCE_NOT_FOUND',
]);

/**
 * A receiver that connects, reconnects with backoff and counts what it does.
 *
 * The first `onStart` waits for the connection, retrying with backoff for up to `startTimeoutMs`, and rejects
 * with a {@link SourceError} (so `ssc.start()` does) on a bad address, refused credentials or a timeout. After
 * that, a lost connection asks the engine to restart the receiver after the next backoff delay (on the
 * streaming context's clock), and a failed reconnection does the same, indefinitely.
 */
export abstract class ReconnectingReceiver<T, M extends SourceMetrics = SourceMetrics>
  extends Receiver<T>
  implements MeteredSource<M>
{
  /** The source's counters; subclasses add to them. */
  protected readonly meter: SourceMeter = new SourceMeter(() => Date.now());
  /** The delays between reconnection attempts. */
  protected readonly backoff: Backoff;
  private readonly startTimeoutMs: number;
  /** Bumped on every start and every stop, so events of an old connection are ignored. */
  private generation = 0;
  private everConnected = false;

  protected constructor(options: ReconnectOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
  }

  /** A short description of the source for messages, e.g. `MQTT mqtt://127.0.0.1:21883`. */
  protected abstract get description(): string;

  /**
   * Opens one connection (or listener) and resolves once it is usable; rejects on failure, preferably with a
   * {@link SourceError} saying why. Later failures of this connection are reported with
   * `connectionLost(generation, error)`.
   */
  protected abstract connect(generation: number): Promise<void>;

  /** Closes the current connection, if any; must not throw. */
  protected abstract disconnect(): Promise<void> | void;

  /** Turns a failure of `connect` into a {@link SourceError} (the default keeps SourceErrors, else IO). */
  protected classify(error: unknown): SourceError {
    if (SourceError.is(error)) return error;
    return new SourceError('OXBOW_SOURCE_IO', `${this.description}: ${messageOf(error)}`, { cause: error });
  }

  /** The current figures. */
  metrics(): M {
    return this.meter.snapshot() as M;
  }

  async onStart(): Promise<void> {
    const generation = ++this.generation;
    if (this.everConnected) {
      // A restart: connect in the background; a failure asks for the next restart after a longer delay.
      this.connect(generation).then(
        () => this.connected(generation),
        (error: unknown) => this.connectionLost(generation, error),
      );
      return;
    }
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      try {
        await this.connectWithin(generation, deadline - Date.now());
        this.connected(generation);
        return;
      } catch (error) {
        const failure = this.classify(error);
        this.meter.error(failure.message);
        await this.disconnect();
        if (generation !== this.generation || this.isStopped()) return;
        const delay = this.backoff.next();
        if (FATAL_AT_START.has(failure.code)) throw failure;
        if (Date.now() + delay > deadline) {
          throw failure.code === 'OXBOW_SOURCE_UNAVAILABLE'
            ? new SourceError(
                'OXBOW_SOURCE_UNAVAILABLE',
                `${failure.message} (gave up after ${formatDuration(this.startTimeoutMs)})`,
                { cause: failure },
              )
            : failure;
        }
        await sleep(delay);
        if (generation !== this.generation || this.isStopped()) return;
      }
    }
  }

  /** `connect`, failing with `OXBOW_SOURCE_UNAVAILABLE` when it takes longer than `timeoutMs`. */
  private connectWithin(generation: number, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SourceError('OXBOW_SOURCE_UNAVAILABLE', `${this.description}: no connection established`),
          ),
        Math.max(0, timeoutMs),
      );
    });
    return Promise.race([this.connect(generation), timeout]).finally(() => clearTimeout(timer));
  }

  async onStop(): Promise<void> {
    this.generation += 1;
    this.meter.setConnected(false);
    await this.disconnect();
  }

  /**
   * Reports that the connection opened as `generation` failed: counts the error and asks the engine to restart
   * this receiver after the next backoff delay. Only the first report per connection counts.
   */
  protected connectionLost(generation: number, error: unknown): void {
    // Before the first connection, failures are the first start's to handle (it retries or fails start()).
    if (!this.everConnected || generation !== this.generation || this.isStopped()) return;
    this.generation += 1;
    const failure = this.classify(error);
    this.meter.setConnected(false);
    this.meter.error(failure.message);
    this.restart(failure.message, failure, this.backoff.next());
  }

  /** True while `generation` is the current connection (events of older ones are ignored). */
  protected isCurrent(generation: number): boolean {
    return generation === this.generation && !this.isStopped();
  }

  /** Hands records to the engine and counts them with their payload bytes. */
  protected deliver(items: readonly T[], bytes: number): void {
    if (items.length === 0 || this.isStopped()) return;
    this.store(items);
    this.meter.recordsIn(items.length, bytes);
  }

  private connected(generation: number): void {
    if (generation !== this.generation) return;
    if (this.everConnected) this.meter.reconnected();
    this.everConnected = true;
    this.backoff.reset();
    this.meter.setConnected(true);
  }
}

/** `150 ms`, `1 s`, `2.5 s`. */
function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** A stream fed by a receiver of this folder, with the receiver as `source` and its `metrics()`. */
export type SourceDStream<T, S extends MeteredSource> = DStream<T> & {
  /** The receiver (or poller) behind the stream. */
  readonly source: S;
  /** The source's counters. */
  metrics(): ReturnType<S['metrics']>;
};

/** The record type of a receiver. */
export type ReceivedBy<S> = S extends Receiver<infer T> ? T : never;

/**
 * Attaches `receiver` to `ssc` with the engine's `receiverStream` and exposes its metrics on the stream.
 *
 * @example
 * ```ts
 * const stream = meteredReceiverStream(ssc, new SyslogReceiver({ udp: { port: 5514 } }));
 * stream.metrics().records;
 * ```
 */
export function meteredReceiverStream<
  S extends Receiver<T> & MeteredSource<SourceMetrics>,
  T = ReceivedBy<S>,
>(ssc: StreamingContext, receiver: S): SourceDStream<T, S> {
  const stream = ssc.receiverStream<T>(receiver);
  return Object.assign(stream, {
    source: receiver,
    metrics: () => receiver.metrics() as ReturnType<S['metrics']>,
  });
}
