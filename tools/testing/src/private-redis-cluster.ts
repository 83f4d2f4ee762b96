/**
 * A private three-node Redis Cluster for integration tests (never the shared stack's): `redis-server` nodes on
 * free ports in a temporary directory, joined with `redis-cli --cluster create`, masters only. Needs the Debian
 * `redis-server` and `redis-cli` binaries on PATH.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';
import { waitForRedisPing } from './private-redis.ts';

const run = promisify(execFile);

/** A running private cluster. */
export interface PrivateRedisCluster {
  /** The seed URL (the first node). */
  readonly url: string;
  /** Every node's port. */
  readonly ports: readonly number[];
  /** Kills the nodes and removes their directory. */
  stop(): Promise<void>;
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`private Redis Cluster: ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Starts `nodes` (default 3) cluster-enabled `redis-server`s, creates the cluster over them (slots split evenly,
 * no replicas) and resolves once every node reports `cluster_state:ok`.
 *
 * @example
 * ```ts
 * const cluster = await startPrivateRedisCluster();
 * afterAll(() => cluster.stop());
 * process.env.OXBOW_REDIS_URL = cluster.url;
 * ```
 */
export async function startPrivateRedisCluster(nodes = 3): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null
          ? undefined
          : new Promise((resolve) => child.once('exit', resolve)),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let n = 0; n < nodes; n++) ports.push(await freePort());
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', ''];
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--appendonly', 'no');
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports) await waitForRedisPing(port);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    for (const port of ports) {
      await waitFor(`node ${port} reporting cluster_state:ok`, async () =>
        (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}
