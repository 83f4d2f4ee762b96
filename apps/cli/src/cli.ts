import { loadConfig } from '@oxbow/config';
import { OxbowError } from '@oxbow/contracts';
import { assertFlags, parseCommandLine } from './args.ts';
import { type Clock, systemClock } from './clock.ts';
import { printConfig } from './commands/config-command.ts';
import { runStackCommand } from './commands/stack-command.ts';
import { CliError, exitCodeOf } from './errors.ts';
import { helpText, versionText } from './help.ts';
import { type Output, processOutput } from './output.ts';

/** Where `run` reads its environment from; every field defaults to the current process. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly output?: Output;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/**
 * Runs one `oxbow` command line and returns its exit code. An Oxbow error of any package (an `OxbowError`: the
 * CLI's own, a configuration error, an app's) is printed as one line (`oxbow: <message>`) with the exit code of
 * its code (2 for usage and configuration errors, 1 otherwise); anything else is printed with its stack, exit 1.
 *
 * @example
 * process.exitCode = await run(['stack', 'status', '--json']);
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const output = options.output ?? processOutput;
  try {
    const args = parseCommandLine(argv);
    const [command] = args.command;
    if (args.flags.version) {
      output.out(versionText());
      return 0;
    }
    if (command === 'help') {
      output.out(helpText(args.command[1]));
      return 0;
    }
    if (args.flags.help || command === undefined) {
      output.out(helpText(command));
      return command === undefined && !args.flags.help ? 2 : 0;
    }
    const resolved = await loadConfig({
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      flags: args.settings,
      ...(args.flags.config ? { configPath: args.flags.config } : {}),
    });
    const environment = {
      config: resolved.config,
      clock: options.clock ?? systemClock,
      output,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    switch (command) {
      case 'stack':
        return await runStackCommand(args, environment);
      case 'config':
        assertFlags(args, 'config', ['json', 'show-secrets']);
        if (args.command.length > 1)
          throw new CliError('OXBOW_USAGE', `unexpected argument "${args.command[1]}"`);
        printConfig(resolved, { json: args.flags.json, showSecrets: args.flags.showSecrets }, output);
        return 0;
      // The app commands are imported when run, so `oxbow stack …` and `oxbow config` start fast and do not
      // load the apps (nor the user's project).
      case 'produce': {
        const { PRODUCE_FLAGS, runProduce } = await import('./commands/produce-command.ts');
        assertFlags(args, 'produce', PRODUCE_FLAGS);
        return await runProduce(args, environment);
      }
      case 'archiver': {
        const { runArchiverCommand } = await import('./commands/archiver-command.ts');
        assertFlags(args, 'archiver', []);
        return await runArchiverCommand(environment);
      }
      case 'batch': {
        const { BATCH_FLAGS, runBatchCommand } = await import('./commands/batch-command.ts');
        assertFlags(args, 'batch', BATCH_FLAGS);
        return await runBatchCommand(args, environment);
      }
      case 'serve': {
        const { runServe, SERVE_FLAGS } = await import('./commands/serve-command.ts');
        assertFlags(args, 'serve', SERVE_FLAGS);
        return await runServe(args, environment);
      }
      case 'ingest': {
        const { INGEST_FLAGS, runIngest } = await import('./commands/ingest-command.ts');
        assertFlags(args, 'ingest', INGEST_FLAGS);
        return await runIngest(args, environment);
      }
      case 'sql': {
        const { runSqlCommand, SQL_FLAGS } = await import('./commands/sql-command.ts');
        assertFlags(args, 'sql', SQL_FLAGS);
        return await runSqlCommand(args, environment);
      }
      case 'speed': {
        const { runSpeed } = await import('./commands/speed-command.ts');
        assertFlags(args, 'speed', []);
        return await runSpeed(args, environment);
      }
      case 'status': {
        const { runStatusCommand } = await import('./commands/status-command.ts');
        assertFlags(args, 'status', ['json']);
        if (args.command.length > 1)
          throw new CliError('OXBOW_USAGE', `unexpected argument "${args.command[1]}" for oxbow status`);
        return await runStatusCommand(args.flags.json, environment);
      }
      case 'views': {
        const { runViewsCommand, VIEWS_FLAGS } = await import('./commands/views-command.ts');
        assertFlags(args, 'views', VIEWS_FLAGS);
        return await runViewsCommand(args, environment);
      }
      case 'demo': {
        const { runDemo } = await import('./commands/demo-command.ts');
        assertFlags(args, command, []);
        return await runDemo(environment);
      }
      case 'start': {
        const { runStart } = await import('./commands/start-command.ts');
        assertFlags(args, command, []);
        return await runStart(environment, resolved.origins.epochMs.source !== 'default');
      }
      default:
        throw new CliError('OXBOW_USAGE', `unknown command "${command}" (run oxbow --help)`);
    }
  } catch (error) {
    if (OxbowError.is(error)) {
      output.err(`oxbow: ${error.message}`);
      return exitCodeOf(error);
    }
    output.err(`oxbow: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
