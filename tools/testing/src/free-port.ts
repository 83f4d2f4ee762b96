/** A free TCP port on the loopback interface, for a test's private server. */
import { createServer } from 'node:net';

/**
 * Resolves a TCP port on 127.0.0.1 that was free a moment ago (the operating system picked it): bind it soon.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
