/**
 * The speed layer's Prometheus metrics: records and dead letters per topic, micro-batch processing time against
 * the interval and the scheduling delay, consumer lag per partition, the cell states held in memory, checkpoint
 * writes and Redis commit latency. Served at `GET /metrics` of the health endpoint.
 */
import { lagSamples, scrapedCounter, scrapedGauge } from '@oxbow/connectors';
import {
  type BatchInfo,
  builtInCheckpointStore,
  type CheckpointStore,
  type CheckpointStoreFactory,
} from '@oxbow/dataflow';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { initialStatus, type SpeedStatus } from './speed-status.ts';

/** Buckets of durations around a micro-batch interval of 1 s (10 ms to 1 min). */
const BATCH_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
/** Buckets of one Redis round trip or script (0.5 ms to 5 s). */
const REDIS_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** What the metrics read from the running service when scraped. */
export interface SpeedReadings {
  status(): SpeedStatus;
  /** Per `topic:partition` of the consumed topics: offsets between the last cut and the high watermark. */
  lagPerPartition(): Readonly<Record<string, string>>;
}

const UNWATCHED: SpeedReadings = { status: initialStatus, lagPerPartition: () => ({}) };

/**
 * The metrics of one speed service, in their own registry.
 *
 * @example
 * const metrics = new SpeedMetrics(1000);
 * metrics.watch({ status: () => service.status(), lagPerPartition: () => lags() });
 * await exposition(metrics.registry); // what GET /metrics answers
 */
export class SpeedMetrics {
  readonly registry = new Registry();
  readonly #records: Counter<'topic'>;
  readonly #deadLetters: Counter<'topic'>;
  readonly #processing: Histogram;
  readonly #scheduling: Histogram;
  readonly #commit: Histogram;
  readonly #checkpoint: Histogram;
  readonly #checkpointBytes: Gauge;
  readonly #reconciliations: Counter<'view' | 'outcome'>;
  readonly #reconciledCells: Gauge<'view'>;
  readonly #driftCells: Gauge<'view'>;
  #readings: SpeedReadings = UNWATCHED;

  /** @param batchMs the micro-batch interval, exposed as `oxbow_speed_batch_interval_seconds` */
  constructor(batchMs = 0) {
    const registers = [this.registry];
    const registry = this.registry;
    const status = () => this.#readings.status();
    this.#records = new Counter({
      name: 'oxbow_speed_records_total',
      help: 'Records folded into the increments and committed to Redis, by Kafka topic.',
      labelNames: ['topic'],
      registers,
    });
    this.#deadLetters = new Counter({
      name: 'oxbow_speed_dead_letters_total',
      help: 'Records sent to the dead-letter topic (invalid JSON, schema violations), by Kafka topic.',
      labelNames: ['topic'],
      registers,
    });
    this.#processing = new Histogram({
      name: 'oxbow_speed_batch_processing_seconds',
      help: 'Time to process a micro-batch (every topic: fold, commit, live views); above the interval, batches queue up.',
      buckets: BATCH_BUCKETS_S,
      registers,
    });
    this.#scheduling = new Histogram({
      name: 'oxbow_speed_batch_scheduling_delay_seconds',
      help: 'Time a micro-batch waited after its batch time before processing started.',
      buckets: BATCH_BUCKETS_S,
      registers,
    });
    this.#commit = new Histogram({
      name: 'oxbow_speed_redis_commit_seconds',
      help: "Time of a batch's atomic Redis commit (the commit script, staging included).",
      buckets: REDIS_BUCKETS_S,
      registers,
    });
    this.#checkpoint = new Histogram({
      name: 'oxbow_speed_checkpoint_write_seconds',
      help: 'Time to persist a streaming checkpoint.',
      buckets: BATCH_BUCKETS_S,
      registers,
    });
    this.#checkpointBytes = new Gauge({
      name: 'oxbow_speed_checkpoint_bytes',
      help: 'Size of the last checkpoint persisted.',
      registers,
    });
    this.#reconciliations = new Counter({
      name: 'oxbow_speed_reconciliations_total',
      help: 'Reconciliations of a view with a new batch version, by outcome (checked, skipped).',
      labelNames: ['view', 'outcome'],
      registers,
    });
    this.#reconciledCells = new Gauge({
      name: 'oxbow_speed_reconciliation_cells',
      help: 'Cells (key, bucket) with increments in the epochs the last checked batch version newly covers.',
      labelNames: ['view'],
      registers,
    });
    this.#driftCells = new Gauge({
      name: 'oxbow_speed_reconciliation_drift_cells',
      help: 'Cells where the previous batch version plus the increments differ from the new version (0: agree).',
      labelNames: ['view'],
      registers,
    });
    scrapedGauge({
      name: 'oxbow_speed_batch_interval_seconds',
      help: 'The micro-batch interval (OXBOW_SPEED_BATCH_MS).',
      registry,
      read: () => batchMs / 1000,
    });
    scrapedGauge({
      name: 'oxbow_speed_consumer_lag_records',
      help: 'Offsets between the last batch cut and the high watermark, by Kafka topic and partition.',
      labelNames: ['topic', 'partition'],
      registry,
      read: () => lagSamples(this.#readings.lagPerPartition()),
    });
    scrapedGauge({
      name: 'oxbow_speed_lag_seconds',
      help: 'How far behind the newest Kafka append time processed is (0 when caught up).',
      registry,
      read: () => status().lagMs / 1000,
    });
    scrapedGauge({
      name: 'oxbow_speed_last_batch_seconds',
      help: 'How long computing and committing the last batch of a topic took.',
      registry,
      read: () => status().lastBatchMs / 1000,
    });
    scrapedGauge({
      name: 'oxbow_speed_cached_cells',
      help: 'Cells (view, epoch, partition, key, bucket) whose states the process holds in memory.',
      registry,
      read: () => status().cachedCells,
    });
    scrapedGauge({
      name: 'oxbow_speed_cached_cell_bytes',
      help: 'Estimated bytes of the cell states held in memory.',
      registry,
      read: () => status().cachedCellBytes,
    });
    scrapedGauge({
      name: 'oxbow_speed_watermark_epoch',
      help: "The batch manifest's watermark epoch E (-1: no manifest).",
      registry,
      read: () => status().watermarkEpoch,
    });
    scrapedGauge({
      name: 'oxbow_speed_running',
      help: '1 while the speed layer is running (state "running"), else 0.',
      registry,
      read: () => (status().state === 'running' ? 1 : 0),
    });
    scrapedGauge({
      name: 'oxbow_speed_rebuilding',
      help: '1 while a new generation replays Kafka (merged answers incomplete), else 0.',
      registry,
      read: () => (status().rebuilding ? 1 : 0),
    });
    scrapedCounter({
      name: 'oxbow_speed_batches_total',
      help: 'Micro-batches of a topic processed (committed or empty).',
      registry,
      read: () => status().batches,
    });
    scrapedCounter({
      name: 'oxbow_speed_refused_batches_total',
      help: 'Batches refused by the commit check (offsets moved or generation changed).',
      registry,
      read: () => status().refusedBatches,
    });
    scrapedCounter({
      name: 'oxbow_speed_rebuilds_total',
      help: 'Generations this process started after the first.',
      registry,
      read: () => status().rebuilds,
    });
  }

  /** Reads the service's status and lag when scraped. */
  watch(readings: SpeedReadings): void {
    this.#readings = readings;
  }

  /** A micro-batch of `topic` was processed: its dead letters, and the records it committed. */
  batchOfTopic(topic: string, committedRecords: number, deadLettered: number): void {
    if (committedRecords > 0) this.#records.inc({ topic }, committedRecords);
    if (deadLettered > 0) this.#deadLetters.inc({ topic }, deadLettered);
  }

  /** A view was reconciled with a new batch version (`outcome` `checked` sets its cells and drift). */
  reconciled(view: string, outcome: 'checked' | 'skipped', cells: number, driftCells: number): void {
    this.#reconciliations.inc({ view, outcome });
    if (outcome !== 'checked') return;
    this.#reconciledCells.set({ view }, cells);
    this.#driftCells.set({ view }, driftCells);
  }

  /** A batch's Redis commit took `seconds`. */
  commitTook(seconds: number): void {
    this.#commit.observe(seconds);
  }

  /** The streaming context completed a batch (every topic's output operations). */
  batchCompleted(info: BatchInfo): void {
    this.#processing.observe(info.processingDelayMs / 1000);
    this.#scheduling.observe(Math.max(0, info.schedulingDelayMs) / 1000);
  }

  /** A checkpoint-store factory whose stores time every checkpoint `inner`'s (or the engine's) stores persist. */
  timedCheckpointStores(inner: CheckpointStoreFactory): CheckpointStoreFactory {
    return (location) => {
      const store = inner(location) ?? builtInCheckpointStore(location);
      return store === undefined ? undefined : this.#timed(store);
    };
  }

  #timed(store: CheckpointStore): CheckpointStore {
    const observe = (seconds: number, bytes: number) => {
      this.#checkpoint.observe(seconds);
      this.#checkpointBytes.set(bytes);
    };
    return {
      location: store.location,
      async write(name, bytes) {
        const started = performance.now();
        await store.write(name, bytes);
        observe((performance.now() - started) / 1000, bytes.byteLength);
      },
      read: (name) => store.read(name),
      list: () => store.list(),
      delete: (name) => store.delete(name),
    };
  }
}
