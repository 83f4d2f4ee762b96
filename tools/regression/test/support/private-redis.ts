/**
 * A private `redis-server` for fault tests (never the shared stack's): its own port and data directory, AOF with
 * `appendfsync everysec` (the persistence the speed layer's production Redis uses), killable with SIGKILL and
 * restartable on the same directory and port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForRedisPing } from '@oxbow/testing-tools';
import type { CleanupList } from './cleanup-list.ts';

export { freePort };

/**
 * A private redis-server on a free port and a new temporary data directory `oxbow-<dirLabel>-…`, started; the
 * test's `cleanups` (run in reverse order) kill it, then remove the directory.
 */
export async function startPrivateRedis(dirLabel: string, cleanups: CleanupList): Promise<PrivateRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), `oxbow-${dirLabel}-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = new PrivateRedis(await freePort(), dataDir);
  cleanups.push(() => server.kill());
  await server.start();
  return server;
}

/** One private redis-server. */
export class PrivateRedis {
  readonly port: number;
  readonly dir: string;
  private process: ChildProcess | undefined;

  constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (loading the AOF of `dir` if there is one) and resolves once it answers PING. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', 'yes', '--appendfsync', 'everysec');
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForRedisPing(this.port);
  }

  /** The AOF file commands are appended to now (Redis 7's multi-part AOF: the manifest's `type i` file). */
  incrementalAof(): string | undefined {
    const manifest = join(this.dir, 'appendonlydir', 'appendonly.aof.manifest');
    if (!existsSync(manifest)) return undefined;
    const line = readFileSync(manifest, 'utf8')
      .split('\n')
      .find((l) => / type i\b/.test(l));
    const name = line?.match(/^file (\S+) /)?.[1];
    return name === undefined ? undefined : join(this.dir, 'appendonlydir', name);
  }

  /** The size of {@link incrementalAof} now (0 when there is none). */
  aofBytes(): number {
    const file = this.incrementalAof();
    return file === undefined || !existsSync(file) ? 0 : statSync(file).size;
  }

  /**
   * Cuts the incremental AOF back to `bytes` (the server must be down): what a power loss does to writes not yet
   * fsynced. Redis loads a log cut inside a command or a MULTI block up to the last complete one
   * (`aof-load-truncated yes`, the default).
   */
  truncateAof(bytes: number): void {
    const file = this.incrementalAof();
    if (file === undefined) throw new Error('no incremental AOF to truncate');
    truncateSync(file, bytes);
  }

  /** SIGKILL: no shutdown, no final fsync; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
}
