/**
 * The serving layer's Prometheus metrics, on `prom-client`: requests by route, method and status, a latency
 * histogram by route, and the state of the batch store, the realtime mirror, the answer cache and the rankings'
 * gate, read when scraped. `GET /metrics` renders them with the process and Node.js metrics.
 */
import { exposition, scrapedCounter, scrapedGauge } from '@oxbow/connectors';
import { Registry } from 'prom-client';
import { RouteLatencyHistogram } from './route-latency.ts';

const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A gauge read when /metrics is scraped (a name ending in `_total` is exposed as a counter). */
export interface Gauge {
  readonly name: string;
  readonly help: string;
  read(): number;
}

/** What the server's metrics read when scraped; every reading is 0 until {@link ServingMetrics.watch}. */
export interface ServingReadings {
  manifestSwitches(): number;
  manifestPollFailures(): number;
  duckdbOpenFiles(): number;
  /** −1 without a batch version. */
  batchWatermarkEpoch(): number;
  batchCells(): number;
  batchModelBytes(): number;
  answerCacheHits(): number;
  answerCacheMisses(): number;
  answerCacheBytes(): number;
  realtimeProbes(): number;
  realtimeAnnouncements(): number;
  realtimeRereads(): number;
  realtimeReloads(): number;
  rankingsRunning(): number;
  rankingsWaiting(): number;
}

const UNWATCHED: ServingReadings = {
  manifestSwitches: () => 0,
  manifestPollFailures: () => 0,
  duckdbOpenFiles: () => 0,
  batchWatermarkEpoch: () => -1,
  batchCells: () => 0,
  batchModelBytes: () => 0,
  answerCacheHits: () => 0,
  answerCacheMisses: () => 0,
  answerCacheBytes: () => 0,
  realtimeProbes: () => 0,
  realtimeAnnouncements: () => 0,
  realtimeRereads: () => 0,
  realtimeReloads: () => 0,
  rankingsRunning: () => 0,
  rankingsWaiting: () => 0,
};

/** The metrics read from {@link ServingReadings}: name, help, and the reading. */
const READ_METRICS: ReadonlyArray<readonly [string, string, keyof ServingReadings]> = [
  ['oxbow_serving_manifest_switches_total', 'Batch versions switched to.', 'manifestSwitches'],
  ['oxbow_serving_manifest_poll_failures_total', 'Manifest polls that failed.', 'manifestPollFailures'],
  [
    'oxbow_serving_duckdb_open_files',
    'DuckDB files open (old ones until their requests finish).',
    'duckdbOpenFiles',
  ],
  [
    'oxbow_serving_batch_watermark_epoch',
    'Watermark epoch E of the batch version served (-1: none).',
    'batchWatermarkEpoch',
  ],
  ['oxbow_serving_batch_cells', '(key, bucket) cells of the batch version in memory.', 'batchCells'],
  [
    'oxbow_serving_batch_model_bytes',
    'Bytes of the batch version in memory (states, rendered values, addressing).',
    'batchModelBytes',
  ],
  [
    'oxbow_serving_answer_cache_hits_total',
    'Answers served from the cache of rendered answers.',
    'answerCacheHits',
  ],
  [
    'oxbow_serving_answer_cache_misses_total',
    'Answers rendered (not in the cache, or out of date).',
    'answerCacheMisses',
  ],
  ['oxbow_serving_answer_cache_bytes', 'Bytes of rendered answers cached.', 'answerCacheBytes'],
  [
    'oxbow_serving_realtime_probes_total',
    'Read-barrier probes of Redis (each shared by the requests that arrived meanwhile).',
    'realtimeProbes',
  ],
  [
    'oxbow_serving_realtime_announcements_total',
    'Commit announcements of the speed layer received.',
    'realtimeAnnouncements',
  ],
  [
    'oxbow_serving_realtime_rereads_total',
    'Increments hashes re-read after announcements.',
    'realtimeRereads',
  ],
  [
    'oxbow_serving_realtime_reloads_total',
    'Times every increment was read again (start, new generation, missed announcements).',
    'realtimeReloads',
  ],
  ['oxbow_serving_rankings_running', 'Rankings being computed (capped).', 'rankingsRunning'],
  ['oxbow_serving_rankings_waiting', 'Rankings waiting for the cap.', 'rankingsWaiting'],
];

/**
 * The serving API's registry: request counters by method/route/status, a latency histogram by route, and the
 * server's state read when scraped. Counters (names ending in `_total`) are typed `counter`, the rest `gauge`.
 *
 * @example
 * const metrics = new ServingMetrics();
 * metrics.watch({ ...readings });
 * metrics.observe('GET', '/v1/views/:view', 200, 0.004);
 * reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render());
 */
export class ServingMetrics {
  /** The app's own metrics (the process metrics are added when rendered). */
  readonly registry = new Registry();
  readonly #latency: RouteLatencyHistogram;
  /** Requests by (method, status, route), counted here and read by the counter when scraped. */
  readonly #requests = new Map<string, { labels: Record<string, string>; count: number }>();
  #readings: ServingReadings = UNWATCHED;

  constructor() {
    // Counted on the request path without prom-client's label hashing (a Map lookup and an increment).
    scrapedCounter({
      name: 'oxbow_http_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registry: this.registry,
      read: () => [...this.#requests.values()].map(({ labels, count }) => ({ labels, value: count })),
    });
    this.#latency = new RouteLatencyHistogram(
      this.registry,
      'oxbow_http_request_duration_seconds',
      'Time to answer a request, by route.',
      LATENCY_BUCKETS_S,
    );
    for (const [name, help, reading] of READ_METRICS) {
      this.addGauge({ name, help, read: () => this.#readings[reading]() });
    }
  }

  /** Reads the server's state from `readings` at every scrape. */
  watch(readings: ServingReadings): void {
    this.#readings = readings;
  }

  /** Adds a metric read at every scrape: a counter when its name ends in `_total`, else a gauge. */
  addGauge(gauge: Gauge): void {
    const spec = { name: gauge.name, help: gauge.help, registry: this.registry, read: () => gauge.read() };
    if (gauge.name.endsWith('_total')) scrapedCounter(spec);
    else scrapedGauge(spec);
  }

  /** Records one finished request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    const series = this.#requests.get(id);
    if (series === undefined) {
      this.#requests.set(id, { labels: { method, route, status: String(status) }, count: 1 });
    } else {
      series.count++;
    }
    this.#latency.observe(route, seconds);
  }

  /** The metrics in the Prometheus text format, with the process and Node.js metrics. */
  render(): Promise<string> {
    return exposition(this.registry);
  }
}
