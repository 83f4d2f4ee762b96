/**
 * `oxbow batch run` and `oxbow batch schedule`: the batch layer from the command line (apps/batch).
 */
import {
  type BatchEngine,
  BatchMetrics,
  type BatchRunOptions,
  formatSummaryTable,
  progressFor,
  runBatch,
  scheduleBatch,
} from '@oxbow/batch';
import { type OperationsServer, serveOperations, writeMetricsTextfile } from '@oxbow/connectors';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow batch` takes. */
export const BATCH_FLAGS = ['views', 'until-epoch', 'engine', 'full', 'cron', 'json'] as const;

const ENGINES: readonly BatchEngine[] = ['rdd', 'duckdb', 'auto'];

/** The run options of `oxbow batch` from its flags. */
export function batchRunOptionsOf(args: ParsedArgs): BatchRunOptions {
  const { views, untilEpoch, engine } = args.flags;
  let until: number | undefined;
  if (untilEpoch !== undefined) {
    until = Number(untilEpoch);
    if (!/^\d+$/.test(untilEpoch) || !Number.isSafeInteger(until)) {
      throw new CliError('OXBOW_USAGE', `--until-epoch ${untilEpoch}: expected a non-negative integer epoch`);
    }
  }
  if (engine !== undefined && !ENGINES.includes(engine as BatchEngine)) {
    throw new CliError('OXBOW_USAGE', `--engine ${engine}: expected rdd, duckdb or auto`);
  }
  return {
    ...(views === undefined
      ? {}
      : {
          views: views
            .split(',')
            .map((name) => name.trim())
            .filter((name) => name !== ''),
        }),
    ...(until === undefined ? {} : { untilEpoch: until }),
    ...(engine === undefined ? {} : { engine: engine as BatchEngine }),
    ...(args.flags.full ? { full: true } : {}),
  };
}

/**
 * Runs `oxbow batch run|schedule`. `run` exits 0 once a version is published (or nothing is sealed yet) and 1
 * when another run holds the lock; `schedule` stays up until SIGINT/SIGTERM (or the abort signal). Bad batch
 * options (`OXBOW_BATCH_USAGE`, `OXBOW_BATCH_NO_SQL_PLAN`) reach `run`, which exits 2 on them.
 * With `batchMetricsFile`, the metrics are written to that file after every run (node_exporter's textfile
 * collector); `schedule` also serves `/healthz` and `/metrics` on `batchHealthPort` (0: none).
 */
export async function runBatchCommand(args: ParsedArgs, environment: CommandEnvironment): Promise<number> {
  const [, sub, extra] = args.command;
  if (extra !== undefined) throw new CliError('OXBOW_USAGE', `unexpected argument "${extra}"`);
  const { config, output } = environment;
  const metrics = new BatchMetrics();
  const writeMetrics = async () => {
    if (config.batchMetricsFile === '') return;
    await writeMetricsTextfile(config.batchMetricsFile, metrics.registry).catch((error: unknown) =>
      output.err(`oxbow: could not write the metrics to ${config.batchMetricsFile}: ${String(error)}`),
    );
  };
  const progress = progressFor(process.stderr, () => environment.clock.now());
  const options: BatchRunOptions = { ...batchRunOptionsOf(args), progress };
  const report = (summary: Awaited<ReturnType<typeof runBatch>>) =>
    output.out(args.flags.json ? JSON.stringify(summary) : formatSummaryTable(summary));
  if (sub === 'run') {
    if (args.flags.cron !== undefined)
      throw new CliError('OXBOW_USAGE', '--cron applies to "oxbow batch schedule"');
    let summary: Awaited<ReturnType<typeof runBatch>>;
    try {
      summary = await metrics.measure(() => runBatch(config, options));
    } finally {
      await writeMetrics();
    }
    report(summary);
    return summary.status === 'locked' ? 1 : 0;
  }
  if (sub === 'schedule') {
    const cron = args.flags.cron;
    if (cron === undefined)
      throw new CliError('OXBOW_USAGE', 'oxbow batch schedule needs --cron "<expression>"');
    const schedule = scheduleBatch(config, {
      ...options,
      cron,
      metrics,
      onRun: (summary) => {
        report(summary);
        void writeMetrics();
      },
      onError: (error) => {
        output.err(`oxbow: batch run failed: ${error instanceof Error ? error.message : String(error)}`);
        void writeMetrics();
      },
    });
    output.err(
      `oxbow batch schedule: "${cron}" (UTC), next run ${schedule.nextRun()?.toISOString() ?? 'never'}`,
    );
    let operations: OperationsServer | undefined;
    if (config.batchHealthPort > 0) {
      try {
        operations = await serveOperations({
          host: config.healthHost,
          port: config.batchHealthPort,
          registry: metrics.registry,
          health: () => ({
            healthy: true,
            body: { state: 'scheduled', cron, nextRun: schedule.nextRun()?.toISOString() ?? null },
          }),
        });
        output.err(`oxbow batch schedule: metrics at ${operations.url}/metrics`);
      } catch (error) {
        output.err(
          `oxbow batch schedule: no /healthz nor /metrics on port ${config.batchHealthPort}: ${String(error)}`,
        );
      }
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      environment.signal?.addEventListener('abort', stop, { once: true });
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await schedule.stop();
    await operations?.close();
    return 0;
  }
  throw new CliError('OXBOW_USAGE', `unknown batch command "${sub ?? ''}" (expected run or schedule)`);
}
