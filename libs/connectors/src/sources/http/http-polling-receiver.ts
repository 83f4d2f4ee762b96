/**
 * A complete custom receiver, written against the engine's `Receiver` API only (Spark's "custom receiver"
 * guide, in Oxbow): it polls an HTTP endpoint and stores what each response holds. It shows the parts every
 * receiver has:
 *
 * - `onStart` starts the work without blocking the engine (here a polling loop) — and may `await` a first
 *   request so that a bad address or refused credentials fail `ssc.start()` with a clear error;
 * - `store` hands records to the engine; what was stored since the last batch becomes the next batch;
 * - `restart(message, error, delayMs)` on failure: the engine calls `onStop`, waits `delayMs` on the context's
 *   clock, then `onStart` again — here with an exponential backoff;
 * - `onStop` releases everything (the loop is aborted);
 * - counters for `metrics()` (a `SourceMeter`).
 *
 * Nothing is lost across a restart when the endpoint takes a cursor: `nextUrl` computes the next request from
 * a response only after its records were stored, so a failed request is simply made again.
 */
import { type DStream, Receiver, type StreamingContext } from '@oxbow/dataflow';
import { Backoff, type BackoffOptions } from '../backoff.ts';
import { meteredReceiverStream } from '../reconnecting-receiver.ts';
import { connectError, messageOf, SourceError } from '../source-error.ts';
import { type MeteredSource, SourceMeter, type SourceMetrics } from '../source-metrics.ts';

/** What `parse` and `nextUrl` see of a response. */
export interface PolledResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Options of {@link HttpPollingReceiver}. */
export interface HttpPollingOptions<T> {
  /** The first URL polled. */
  readonly url: string;
  /** Turns a response body into records (may return none). A parser that throws counts an error. */
  readonly parse: (response: PolledResponse) => readonly T[];
  /**
   * The URL of the next poll, from the last successful response (e.g. `?after=<last id>` from the body).
   * Default: the same URL; an unchanged resource (same ETag: 304 Not Modified) then stores nothing again.
   */
  readonly nextUrl?: (response: PolledResponse) => string;
  /** Pause between polls when the last one returned no records. Default 1000 ms. */
  readonly intervalMs?: number;
  /** Request headers (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Timeout of one request. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Delays between restarts after failed polls. */
  readonly backoff?: BackoffOptions;
}

/**
 * Polls an HTTP endpoint and stores the records of each response.
 *
 * @example
 * ```ts
 * const orders = ssc.receiverStream(
 *   new HttpPollingReceiver({
 *     url: 'http://127.0.0.1:8081/orders?after=0',
 *     parse: (r) => JSON.parse(r.body).orders as Order[],
 *     nextUrl: (r) => `http://127.0.0.1:8081/orders?after=${JSON.parse(r.body).last}`,
 *   }),
 * );
 * ```
 */
export class HttpPollingReceiver<T> extends Receiver<T> implements MeteredSource {
  private readonly options: HttpPollingOptions<T>;
  private readonly meter = new SourceMeter(() => Date.now());
  private readonly backoff: Backoff;
  private url: string;
  private etag: string | undefined;
  private abort: AbortController | undefined;
  private started = false;
  private failed = false;

  constructor(options: HttpPollingOptions<T>) {
    super();
    this.options = options;
    this.url = options.url;
    this.backoff = new Backoff(options.backoff);
  }

  /** The current figures. */
  metrics(): SourceMetrics {
    return this.meter.snapshot();
  }

  /**
   * The first start makes one request before returning, so that `ssc.start()` fails with
   * `OXBOW_SOURCE_BAD_ADDRESS` (unusable URL, host that does not resolve) or `OXBOW_SOURCE_AUTH` (401, 403).
   * Other failures, then and later, restart the receiver with backoff.
   */
  async onStart(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    if (!this.started) {
      this.started = true;
      try {
        new URL(this.url);
      } catch (error) {
        throw new SourceError('OXBOW_SOURCE_BAD_ADDRESS', `HTTP polling: "${this.url}" is not a URL`, {
          cause: error,
        });
      }
      const first = await this.pollOnce(abort.signal);
      if (first instanceof SourceError && first.code !== 'OXBOW_SOURCE_UNAVAILABLE') throw first;
      if (first instanceof Error) return this.fail(first);
    }
    void this.loop(abort.signal);
  }

  onStop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.meter.setConnected(false);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.isStopped()) {
      const outcome = await this.pollOnce(signal);
      if (signal.aborted) return;
      if (outcome instanceof Error) return this.fail(outcome);
      // Drain quickly while there is data; wait when the endpoint had nothing new.
      if (outcome === 0) await pause(this.options.intervalMs ?? 1000, signal);
    }
  }

  /** One request: the number of records stored, or the error. */
  private async pollOnce(signal: AbortSignal): Promise<number | SourceError> {
    const url = this.url;
    let response: Response;
    let body: string;
    try {
      response = await fetch(url, {
        headers: {
          ...this.options.headers,
          ...(this.etag === undefined ? {} : { 'if-none-match': this.etag }),
        },
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      body = await response.text();
    } catch (error) {
      return connectError('HTTP polling', url, error);
    }
    if (response.status === 401 || response.status === 403) {
      return new SourceError(
        'OXBOW_SOURCE_AUTH',
        `HTTP polling ${url}: HTTP ${response.status}; check the credentials`,
      );
    }
    if (response.status === 404) {
      return new SourceError('OXBOW_SOURCE_NOT_FOUND', `HTTP polling ${url}: HTTP 404`);
    }
    this.succeeded();
    if (response.status === 304) return 0;
    if (!response.ok) {
      return new SourceError('OXBOW_SOURCE_UNAVAILABLE', `HTTP polling ${url}: HTTP ${response.status}`);
    }
    const polled: PolledResponse = { url, status: response.status, headers: response.headers, body };
    let records: readonly T[];
    try {
      records = this.options.parse(polled);
    } catch (error) {
      this.meter.error(`HTTP polling ${url}: the parser failed: ${messageOf(error)}`);
      this.reportError(`HTTP polling ${url}: the parser failed`, error);
      return 0;
    }
    // Store first, then move the cursor: a failure before this point repeats the same request.
    if (records.length > 0) this.store(records);
    this.meter.recordsIn(records.length, Buffer.byteLength(body));
    this.etag = response.headers.get('etag') ?? undefined;
    if (this.options.nextUrl) {
      const next = this.options.nextUrl(polled);
      if (next !== url) this.etag = undefined;
      this.url = next;
    }
    return records.length;
  }

  private succeeded(): void {
    if (this.failed) this.meter.reconnected();
    this.failed = false;
    this.backoff.reset();
    this.meter.setConnected(true);
  }

  /** Counts the failure and asks the engine for a restart after the next backoff delay. */
  private fail(error: SourceError): void {
    if (this.isStopped()) return;
    this.failed = true;
    this.meter.setConnected(false);
    this.meter.error(error.message);
    this.restart(error.message, error, this.backoff.next());
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The records of a polled HTTP endpoint as a stream with `metrics()` (the same as
 * `ssc.receiverStream(new HttpPollingReceiver(options))`, plus the counters on the stream).
 */
export function httpPollingStream<T>(
  ssc: StreamingContext,
  options: HttpPollingOptions<T>,
): DStream<T> & { readonly source: HttpPollingReceiver<T>; metrics(): SourceMetrics } {
  return meteredReceiverStream<HttpPollingReceiver<T>, T>(ssc, new HttpPollingReceiver<T>(options));
}
