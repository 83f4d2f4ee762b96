/**
 * The plumbing of the streaming benchmark: its child processes (producer, bare consumer, speed layer) with their
 * JSON output lines, CPU and memory sampled from /proc while they run, topics, and what the speed layer's cells
 * cost in Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { cpuSecondsOfProcess, rssBytesOfProcess } from './proc.ts';
import type { RespClient } from './resp.ts';

export const BENCH_BROKERS = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');

/** A child Node process of the benchmark and the JSON lines it printed. */
export interface BenchChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON line printed so far. */
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the first line (printed from now on or already) for which `match` is true. */
  waitFor(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** The last lines of its stderr, for errors. */
  stderrTail(): string;
}

/** Starts `node [...nodeArgs] <script> …args` (a file of this folder) with `env` added to the environment. */
export function startChild(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): BenchChild {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs, path, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const listeners = new Set<(line: Record<string, unknown>) => void>();
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const text = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (text.startsWith('{')) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const listener of listeners) listener(line);
      }
      newline = pending.indexOf('\n');
    }
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString('utf8'));
    if (stderr.length > 200) stderr.splice(0, 100);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stderrTail = () => stderr.join('').split('\n').slice(-30).join('\n');
  return {
    child,
    pid: child.pid ?? -1,
    lines,
    exited,
    stderrTail,
    waitFor(match, timeoutMs, what) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${stderrTail()}`));
        }, timeoutMs);
        const listener = (line: Record<string, unknown>) => {
          if (!match(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        void exited.then((code) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`${script} exited (${code}) before ${what}\n${stderrTail()}`));
        });
      });
    },
  };
}

/** Runs a child to its end and returns its last JSON line. */
export async function runChild(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const run = startChild(script, args, env);
  const code = await run.exited;
  const last = run.lines.at(-1);
  if (code !== 0 || last === undefined)
    throw new Error(`${script} ${args.join(' ')} failed (${code})\n${run.stderrTail()}`);
  return last;
}

/** CPU and resident memory of a process, sampled until {@link ProcessSampler.stop}. */
export class ProcessSampler {
  private readonly pid: number;
  private readonly timer: NodeJS.Timeout;
  private readonly cpuAtStart: number;
  maxRssBytes = 0;
  lastRssBytes = 0;

  constructor(pid: number, intervalMs = 200) {
    this.pid = pid;
    this.cpuAtStart = cpuSecondsOfProcess(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      this.lastRssBytes = rssBytesOfProcess(this.pid);
      this.maxRssBytes = Math.max(this.maxRssBytes, this.lastRssBytes);
    } catch {
      // The process ended.
    }
  }

  /** CPU seconds (user + system) the process used since the sampler started. */
  cpuSeconds(): number {
    return cpuSecondsOfProcess(this.pid) - this.cpuAtStart;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Creates LogAppendTime topics of 3 partitions. */
export async function createTopics(topics: readonly string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'oxbow-bench-admin',
    brokers: BENCH_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics (best effort). */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'oxbow-bench-admin',
    brokers: BENCH_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
  await admin.disconnect();
}

/** Every key under `pattern` (SCAN). */
async function scanAll(redis: RespClient, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 5000)) as [
      string,
      string[],
    ];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** What the speed layer's data costs in Redis. */
export interface RedisFootprint {
  /** Keys under the prefix. */
  readonly keys: number;
  /** Increments hash fields: one per (view, epoch, partition, key, bucket) cell. */
  readonly cells: number;
  /** `MEMORY USAGE` summed over every key under the prefix (bytes). */
  readonly bytes: number;
  /** The same over the increments hashes only. */
  readonly incrementBytes: number;
}

const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/** Sums `MEMORY USAGE` over the keys of `prefix` and counts the increments cells. */
export async function redisFootprint(redis: RespClient, prefix: string): Promise<RedisFootprint> {
  const keys = await scanAll(redis, `${escapeGlob(prefix)}*`);
  const increments = `${prefix}rt:`;
  let bytes = 0;
  let incrementBytes = 0;
  let cells = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const commands: string[][] = [];
    for (const key of chunk) {
      commands.push(['MEMORY', 'USAGE', key, 'SAMPLES', '0']);
      if (key.startsWith(increments)) commands.push(['HLEN', key]);
    }
    const replies = await redis.pipeline(commands);
    let r = 0;
    for (const key of chunk) {
      const used = Number(replies[r++] ?? 0);
      bytes += used;
      if (key.startsWith(increments)) {
        incrementBytes += used;
        cells += Number(replies[r++] ?? 0);
      }
    }
  }
  return { keys: keys.length, cells, bytes, incrementBytes };
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(redis: RespClient, prefix: string): Promise<void> {
  const keys = await scanAll(redis, `${escapeGlob(prefix)}*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.call('UNLINK', ...keys.slice(i, i + 1000));
}
