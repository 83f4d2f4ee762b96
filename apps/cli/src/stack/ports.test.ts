import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@oxbow/testing-tools';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../cli.ts';
import { isPortFree } from './ports.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];

function listen(): Promise<number> {
  return new Promise((resolve) => {
    // Accepts and stays silent, like a foreign process that does not speak the service's protocol.
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('port-in-use detection', () => {
  it('isPortFree tells a bound port from a free one', async () => {
    const busy = await listen();
    expect(await isPortFree(busy)).toBe(false);
    expect(await isPortFree(await freePort())).toBe(true);
  });

  it('stack up stops before starting anything and names the port and its environment variable', async () => {
    const busy = await listen();
    const stateDir = mkdtempSync(join(tmpdir(), 'oxbow-ports-'));
    const env = {
      OXBOW_STATE_DIR: stateDir,
      OXBOW_JAR_CACHE: join(stateDir, 'jars'),
      OXBOW_KAFKA_PORT: String(await freePort()),
      OXBOW_KAFKA_CONTROLLER_PORT: String(await freePort()),
      OXBOW_S3_PORT: String(await freePort()),
      OXBOW_REDIS_PORT: String(busy),
    };
    const errors: string[] = [];
    const code = await run(['stack', 'up'], {
      cwd: stateDir,
      env,
      output: { out: () => {}, err: (line) => errors.push(line) },
    });
    expect(code).toBe(1);
    expect(errors).toEqual([
      `oxbow: port ${busy} for redis is already in use by another process; free it or choose another port with OXBOW_REDIS_PORT=<port> (setting redisPort)`,
    ]);
  });
});
