/**
 * Private stack services for fault tests that kill them (never the shared stack's): `oxbow stack up` in a
 * private state directory with one service's ports set to free ones. The shared stack's other services answer on
 * their usual ports, so `stack up` leaves them alone and starts only that service there — a Kafka broker (one KRaft
 * node) or an S3Proxy; SIGKILL hits exactly that JVM (its PID file is in the private state directory), `stack up`
 * again restarts it on the same data directory, and `stack down` there stops only it.
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

/** One private stack service, run by `oxbow stack up` in its own state directory. */
export class PrivateStackService {
  readonly service: string;
  readonly stateDir: string;
  readonly env: Record<string, string>;

  protected constructor(service: string, stateDir: string, env: Record<string, string>) {
    this.service = service;
    this.stateDir = stateDir;
    this.env = env;
  }

  /** `oxbow stack up` in the private state directory: (re)starts the service on its data directory. */
  async up(): Promise<void> {
    const up = await oxbow(['stack', 'up'], this.env);
    if (up.code !== 0) {
      throw new Error(`oxbow stack up (private ${this.service}) failed (exit ${up.code}): ${up.output}`);
    }
  }

  /** The service's PID, from the PID file `stack up` wrote. */
  pid(): number {
    const pidFile = join(this.stateDir, this.service, `${this.service}.pid`);
    return (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid;
  }

  /** SIGKILL to the service's process; resolves once it is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }

  /** `oxbow stack down` in the private state directory (stops only this service), then removes the directory. */
  async stop(): Promise<void> {
    const down = await oxbow(['stack', 'down'], this.env);
    rmSync(this.stateDir, { recursive: true, force: true });
    if (down.code !== 0) throw new Error(`oxbow stack down (private ${this.service}) failed: ${down.output}`);
  }
}

/** A private Kafka broker. */
export class PrivateKafka extends PrivateStackService {
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
    const kafka = new PrivateKafka('kafka', stateDir, env);
    await kafka.up();
    return kafka;
  }
}

/** A private S3Proxy (bucket `lake`, the stack's credentials), its objects in its private state directory. */
export class PrivateS3Proxy extends PrivateStackService {
  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.env.OXBOW_S3_PORT}`;
  }

  /** Starts an S3Proxy on a free port in a fresh private state directory. */
  static async start(): Promise<PrivateS3Proxy> {
    const stateDir = mkdtempSync(join(tmpdir(), 'oxbow-private-s3-'));
    const env = { OXBOW_STATE_DIR: stateDir, OXBOW_S3_PORT: String(await freePort()) };
    const s3 = new PrivateS3Proxy('s3proxy', stateDir, env);
    await s3.up();
    return s3;
  }
}
