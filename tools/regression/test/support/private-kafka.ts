/**
 * A private Kafka broker for fault tests that kill it (never the shared stack's): `oxbow stack up` in a private
 * state directory with the Kafka ports set to free ones. The shared stack's Redis, S3Proxy and MQTT answer on
 * their usual ports, so `stack up` leaves them alone and starts only the broker (one KRaft node) there; SIGKILL
 * hits exactly that JVM (its PID file is in the private state directory), `stack up` again restarts it on the
 * same data directory, and `stack down` there stops only it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './private-redis.ts';

const NODE = fileURLToPath(new URL('../../../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../../../apps/cli/src/main.ts', import.meta.url));

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One private broker. */
export class PrivateKafka {
  readonly stateDir: string;
  readonly env: Record<string, string>;

  private constructor(stateDir: string, env: Record<string, string>) {
    this.stateDir = stateDir;
    this.env = env;
  }

  /** `host:port` of the broker. */
  get brokers(): string {
    return `127.0.0.1:${this.env.OXBOW_KAFKA_PORT}`;
  }

  /** Starts a broker on free ports in a fresh private state directory. */
  static async start(): Promise<PrivateKafka> {
    const stateDir = mkdtempSync(join(tmpdir(), 'oxbow-private-kafka-'));
    const env = {
      OXBOW_STATE_DIR: stateDir,
      OXBOW_KAFKA_PORT: String(await freePort()),
      OXBOW_KAFKA_CONTROLLER_PORT: String(await freePort()),
    };
    const kafka = new PrivateKafka(stateDir, env);
    await kafka.up();
    return kafka;
  }

  /** `oxbow stack up` in the private state directory: (re)starts the broker on its data directory. */
  async up(): Promise<void> {
    const up = await oxbow(['stack', 'up'], this.env);
    if (up.code !== 0)
      throw new Error(`oxbow stack up (private Kafka) failed (exit ${up.code}): ${up.output}`);
  }

  /** The broker's PID, from the PID file `stack up` wrote. */
  pid(): number {
    const record = JSON.parse(readFileSync(join(this.stateDir, 'kafka', 'kafka.pid'), 'utf8')) as {
      pid: number;
    };
    return record.pid;
  }

  /** SIGKILL to the broker's JVM; resolves once it is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }

  /** `oxbow stack down` in the private state directory (stops only the broker), then removes the directory. */
  async stop(): Promise<void> {
    const down = await oxbow(['stack', 'down'], this.env);
    rmSync(this.stateDir, { recursive: true, force: true });
    if (down.code !== 0) throw new Error(`oxbow stack down (private Kafka) failed: ${down.output}`);
  }
}
