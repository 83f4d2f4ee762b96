/**
 * The archiver's Prometheus metrics: records in, archived and dead-lettered, Parquet files and bytes published
 * (and how long a publication takes), epochs sealed, and the consumer lag per partition. Served with `/healthz`
 * on the archiver's health port (`archiverHealthPort`).
 */
import { type KafkaSourceMetrics, lagSamples, scrapedCounter, scrapedGauge } from '@oxbow/connectors';
import { Histogram, Registry } from 'prom-client';
import type { ArchiverLogEvent } from './archive-log.ts';
import type { ArchiverStats } from './archiver.ts';

/** What the metrics read from a running archiver when scraped. */
export interface ArchiverReadings {
  stats(): ArchiverStats;
  /** The Kafka source's counters, once it started. */
  source(): KafkaSourceMetrics | undefined;
}

const NO_STATS: ArchiverStats = {
  recordsArchived: 0,
  filesPublished: 0,
  bytesPublished: 0,
  deadLettered: 0,
  epochsSealed: 0,
};
const UNWATCHED: ArchiverReadings = { stats: () => NO_STATS, source: () => undefined };

/** Buckets of one file's publication (encoding finished, atomic upload): 10 ms to 2 min. */
const PUBLISH_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/**
 * The metrics of one archiver, in their own registry; `observe` takes its log events (`archiver.published`,
 * `archiver.started`, `archiver.stopped`) and tracks its state for `/healthz`.
 *
 * @example
 * const metrics = new ArchiverMetrics();
 * const archiver = new Archiver({ ...options, log: (event) => { metrics.observe(event); log(event); } });
 * metrics.watch({ stats: () => archiver.stats, source: () => archiver.sourceMetrics() });
 */
export class ArchiverMetrics {
  readonly registry = new Registry();
  /** `starting` until `archiver.started`, `running`, then `stopped` (or `failed`). */
  state: 'starting' | 'running' | 'stopped' | 'failed' = 'starting';
  readonly #publish: Histogram;
  #readings: ArchiverReadings = UNWATCHED;

  constructor() {
    const registry = this.registry;
    const stats = () => this.#readings.stats();
    const source = () => this.#readings.source();
    scrapedCounter({
      name: 'oxbow_archiver_records_in_total',
      help: 'Records read from Kafka (archived or dead-lettered).',
      registry,
      read: () => source()?.recordsIn ?? 0,
    });
    scrapedCounter({
      name: 'oxbow_archiver_records_archived_total',
      help: 'Rows published to the lake in Parquet files.',
      registry,
      read: () => stats().recordsArchived,
    });
    scrapedCounter({
      name: 'oxbow_archiver_dead_letters_total',
      help: 'Records sent to the dead-letter topic (they fail the schema).',
      registry,
      read: () => stats().deadLettered,
    });
    scrapedCounter({
      name: 'oxbow_archiver_files_published_total',
      help: 'Parquet files published to the lake.',
      registry,
      read: () => stats().filesPublished,
    });
    scrapedCounter({
      name: 'oxbow_archiver_published_bytes_total',
      help: 'Parquet bytes published to the lake.',
      registry,
      read: () => stats().bytesPublished,
    });
    scrapedCounter({
      name: 'oxbow_archiver_epochs_sealed_total',
      help: 'Epochs sealed (a _sealed marker written).',
      registry,
      read: () => stats().epochsSealed,
    });
    scrapedCounter({
      name: 'oxbow_archiver_rebalances_total',
      help: 'Consumer-group assignments received after the first.',
      registry,
      read: () => source()?.rebalances ?? 0,
    });
    scrapedGauge({
      name: 'oxbow_archiver_consumer_lag_records',
      help: 'Offsets between the last batch cut and the high watermark, by Kafka topic and partition.',
      labelNames: ['topic', 'partition'],
      registry,
      read: () => lagSamples(source()?.lagPerPartition ?? {}),
    });
    scrapedGauge({
      name: 'oxbow_archiver_running',
      help: '1 while the archiver is running (started and not stopped), else 0.',
      registry,
      read: () => (this.state === 'running' ? 1 : 0),
    });
    this.#publish = new Histogram({
      name: 'oxbow_archiver_publish_seconds',
      help: "Time to publish one Parquet file (the encoder's last row group and the atomic upload).",
      buckets: PUBLISH_BUCKETS_S,
      registers: [registry],
    });
  }

  /** Reads the archiver's counters and its source's when scraped. */
  watch(readings: ArchiverReadings): void {
    this.#readings = readings;
  }

  /** Takes one log event of the archiver. */
  observe(event: ArchiverLogEvent): void {
    switch (event.event) {
      case 'archiver.started':
        this.state = 'running';
        break;
      case 'archiver.stopped':
        this.state = 'stopped';
        break;
      case 'archiver.published':
        if (typeof event.ms === 'number') this.#publish.observe(event.ms / 1000);
        break;
    }
  }
}
