import { join } from 'node:path';
import type { OxbowConfig } from '@oxbow/config';
import { assertFlags, type ParsedArgs } from '../args.ts';
import type { Clock } from '../clock.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../output.ts';
import { printLog } from '../stack/logs.ts';
import {
  contextFor,
  findService,
  type ServiceStatus,
  selectServices,
  stackDown,
  stackStatus,
  stackUp,
} from '../stack/stack.ts';

/** What a command needs from its caller. */
export interface CommandEnvironment {
  readonly config: OxbowConfig;
  readonly clock: Clock;
  readonly output: Output;
  readonly signal?: AbortSignal;
}

function printStatus(
  statuses: readonly ServiceStatus[],
  json: boolean,
  config: OxbowConfig,
  output: Output,
): void {
  if (json) {
    output.out(JSON.stringify({ stateDir: config.stateDir, services: statuses }, null, 2));
    return;
  }
  const nameWidth = Math.max(8, ...statuses.map((status) => status.name.length));
  const addressWidth = Math.max(24, ...statuses.map((status) => status.address.length));
  for (const status of statuses) {
    const health = status.healthy ? 'healthy' : 'DOWN';
    const owner = status.managed
      ? `pid ${status.pid}`
      : status.healthy
        ? 'not started by this state dir'
        : '-';
    output.out(
      `${status.name.padEnd(nameWidth)} ${health.padEnd(8)} ${status.address.padEnd(addressWidth)} ${owner}`,
    );
  }
}

/** `oxbow stack <up|down|status|logs|fetch>`. Returns the exit code. */
export async function runStackCommand(args: ParsedArgs, env: CommandEnvironment): Promise<number> {
  const [, sub, ...rest] = args.command;
  const options = { config: env.config, clock: env.clock, output: env.output, with: args.flags.with };
  const noExtra = (name: string) => {
    if (rest.length)
      throw new CliError('OXBOW_USAGE', `unexpected argument "${rest[0]}" for oxbow stack ${name}`);
  };
  switch (sub) {
    case 'up': {
      assertFlags(args, 'stack up', ['with', 'json']);
      noExtra('up');
      const statuses = await stackUp(options);
      if (args.flags.json) printStatus(statuses, true, env.config, env.output);
      return statuses.every((status) => status.healthy) ? 0 : 1;
    }
    case 'down':
      assertFlags(args, 'stack down', []);
      noExtra('down');
      await stackDown(options);
      return 0;
    case 'status': {
      assertFlags(args, 'stack status', ['json']);
      noExtra('status');
      const statuses = await stackStatus(options);
      printStatus(statuses, args.flags.json, env.config, env.output);
      return statuses.every((status) => status.healthy) ? 0 : 3;
    }
    case 'logs': {
      assertFlags(args, 'stack logs', ['follow', 'lines']);
      const [name, ...more] = rest;
      if (!name || more.length)
        throw new CliError('OXBOW_USAGE', 'usage: oxbow stack logs SERVICE [--follow] [--lines N]');
      const context = contextFor(findService(name), options);
      await printLog(context.logFile, {
        lines: args.flags.lines ?? 100,
        follow: args.flags.follow,
        clock: env.clock,
        write: (text) => process.stdout.write(text),
        ...(env.signal ? { signal: env.signal } : {}),
      });
      return 0;
    }
    case 'fetch': {
      assertFlags(args, 'stack fetch', ['with']);
      noExtra('fetch');
      for (const service of selectServices(args.flags.with)) {
        const context = contextFor(service, options);
        await service.fetch(context);
      }
      env.output.out(`jars ready in ${env.config.jarCache} (${join(env.config.jarCache, '*')})`);
      return 0;
    }
    default:
      throw new CliError(
        'OXBOW_USAGE',
        sub
          ? `unknown stack command "${sub}" (up, down, status, logs, fetch)`
          : 'usage: oxbow stack <up|down|status|logs|fetch>',
      );
  }
}
