/**
 * Starts the ingest gateway: the HTTP API on its configured address and the syslog and MQTT sources the settings
 * ask for; `close` drains them all into Kafka before disconnecting.
 */
import { listenProblem } from '@oxbow/http-auth';
import { IngestError } from './errors.ts';
import type { MqttMapping, SyslogMapping } from './mappings.ts';
import {
  buildIngestServer,
  type IngestConfig,
  type IngestDependencies,
  type IngestServer,
} from './server.ts';
import { type IngestSources, startSources } from './sources.ts';

/** A listening gateway. */
export interface RunningIngest extends IngestServer {
  /** The base URL of the HTTP API, e.g. `http://127.0.0.1:8090`. */
  readonly url: string;
  /** The syslog and MQTT sources (their `stop` is part of `close`). */
  readonly sources: IngestSources;
}

/** Where to listen and how to map source messages, beyond the settings. */
export interface StartIngestOptions extends IngestDependencies {
  /** Listen port (default `config.ingestPort`; 0 picks a free one). */
  readonly port?: number;
  /** Listen host (default `config.ingestHost`, 127.0.0.1 unless configured). */
  readonly host?: string;
  /** Syslog message → record of `ingestSyslogTopic` (default: `defaultSyslogRecord`). */
  readonly mapSyslog?: SyslogMapping;
  /** MQTT message → record of the topic its filter routes to (default: the payload as a JSON object). */
  readonly mapMqtt?: MqttMapping;
  /** MQTT credentials (else those of the URL, if any). */
  readonly mqtt?: { readonly username?: string; readonly password?: string };
}

/**
 * Builds the gateway, listens on `host:port` (127.0.0.1:8090 by default) and starts the sources. `close()` stops
 * taking requests and messages, waits (up to `ingestAckTimeoutMs`) for Kafka to acknowledge what was taken, and
 * disconnects.
 *
 * @example
 * const ingest = await startIngest(config, { port: 0, mapSyslog: (m) => ({ at: m.timestamp, line: m.message }) });
 * console.log(ingest.url); // http://127.0.0.1:41231
 * await ingest.close();
 */
export async function startIngest(
  config: IngestConfig,
  options: StartIngestOptions = {},
): Promise<RunningIngest> {
  // A non-loopback host without API keys would let anyone who reaches the port write to Kafka.
  const problem = listenProblem(options.host ?? config.ingestHost, config, {
    app: 'anyone who reaches the port could write to the project topics',
    hostSetting: 'OXBOW_INGEST_HOST',
  });
  if (problem !== undefined) {
    throw new IngestError(
      problem.code === 'OXBOW_INSECURE_LISTEN' ? 'OXBOW_INSECURE_LISTEN' : 'OXBOW_INGEST_BAD_OPTIONS',
      problem.message,
    );
  }
  const server = await buildIngestServer(config, options);
  const log = options.log ?? (() => {});
  let sources: IngestSources | undefined;
  try {
    sources = await startSources(config, {
      project: server.project,
      writer: server.writer,
      budget: server.budget,
      metrics: server.metrics,
      log,
      ...(options.mapSyslog ? { mapSyslog: options.mapSyslog } : {}),
      ...(options.mapMqtt ? { mapMqtt: options.mapMqtt } : {}),
      ...(options.mqtt ? { mqtt: options.mqtt } : {}),
    });
    const host = options.host ?? config.ingestHost;
    await server.app.listen({ host, port: options.port ?? config.ingestPort });
  } catch (error) {
    await sources?.stop(0);
    await server.close();
    throw error;
  }
  const running = sources;
  const address = server.app.server.address();
  const port =
    typeof address === 'object' && address !== null ? address.port : (options.port ?? config.ingestPort);
  const host = options.host ?? config.ingestHost;
  let closing: Promise<void> | undefined;
  return {
    ...server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    sources: running,
    close: () => {
      closing ??= (async () => {
        await Promise.all([server.app.close(), running.stop(config.ingestAckTimeoutMs)]);
        await server.close();
      })();
      return closing;
    },
  };
}
