/**
 * A real HDFS for the archiver's tests through the CLI: `oxbow stack up --with hdfs` in a private state directory
 * on free ports. The running Kafka/Redis/S3 are healthy and left alone, so the private state dir records only the
 * HDFS process, and `oxbow stack down` there stops exactly that process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@oxbow/testing-tools';

const NODE = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url));

/** A running stack HDFS. */
export interface StackHdfs {
  /** `hdfs://127.0.0.1:<port>`. */
  readonly url: string;
  stop(): Promise<void>;
}

function oxbow(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(existsSync(NODE) ? NODE : process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Starts HDFS with `oxbow stack up --with hdfs` (fetching the jars the first time). */
export async function startStackHdfs(): Promise<StackHdfs> {
  const stateDir = mkdtempSync(join(tmpdir(), 'oxbow-archiver-hdfs-'));
  const env = {
    OXBOW_STATE_DIR: stateDir,
    OXBOW_HDFS_PORT: String(await freePort()),
    OXBOW_HDFS_RPC_PORT: String(await freePort()),
  };
  const up = await oxbow(['stack', 'up', '--with', 'hdfs'], env);
  const stop = async () => {
    const down = await oxbow(['stack', 'down'], env);
    rmSync(stateDir, { recursive: true, force: true });
    if (down.code !== 0) throw new Error(`oxbow stack down failed: ${down.output}`);
  };
  if (up.code !== 0) {
    await stop().catch(() => {});
    throw new Error(`oxbow stack up --with hdfs failed (exit ${up.code}): ${up.output}`);
  }
  return { url: `hdfs://127.0.0.1:${env.OXBOW_HDFS_PORT}`, stop };
}
