import { runBatch } from '@oxbow/batch';
import { isDashboardBuilt } from '@oxbow/dashboard';
import { startServing } from '@oxbow/serving';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow serve` takes. */
export const SERVE_FLAGS = ['port'] as const;

/** The listen port: `--port`, else the `apiPort` setting (`OXBOW_API_PORT`, default 8080). */
export function servePort(args: ParsedArgs, configured: number): number {
  const text = args.flags.port;
  if (text === undefined) return configured;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new CliError('OXBOW_USAGE', `--port ${text}: expected a port between 0 and 65535`);
  }
  return port;
}

/**
 * `oxbow serve`: starts the serving API (127.0.0.1 unless `apiHost` says otherwise) with `POST /v1/batch/runs`
 * wired to `@oxbow/batch`'s `runBatch`, until SIGINT or SIGTERM.
 *
 * @example
 * await runServe(parseCommandLine(['serve', '--port', '8081']), environment);
 */
export async function runServe(args: ParsedArgs, environment: CommandEnvironment): Promise<number> {
  if (args.command.length > 1) {
    throw new CliError('OXBOW_USAGE', `unexpected argument "${args.command[1]}" for oxbow serve`);
  }
  const { config, output } = environment;
  const server = await startServing(config, {
    port: servePort(args, config.apiPort),
    triggerBatchRun: async () => {
      const summary = await runBatch(config);
      return { status: summary.status, runId: summary.runId, watermarkEpoch: summary.watermarkEpoch ?? null };
    },
  });
  const manifest = server.batch.manifest;
  output.out(
    `oxbow serve: listening on ${server.url} (batch ${manifest ? `${manifest.runId}, E=${manifest.watermarkEpoch}` : 'none yet'}; /docs for the API)`,
  );
  output.out(
    isDashboardBuilt()
      ? `oxbow serve: dashboard at ${server.url}/`
      : 'oxbow serve: no dashboard at / (build it with `npm run build:dashboard`, then restart)',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    if (environment.signal?.aborted) resolve();
    environment.signal?.addEventListener('abort', stop, { once: true });
  });
  await server.close();
  output.out('oxbow serve: stopped');
  return 0;
}
