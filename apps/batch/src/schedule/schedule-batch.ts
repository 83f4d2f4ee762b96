/**
 * `oxbow batch schedule`: runs the batch layer on a cron schedule (croner). Within one process croner's
 * `protect` skips a tick while the previous run is busy; across processes and machines the lake lock does, so
 * two schedulers never run at once (the loser of a tick logs `locked` and waits for the next one).
 */
import { Cron } from 'croner';
import { BatchError } from '../errors.ts';
import type { BatchConfig } from '../lake/storage-options.ts';
import type { BatchMetrics } from '../run/batch-metrics.ts';
import { type BatchRunOptions, type BatchRunSummary, runBatch } from '../run/run-batch.ts';

/** Options of {@link scheduleBatch}. */
export interface BatchScheduleOptions extends BatchRunOptions {
  /** A cron expression, 5 fields (minute precision) or 6 (seconds first), e.g. `0 2 * * *`. */
  readonly cron: string;
  /** Time zone of the expression. Default UTC. */
  readonly timezone?: string;
  /** Told about every run's outcome. */
  readonly onRun?: (summary: BatchRunSummary) => void;
  /** Told about a run that failed; the schedule goes on. */
  readonly onError?: (error: unknown) => void;
  /** Records every run (its summary, or its failure). */
  readonly metrics?: BatchMetrics;
}

/** A running schedule. */
export interface BatchSchedule {
  /** When the next run starts, if ever. */
  nextRun(): Date | null;
  /** Stops scheduling and resolves once a run in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Starts running the batch layer on `options.cron`.
 *
 * @example
 * ```ts
 * const schedule = scheduleBatch(config, { cron: '0 2 * * *', onRun: (s) => console.log(s.status) });
 * process.on('SIGTERM', () => void schedule.stop());
 * ```
 */
export function scheduleBatch(config: BatchConfig, options: BatchScheduleOptions): BatchSchedule {
  let running: Promise<void> | undefined;
  let job: Cron;
  try {
    job = new Cron(options.cron, { protect: true, timezone: options.timezone ?? 'UTC' }, () => {
      const metrics = options.metrics;
      const started = metrics ? metrics.measure(() => runBatch(config, options)) : runBatch(config, options);
      const run = started.then(
        (summary) => options.onRun?.(summary),
        (error: unknown) => options.onError?.(error),
      );
      running = run.finally(() => {
        if (running === tracked) running = undefined;
      });
      const tracked = running;
      return run;
    });
  } catch (error) {
    throw new BatchError('OXBOW_BATCH_USAGE', `invalid cron expression "${options.cron}": ${String(error)}`, {
      cause: error,
    });
  }
  return {
    nextRun: () => job.nextRun(),
    async stop() {
      job.stop();
      await running;
    },
  };
}
