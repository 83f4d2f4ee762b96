/**
 * `oxbow batch run` and `oxbow batch schedule`: the batch layer from the command line (apps/batch).
 */
import {
  type BatchEngine,
  type BatchRunOptions,
  formatSummaryTable,
  progressFor,
  runBatch,
  scheduleBatch,
} from '@oxbow/batch';
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
 */
export async function runBatchCommand(args: ParsedArgs, environment: CommandEnvironment): Promise<number> {
  const [, sub, extra] = args.command;
  if (extra !== undefined) throw new CliError('OXBOW_USAGE', `unexpected argument "${extra}"`);
  const { config, output } = environment;
  const progress = progressFor(process.stderr, () => environment.clock.now());
  const options: BatchRunOptions = { ...batchRunOptionsOf(args), progress };
  const report = (summary: Awaited<ReturnType<typeof runBatch>>) =>
    output.out(args.flags.json ? JSON.stringify(summary) : formatSummaryTable(summary));
  if (sub === 'run') {
    if (args.flags.cron !== undefined)
      throw new CliError('OXBOW_USAGE', '--cron applies to "oxbow batch schedule"');
    const summary = await runBatch(config, options);
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
      onRun: report,
      onError: (error) =>
        output.err(`oxbow: batch run failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    output.err(
      `oxbow batch schedule: "${cron}" (UTC), next run ${schedule.nextRun()?.toISOString() ?? 'never'}`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      environment.signal?.addEventListener('abort', stop, { once: true });
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await schedule.stop();
    return 0;
  }
  throw new CliError('OXBOW_USAGE', `unknown batch command "${sub ?? ''}" (expected run or schedule)`);
}
