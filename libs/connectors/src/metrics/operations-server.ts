/**
 * A tiny HTTP server for the operations routes of an app without an HTTP API of its own (the archiver, the batch
 * schedule, the speed layer): `GET /healthz` (or the app's own health paths; 200 while healthy, else 503, with a
 * JSON body) and `GET /metrics` (Prometheus text).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { exposition, PROMETHEUS_CONTENT_TYPE } from './prometheus.ts';

/** The health paths of an operations server unless the app names its own. */
export const DEFAULT_HEALTH_PATHS: readonly string[] = ['/healthz'];

/** Options of {@link serveOperations}. */
export interface OperationsServerOptions {
  /** Listen port (0: any free port). */
  readonly port: number;
  /** Listen host. Default `127.0.0.1`. */
  readonly host?: string;
  /** The app's metrics; the process metrics are added. */
  readonly registry: Registry;
  /** The paths that answer the health (default `/healthz`; the speed layer keeps `/health` and `/status`). */
  readonly healthPaths?: readonly string[];
  /** The health answer: `healthy` decides the status code, `body` is sent as JSON. */
  health(): { readonly healthy: boolean; readonly body: Readonly<Record<string, unknown>> };
}

/** A listening operations server. */
export interface OperationsServer {
  readonly server: Server;
  /** `http://host:port` (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens for `/healthz` and `/metrics`; rejects when the port cannot be bound.
 *
 * @example
 * const ops = await serveOperations({ port: 8092, registry, health: () => ({ healthy: true, body: {} }) });
 * await fetch(`${ops.url}/metrics`);
 * await ops.close();
 */
export async function serveOperations(options: OperationsServerOptions): Promise<OperationsServer> {
  const host = options.host ?? '127.0.0.1';
  const healthPaths = options.healthPaths ?? DEFAULT_HEALTH_PATHS;
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      exposition(options.registry).then(
        (text) => {
          response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
      return;
    }
    if (request.method === 'GET' && path !== undefined && healthPaths.includes(path)) {
      const { healthy, body } = options.health();
      response.writeHead(healthy ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      response.end(JSON.stringify({ healthy, ...body }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: `not found: GET ${[...healthPaths, '/metrics'].join(', ')}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
