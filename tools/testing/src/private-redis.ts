/**
 * A test's own `redis-server` (never the shared stack's), and waiting for one to answer. Needs the Debian
 * `redis-server` and `redis-cli` binaries on PATH.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** Resolves once the Redis on `127.0.0.1:port` answers `PING`; rejects after `timeoutMs`. */
export async function waitForRedisPing(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], {
      timeout: 5_000,
    }).then(
      ({ stdout }) => stdout.trim(),
      () => '',
    );
    if (reply === 'PONG') return;
    if (Date.now() > deadline)
      throw new Error(`redis-server on port ${port} did not answer PING in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * A `redis-server` on a free port without persistence: a restart comes back empty (what a Redis that lost its
 * data looks like to the apps).
 *
 * @example
 * ```ts
 * const redis = await EphemeralRedis.start();
 * await redis.restart(); // empty again
 * await redis.stop();
 * ```
 */
export class EphemeralRedis {
  readonly port: number;
  #server: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one on a free port. */
  static async start(): Promise<EphemeralRedis> {
    const redis = new EphemeralRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Kills the server (SIGKILL) if it runs, and starts it again, empty. */
  async restart(): Promise<void> {
    await this.stop('SIGKILL');
    this.#server = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitForRedisPing(this.port, 10_000);
  }

  /** Stops the server with `signal` and resolves once it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    server.kill(signal);
    await exited;
  }
}
