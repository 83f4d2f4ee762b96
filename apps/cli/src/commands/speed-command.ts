import { startSpeed } from '@oxbow/speed';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/**
 * `oxbow speed`: runs the speed layer until SIGTERM or SIGINT (or the environment's abort signal), then finishes
 * the batch in progress, commits it, and returns 0.
 *
 * @example
 * process.exitCode = await runSpeed(parseCommandLine(['speed']), environment);
 */
export async function runSpeed(args: ParsedArgs, environment: CommandEnvironment): Promise<number> {
  if (args.command.length > 1) {
    throw new CliError('OXBOW_USAGE', `unexpected argument "${args.command[1]}" for oxbow speed`);
  }
  const { output, signal } = environment;
  const speed = await startSpeed(environment.config, { log: (line) => output.err(line) });
  output.out(
    `oxbow speed: running (Redis prefix ${speed.layout.prefix}, health ${speed.healthUrl ?? 'in Redis only'})`,
  );
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
    signal?.addEventListener('abort', done, { once: true });
    void speed.stopped.then(done);
  });
  await speed.stop();
  const status = speed.status();
  output.out(`oxbow speed: stopped after ${status.batches} batches, ${status.records} records`);
  return 0;
}
