import { createServer } from 'node:net';
import { CliError } from '../errors.ts';
import type { PortBinding } from './service.ts';

/** True when nothing listens on `host:port` (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Throws `OXBOW_PORT_IN_USE` for the first binding whose port is taken, naming the port, the service and the
 * setting/environment variable that moves it.
 */
export async function assertPortsFree(service: string, bindings: readonly PortBinding[]): Promise<void> {
  for (const binding of bindings) {
    if (!(await isPortFree(binding.port))) {
      throw new CliError(
        'OXBOW_PORT_IN_USE',
        `port ${binding.port} for ${service} is already in use by another process; free it or choose another port with ${binding.env}=<port> (setting ${binding.setting})`,
      );
    }
  }
}
