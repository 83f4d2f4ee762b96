import { IngestError, startIngest } from '@oxbow/ingest';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow ingest` takes. */
export const INGEST_FLAGS = ['port'] as const;

/** The listen port: `--port`, else the `ingestPort` setting (`OXBOW_INGEST_PORT`, default 8090). */
export function ingestPort(args: ParsedArgs, configured: number): number {
  const text = args.flags.port;
  if (text === undefined) return configured;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new CliError('OXBOW_USAGE', `--port ${text}: expected a port between 0 and 65535`);
  }
  return port;
}

/**
 * `oxbow ingest`: runs the ingest gateway of the project — `POST /v1/ingest/:topic` on 127.0.0.1:8090 (unless
 * `ingestHost`/`--port` say otherwise), and the syslog and MQTT sources its settings turn on — until SIGTERM or
 * SIGINT; then it stops taking requests and messages, waits for Kafka to acknowledge what it took, and returns 0.
 *
 * @example
 * process.exitCode = await runIngest(parseCommandLine(['ingest', '--port', '8095']), environment);
 */
export async function runIngest(args: ParsedArgs, environment: CommandEnvironment): Promise<number> {
  if (args.command.length > 1) {
    throw new CliError('OXBOW_USAGE', `unexpected argument "${args.command[1]}" for oxbow ingest`);
  }
  const { config, output, signal } = environment;
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  try {
    ingest = await startIngest(config, {
      port: ingestPort(args, config.ingestPort),
      log: (line) => output.err(line),
    });
  } catch (error) {
    if (IngestError.is(error, 'OXBOW_INGEST_BAD_OPTIONS')) {
      throw new CliError('OXBOW_USAGE', error.message, { cause: error });
    }
    throw error;
  }
  const topics = [...ingest.project.topics.keys()].join(', ');
  const syslog = ingest.sources.syslogAddresses();
  const listening = [
    `HTTP ${ingest.url}/v1/ingest/:topic (topics: ${topics})`,
    ...(syslog.udp ? [`syslog udp ${syslog.udp.address}:${syslog.udp.port}`] : []),
    ...(syslog.tcp ? [`syslog tcp ${syslog.tcp.address}:${syslog.tcp.port}`] : []),
    ...(ingest.sources.mqttConnected() === undefined ? [] : [`MQTT ${redactUrl(config.ingestMqttUrl)}`]),
  ];
  output.out(`oxbow ingest: ${listening.join('; ')}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', stop, { once: true });
  });
  output.out(`oxbow ingest: draining (${ingest.budget.inFlightRecords} records in flight)`);
  await ingest.close();
  output.out('oxbow ingest: stopped');
  return 0;
}

/** The URL without its password. */
function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text;
  }
}
