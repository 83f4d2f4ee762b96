/**
 * Kinesalite (the `kinesalite` npm package, an implementation of the Kinesis API) for the Kinesis tests: run as
 * a child process on a loopback port, in memory. And a small HTTP proxy in front of it that the tests can take
 * down and bring back (an outage between the client and Kinesis) and that refuses unknown access keys the way
 * AWS does (kinesalite accepts any signature).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);

/** A running kinesalite. */
export interface Kinesalite {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts kinesalite on 127.0.0.1 (a free port), streams becoming ACTIVE at once. */
export async function startKinesalite(): Promise<Kinesalite> {
  const main = require.resolve('kinesalite');
  const script = `
    const server = require(${JSON.stringify(main)})({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
    server.listen(0, '127.0.0.1', () => console.log('KINESALITE_READY ' + server.address().port));
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    const timer = setTimeout(() => reject(new Error('kinesalite did not start within 20 s')), 20_000);
    lines.on('line', (line) => {
      const match = /^KINESALITE_READY (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`kinesalite exited (${code}) before it was ready`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A proxy to kinesalite with an off switch and an access-key check. */
export interface KinesisProxy {
  readonly endpoint: string;
  /** Closes the listener and every open connection: clients get connection errors until {@link up}. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Requests forwarded so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `target` requests signed with `accessKeyId`. */
export async function startKinesisProxy(target: string, accessKeyId: string): Promise<KinesisProxy> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  let forwarded = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const authorization = incoming.headers.authorization ?? '';
    if (!authorization.includes(`Credential=${accessKeyId}/`)) {
      incoming.resume();
      outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      outgoing.end(
        JSON.stringify({
          __type: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
        }),
      );
      return;
    }
    forwarded += 1;
    const upstream = request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: KinesisProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded;
    },
    async down() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      await proxy.down().catch(() => undefined);
    },
  };
  return proxy;
}
