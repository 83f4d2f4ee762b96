/**
 * The batch layer's Prometheus metrics, taken from each run's summary: runs by outcome, run duration (a histogram
 * over the runs of a schedule, and the last run's), the last run's stages, rows per view and files scanned per
 * topic, and the published watermark. `oxbow batch run` writes them to a textfile for node_exporter's textfile
 * collector (`batchMetricsFile`); `oxbow batch schedule` serves them at `/metrics` (`batchHealthPort`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchRunSummary } from './run-batch.ts';

/** Run durations from 1 s to 4 h. */
const RUN_BUCKETS_S = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14_400];

/** The outcome of a run: a summary's status, or `failed` when the run threw. */
export type BatchRunOutcome = BatchRunSummary['status'] | 'failed';

/**
 * The metrics of the batch runs of one process, in their own registry.
 *
 * @example
 * const metrics = new BatchMetrics();
 * metrics.recordRun(await runBatch(config));
 * await writeMetricsTextfile(config.batchMetricsFile, metrics.registry);
 */
export class BatchMetrics {
  readonly registry = new Registry();
  readonly #runs: Counter<'status'>;
  readonly #duration: Histogram;
  readonly #lastDuration: Gauge;
  readonly #lastRun: Gauge;
  readonly #lastSuccess: Gauge;
  readonly #stage: Gauge<'stage'>;
  readonly #rowsIn: Gauge<'view'>;
  readonly #rowsOut: Gauge<'view'>;
  readonly #viewSeconds: Gauge<'view'>;
  readonly #filesScanned: Gauge<'topic'>;
  readonly #rowsScanned: Gauge<'topic'>;
  readonly #filesScannedTotal: Counter;
  readonly #rowsScannedTotal: Counter;
  readonly #watermark: Gauge;

  constructor() {
    const registers = [this.registry];
    this.#runs = new Counter({
      name: 'oxbow_batch_runs_total',
      help: 'Batch runs by outcome: published, nothing-sealed, locked (another run held the lock) or failed.',
      labelNames: ['status'],
      registers,
    });
    for (const status of ['published', 'nothing-sealed', 'locked', 'failed']) this.#runs.inc({ status }, 0);
    this.#duration = new Histogram({
      name: 'oxbow_batch_run_duration_seconds',
      help: 'Duration of a batch run (lock to manifest).',
      buckets: RUN_BUCKETS_S,
      registers,
    });
    this.#lastDuration = new Gauge({
      name: 'oxbow_batch_last_run_duration_seconds',
      help: 'Duration of the last batch run.',
      registers,
    });
    this.#lastRun = new Gauge({
      name: 'oxbow_batch_last_run_timestamp_seconds',
      help: 'When the last batch run finished (Unix time), whatever its outcome.',
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: 'oxbow_batch_last_success_timestamp_seconds',
      help: 'When the last batch run that published a version finished (Unix time).',
      registers,
    });
    this.#stage = new Gauge({
      name: 'oxbow_batch_stage_seconds',
      help: 'Seconds the last run spent per stage: read (listing and scanning the lake), compute, write (tables, upload, manifest).',
      labelNames: ['stage'],
      registers,
    });
    this.#rowsIn = new Gauge({
      name: 'oxbow_batch_view_rows_in',
      help: 'Events the last run read for the view (in an incremental run, those of the new epochs).',
      labelNames: ['view'],
      registers,
    });
    this.#rowsOut = new Gauge({
      name: 'oxbow_batch_view_rows_out',
      help: '(key, bucket) rows of the view the last run wrote.',
      labelNames: ['view'],
      registers,
    });
    this.#viewSeconds = new Gauge({
      name: 'oxbow_batch_view_seconds',
      help: 'Seconds of the pass that computed the view in the last run.',
      labelNames: ['view'],
      registers,
    });
    this.#filesScanned = new Gauge({
      name: 'oxbow_batch_files_scanned',
      help: 'Parquet files of the lake the last run read, by topic.',
      labelNames: ['topic'],
      registers,
    });
    this.#rowsScanned = new Gauge({
      name: 'oxbow_batch_rows_scanned',
      help: 'Rows of the lake the last run read, by topic.',
      labelNames: ['topic'],
      registers,
    });
    this.#filesScannedTotal = new Counter({
      name: 'oxbow_batch_files_scanned_total',
      help: 'Parquet files of the lake read by the runs of this process.',
      registers,
    });
    this.#rowsScannedTotal = new Counter({
      name: 'oxbow_batch_rows_scanned_total',
      help: 'Rows of the lake read by the runs of this process.',
      registers,
    });
    this.#watermark = new Gauge({
      name: 'oxbow_batch_watermark_epoch',
      help: 'Watermark epoch E of the last version published by this process (-1: none yet).',
      registers,
    });
    this.#watermark.set(-1);
  }

  /**
   * Runs `run` and records its summary, or its failure (rethrown).
   *
   * @example
   * const summary = await metrics.measure(() => runBatch(config, options));
   */
  async measure(run: () => Promise<BatchRunSummary>, now: () => number = Date.now): Promise<BatchRunSummary> {
    const startedAtMs = now();
    let summary: BatchRunSummary;
    try {
      summary = await run();
    } catch (error) {
      this.recordFailure(startedAtMs, now());
      throw error;
    }
    this.recordRun(summary);
    return summary;
  }

  /** Takes the summary of a finished run. */
  recordRun(summary: BatchRunSummary): void {
    const seconds = Math.max(0, summary.finishedAtMs - summary.startedAtMs) / 1000;
    this.#finished(summary.status, seconds, summary.finishedAtMs);
    if (summary.status === 'published') {
      this.#lastSuccess.set(summary.finishedAtMs / 1000);
      if (summary.watermarkEpoch !== undefined) this.#watermark.set(summary.watermarkEpoch);
    }
    if (summary.status === 'locked') return;
    for (const [stage, ms] of Object.entries(summary.durationsMs)) this.#stage.set({ stage }, ms / 1000);
    this.#rowsIn.reset();
    this.#rowsOut.reset();
    this.#viewSeconds.reset();
    for (const view of summary.views) {
      this.#rowsIn.set({ view: view.name }, view.rowsIn);
      this.#rowsOut.set({ view: view.name }, view.rowsOut);
      this.#viewSeconds.set({ view: view.name }, view.seconds);
    }
    this.#filesScanned.reset();
    this.#rowsScanned.reset();
    const byTopic = new Map<string, { files: number; rows: number }>();
    for (const scan of summary.scans) {
      const totals = byTopic.get(scan.topic) ?? { files: 0, rows: 0 };
      totals.files += scan.files;
      totals.rows += scan.rows;
      byTopic.set(scan.topic, totals);
      this.#filesScannedTotal.inc(scan.files);
      this.#rowsScannedTotal.inc(scan.rows);
    }
    for (const [topic, totals] of byTopic) {
      this.#filesScanned.set({ topic }, totals.files);
      this.#rowsScanned.set({ topic }, totals.rows);
    }
  }

  /** A run that threw, started at `startedAtMs`. */
  recordFailure(startedAtMs: number, finishedAtMs = Date.now()): void {
    this.#finished('failed', Math.max(0, finishedAtMs - startedAtMs) / 1000, finishedAtMs);
  }

  #finished(status: BatchRunOutcome, seconds: number, finishedAtMs: number): void {
    this.#runs.inc({ status });
    this.#duration.observe(seconds);
    this.#lastDuration.set(seconds);
    this.#lastRun.set(finishedAtMs / 1000);
  }
}
