/**
 * Starts the serving API on its configured address.
 */
import { assertListenAllowed } from './access.ts';
import { buildServer, type ServingConfig, type ServingDependencies, type ServingServer } from './server.ts';

/** A listening serving API. */
export interface RunningServer extends ServingServer {
  /** The base URL it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
}

/** Overrides of where to listen. */
export interface StartServingOptions extends ServingDependencies {
  /** Listen port (default `config.apiPort`; 0 picks a free one). */
  readonly port?: number;
  /** Listen host (default `config.apiHost`, 127.0.0.1 unless configured). */
  readonly host?: string;
}

/**
 * Builds the serving API and listens on `host:port` (127.0.0.1:8080 by default), with at most
 * `apiMaxConnections` client connections open. A host other than loopback is refused while no API keys are
 * configured (`OXBOW_INSECURE_LISTEN`, see `access.ts`) unless `apiAllowOpen` is `yes`.
 *
 * @example
 * const server = await startServing(config, { port: 0 });
 * console.log(server.url); // http://127.0.0.1:41231
 * await server.close();
 */
export async function startServing(
  config: ServingConfig,
  options: StartServingOptions = {},
): Promise<RunningServer> {
  const host = options.host ?? config.apiHost;
  assertListenAllowed(host, config);
  const server = await buildServer(config, options);
  try {
    // Connections beyond the cap are closed as they arrive.
    server.app.server.maxConnections = config.apiMaxConnections;
    await server.app.listen({ host, port: options.port ?? config.apiPort });
    const address = server.app.server.address();
    const port =
      typeof address === 'object' && address !== null ? address.port : (options.port ?? config.apiPort);
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return { ...server, url: `http://${shownHost}:${port}` };
  } catch (error) {
    await server.close();
    throw error;
  }
}
