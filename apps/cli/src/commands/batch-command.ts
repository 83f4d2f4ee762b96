/**
 * `oxbow batch run`, `oxbow batch schedule` and, for a run split across machines (a Kubernetes Indexed Job),
 * `oxbow batch run --index I` and `oxbow batch merge`: the batch layer from the command line (apps/batch).
 */
import {
  type BatchEngine,
  BatchMetrics,
  type BatchPartSummary,
  type BatchRunOptions,
  formatSummaryTable,
  mergeBatchParts,
  type PartOf,
  progressFor,
  runBatch,
  runBatchPart,
  scheduleBatch,
} from '@oxbow/batch';
import { type OperationsServer, serveOperations, writeMetricsTextfile } from '@oxbow/connectors';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow batch` takes. */
export const BATCH_FLAGS = [
  'views',
  'until-epoch',
  'engine',
  'full',
  'cron',
  'json',
  'index',
  'count',
] as const;

/** A non-negative integer flag or variable, or a usage error naming it. */
function integerOf(text: string, what: string, least: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < least) {
    throw new CliError('OXBOW_USAGE', `${what} ${text}: expected an integer ≥ ${least}`);
  }
  return value;
}

/**
 * The part of a split run `oxbow batch run` computes: `--index I` (else `JOB_COMPLETION_INDEX`, which a Kubernetes
 * Indexed Job sets) of `--count N` (else the `batchParts` setting); undefined for a whole run.
 */
export function batchPartOf(
  args: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
  batchParts: number,
): PartOf | undefined {
  const given = args.flags.index ?? env.JOB_COMPLETION_INDEX;
  if (given === undefined || given === '') {
    if (args.flags.count !== undefined)
      throw new CliError(
        'OXBOW_USAGE',
        '--count applies to "oxbow batch run --index I" and "oxbow batch merge"',
      );
    return undefined;
  }
  const what = args.flags.index === undefined ? 'JOB_COMPLETION_INDEX' : '--index';
  const index = integerOf(given, what, 0);
  const count = args.flags.count === undefined ? batchParts : integerOf(args.flags.count, '--count', 1);
  if (index >= count) {
    throw new CliError(
      'OXBOW_USAGE',
      `${what} ${index}: expected 0 … ${count - 1} for ${count} parts (--count, OXBOW_BATCH_PARTS)`,
    );
  }
  return { index, count };
}

/** One line of a part's summary, or its JSON. */
function formatPartSummary(summary: BatchPartSummary): string {
  if (summary.status === 'nothing-sealed') {
    return `batch part ${summary.index} of ${summary.count}: nothing sealed yet, nothing staged`;
  }
  const cells = summary.views.reduce((total, view) => total + view.cells, 0);
  return `batch part ${summary.index} of ${summary.count} of run ${summary.partsRunId}: staged ${summary.views.length} views (${cells} cells) at watermark epoch ${summary.watermarkEpoch} in ${summary.path}; run "oxbow batch merge --count ${summary.count}" once every part is staged`;
}

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
  if (sub !== 'run' && sub !== 'merge' && args.flags.index !== undefined)
    throw new CliError('OXBOW_USAGE', '--index applies to "oxbow batch run"');
  if (sub === 'run' || sub === 'merge') {
    if (args.flags.cron !== undefined)
      throw new CliError('OXBOW_USAGE', '--cron applies to "oxbow batch schedule"');
  }
  const partsRunId = config.batchRunId === '' ? {} : { partsRunId: config.batchRunId };
  if (sub === 'merge') {
    if (args.flags.index !== undefined)
      throw new CliError('OXBOW_USAGE', '--index applies to "oxbow batch run"');
    if (args.flags.full) throw new CliError('OXBOW_USAGE', '--full: a merge always publishes full tables');
    const count =
      args.flags.count === undefined ? config.batchParts : integerOf(args.flags.count, '--count', 1);
    let summary: Awaited<ReturnType<typeof runBatch>>;
    try {
      summary = await metrics.measure(() => mergeBatchParts(config, { ...options, count, ...partsRunId }));
    } finally {
      await writeMetrics();
    }
    report(summary);
    return summary.status === 'locked' ? 1 : 0;
  }
  const part = sub === 'run' ? batchPartOf(args, process.env, config.batchParts) : undefined;
  if (part !== undefined) {
    if (args.flags.full)
      throw new CliError('OXBOW_USAGE', '--full: a part always computes its slice in full');
    const summary = await runBatchPart(config, { ...options, part, ...partsRunId });
    output.out(args.flags.json ? JSON.stringify(summary) : formatPartSummary(summary));
    return 0;
  }
  if (sub === 'run') {
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
  throw new CliError('OXBOW_USAGE', `unknown batch command "${sub ?? ''}" (expected run, merge or schedule)`);
}
