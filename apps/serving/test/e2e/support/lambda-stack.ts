/**
 * The whole Lambda architecture on private resources for one end-to-end run: a unique Kafka topic pair (3
 * partitions, LogAppendTime) and dead-letter topic on the local stack, a temporary `file://` lake, a unique Redis
 * prefix (optionally on a private `redis-server` that may be restarted empty), the archiver and the serving API in
 * this process, the speed app as a child process (`oxbow speed`, so it can be SIGKILLed) and batch runs in this
 * process or in a child killed mid-write.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runArchiver } from '@oxbow/archiver';
import { type BatchRunSummary, runBatch } from '@oxbow/batch';
import { loadConfig, type OxbowConfig } from '@oxbow/config';
import { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { type RunningServer, startServing } from '../../../src/index.ts';

const CLI = fileURLToPath(new URL('../../../../cli/src/main.ts', import.meta.url));
const BATCH_CRASH_CHILD = fileURLToPath(new URL('./batch-crash-child.ts', import.meta.url));
const BROKERS = process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092';
const STACK_REDIS_URL = process.env.OXBOW_REDIS_URL ?? 'redis://127.0.0.1:26379';

/** Polls `probe` every 100 ms until it returns something other than undefined; `what` names it in the timeout. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A `redis-server` of this run only, without persistence: a restart comes back empty. */
export class PrivateRedis {
  readonly port: number;
  private server: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Kills the server (SIGKILL) if it runs, and starts it again, empty. */
  async restart(): Promise<void> {
    await this.stop('SIGKILL');
    this.server = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(
      async () => {
        const probe = new Redis({
          port: this.port,
          host: '127.0.0.1',
          lazyConnect: true,
          retryStrategy: () => null,
        });
        probe.on('error', () => {});
        const up = await probe.connect().then(
          () => probe.ping().then(() => true),
          () => undefined,
        );
        probe.disconnect();
        return up;
      },
      10_000,
      'the private redis-server',
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    server.kill(signal);
    await exited;
  }
}

/** Options of {@link LambdaStack.start}. */
export interface LambdaStackOptions {
  /** Short label in topic names and the Redis prefix. */
  readonly label: string;
  /** Epoch length (ms); small, so epochs seal within seconds. */
  readonly epochMs: number;
  /** Use this Redis instead of the stack's. */
  readonly redisUrl?: string;
}

/** Every process and resource of one end-to-end run. */
export class LambdaStack {
  readonly http: string;
  readonly sensors: string;
  readonly deadLetters: string;
  readonly prefix: string;
  readonly root: string;
  readonly config: OxbowConfig;
  readonly env: Record<string, string>;
  readonly redis: Redis;
  readonly logs: string[] = [];
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly archiverStop = new AbortController();
  private archiver: Promise<unknown> = Promise.resolve();
  private speed: ChildProcess | undefined;
  private serving: RunningServer | undefined;
  private readonly children = new Set<ChildProcess>();
  private speedStarts = 0;

  private constructor(
    names: { http: string; sensors: string; deadLetters: string; prefix: string; root: string },
    config: OxbowConfig,
    env: Record<string, string>,
  ) {
    this.http = names.http;
    this.sensors = names.sensors;
    this.deadLetters = names.deadLetters;
    this.prefix = names.prefix;
    this.root = names.root;
    this.config = config;
    this.env = env;
    this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
    this.redis.on('error', () => {});
    this.kafka = new Kafka({
      clientId: `oxbow-e2e-${names.prefix}`,
      brokers: BROKERS.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 200 },
    });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
  }

  /** Creates the topics and the lake, starts the archiver, the speed app (child) and the serving API. */
  static async start(options: LambdaStackOptions): Promise<LambdaStack> {
    const id = randomUUID().slice(0, 8);
    const root = mkdtempSync(join(tmpdir(), `oxbow-e2e-${options.label}-`));
    const names = {
      http: `e2e-${options.label}-http-${id}`,
      sensors: `e2e-${options.label}-sensors-${id}`,
      deadLetters: `e2e-${options.label}-dlq-${id}`,
      prefix: `oxbow-e2e-${options.label}-${id}:`,
      root,
    };
    const env: Record<string, string> = {
      OXBOW_KAFKA_BROKERS: BROKERS,
      OXBOW_REDIS_URL: options.redisUrl ?? STACK_REDIS_URL,
      OXBOW_REDIS_PREFIX: names.prefix,
      OXBOW_LAKE: `${pathToFileURL(join(root, 'lake')).href}/`,
      OXBOW_STATE_DIR: join(root, 'state'),
      OXBOW_SERVING_CACHE_DIR: join(root, 'serving-cache'),
      OXBOW_EPOCH_MS: String(options.epochMs),
      OXBOW_MANIFEST_POLL_MS: '200',
      OXBOW_API_RATE_LIMIT: '100000000',
      OXBOW_ARCHIVER_TOPICS: `${names.http}:http_logs,${names.sensors}:sensor_readings`,
      OXBOW_ARCHIVER_GROUP_ID: `${names.prefix}archiver`,
      OXBOW_ARCHIVER_ROLL_MS: '1000',
      OXBOW_SPEED_TOPICS: `${names.http}:http_logs,${names.sensors}:sensor_readings`,
      OXBOW_SPEED_DEAD_LETTER_TOPIC: names.deadLetters,
      OXBOW_SPEED_GROUP_ID: `${names.prefix}speed`,
      OXBOW_SPEED_BATCH_MS: '500',
      OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
      OXBOW_SPEED_HEALTH_PORT: '0',
      OXBOW_SPEED_LIVE_WINDOW_MS: '5000',
      OXBOW_SPEED_LIVE_SLIDE_MS: '1000',
      OXBOW_BATCH_PARALLELISM: '1',
      OXBOW_BATCH_LOCK_TTL_MS: '60000',
    };
    const { config } = await loadConfig({ env, noFile: true, cwd: root });
    const stack = new LambdaStack(names, config, env);
    await stack.admin.connect();
    await stack.admin.createTopics({
      waitForLeaders: true,
      topics: [names.http, names.sensors, names.deadLetters].map((topic) => ({
        topic,
        numPartitions: topic === names.deadLetters ? 1 : 3,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    });
    await stack.producer.connect();
    stack.archiver = runArchiver(config, stack.archiverStop.signal, {
      log: (event) => {
        if (event.event === 'archiver.started' || event.level !== 'info')
          stack.logs.push(`archiver: ${JSON.stringify(event)}`);
      },
    }).catch((error: unknown) => stack.logs.push(`archiver failed: ${String(error)}`));
    stack.startSpeed();
    stack.serving = await startServing(config, { port: 0, host: '127.0.0.1' });
    return stack;
  }

  /** The serving API's base URL. */
  get url(): string {
    if (this.serving === undefined) throw new Error('the serving API is not running');
    return this.serving.url;
  }

  /** Starts `oxbow speed` as a child process with this run's environment. */
  startSpeed(): void {
    const index = this.speedStarts++;
    const child = spawn(process.execPath, [CLI, 'speed'], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line.trim() !== '') this.logs.push(`speed#${index}: ${line}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    this.speed = child;
  }

  /** {@link waitFor}, with the tail of the apps' logs in the timeout's message. */
  async waitFor<T>(
    probe: () => T | undefined | Promise<T | undefined>,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return waitFor(probe, timeoutMs, what).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${this.logs.slice(-40).join('\n')}`);
    });
  }

  /** SIGKILLs the speed app and starts a new one. */
  async killSpeed(): Promise<void> {
    const child = this.speed;
    if (child === undefined) throw new Error('the speed app is not running');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    this.startSpeed();
  }

  /** Records committed by the speed app (its counters, written with the increments). */
  async speedRecords(): Promise<number> {
    const status = await this.redis.hgetall(`${this.prefix}speed:status`);
    return Number(status[`records:${this.http}`] ?? 0) + Number(status[`records:${this.sensors}`] ?? 0);
  }

  /** Produces JSON records to a topic, keyed by their index (spread over the partitions). */
  async produce(topic: string, records: readonly object[], firstIndex: number): Promise<void> {
    for (let i = 0; i < records.length; i += 2000) {
      await this.producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + 2000).map((record, j) => ({
          key: String(firstIndex + i + j),
          value: JSON.stringify(record),
        })),
      });
    }
  }

  /** The high watermarks of a topic, by partition. */
  async endOffsets(topic: string): Promise<Record<string, string>> {
    const offsets: Record<string, string> = {};
    for (const { partition, high } of await this.admin.fetchTopicOffsets(topic))
      offsets[String(partition)] = high;
    return offsets;
  }

  /** Waits until the speed app's committed offsets (in Redis) reached the end of both topics. */
  async speedCaughtUp(timeoutMs = 120_000): Promise<void> {
    const ends = {
      [this.http]: await this.endOffsets(this.http),
      [this.sensors]: await this.endOffsets(this.sensors),
    };
    await waitFor(
      async () => {
        for (const [topic, end] of Object.entries(ends)) {
          const committed = await this.redis.hgetall(`${this.prefix}offsets:${topic}`).catch(() => ({}));
          for (const [partition, high] of Object.entries(end)) {
            if (high !== '0' && (committed as Record<string, string>)[partition] !== high) return undefined;
          }
        }
        return true;
      },
      timeoutMs,
      'the speed app to reach the end offsets',
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${this.logs.slice(-40).join('\n')}`);
    });
  }

  /**
   * Runs batches in this process until one publishes (up to `untilEpoch` when given; with `coversEverything`,
   * until its manifest's end offsets are the topics' current end offsets: every record is in the batch views).
   */
  async batchRun(
    until: { coversEverything?: boolean; untilEpoch?: number } = {},
    timeoutMs = 120_000,
  ): Promise<BatchRunSummary> {
    const wanted = until.coversEverything
      ? { [this.http]: await this.endOffsets(this.http), [this.sensors]: await this.endOffsets(this.sensors) }
      : undefined;
    return this.waitFor(
      async () => {
        const summary = await runBatch(this.config, {
          lockSettleMs: 20,
          ...(until.untilEpoch === undefined ? {} : { untilEpoch: until.untilEpoch }),
        });
        if (summary.status !== 'published' || summary.manifest === undefined) {
          await sleep(400);
          return undefined;
        }
        if (wanted !== undefined) {
          for (const [topic, ends] of Object.entries(wanted)) {
            for (const [partition, high] of Object.entries(ends)) {
              if (summary.manifest.endOffsets[topic]?.[partition] !== high) {
                await sleep(400);
                return undefined;
              }
            }
          }
        }
        return summary;
      },
      timeoutMs,
      until.coversEverything ? 'a batch run covering every record' : 'a batch run that publishes',
    );
  }

  /**
   * Runs a batch in a child process and SIGKILLs it after it wrote its data files, before its manifest; the
   * child's lock lives `lockTtlMs` (then the next run takes over). Returns the dead run's id.
   */
  async batchRunKilledMidWrite(lockTtlMs: number): Promise<string> {
    return this.waitFor(
      () => this.#batchRunKilledMidWrite(lockTtlMs),
      60_000,
      'a batch child with sealed epochs to read',
    );
  }

  async #batchRunKilledMidWrite(lockTtlMs: number): Promise<string | undefined> {
    const child = spawn(process.execPath, [BATCH_CRASH_CHILD], {
      env: { ...process.env, ...this.env, OXBOW_BATCH_LOCK_TTL_MS: String(lockTtlMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.stderr?.on('data', (chunk: Buffer) => this.logs.push(`batch-child: ${chunk.toString().trim()}`));
    const exited = once(child, 'exit');
    let runId = '';
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      const match = /^DATA-WRITTEN (\S+)$/.exec(line);
      if (match?.[1]) {
        runId = match[1];
        break;
      }
      if (line.startsWith('NOT-PUBLISHING')) break;
    }
    child.kill('SIGKILL');
    await exited;
    this.children.delete(child);
    if (runId === '') {
      await sleep(500);
      return undefined;
    }
    return runId;
  }

  /** GETs a path of the serving API and returns its JSON (throws on a non-200 answer). */
  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`);
    if (response.status !== 200)
      throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Waits until the serving API follows the manifest of `runId` (for every view). */
  async servingFollows(runId: string): Promise<void> {
    await waitFor(
      async () => {
        const { views } = await this.get<{ views: Array<{ merge: { batchRunId: string | null } }> }>(
          '/v1/views',
        );
        return views.every((view) => view.merge.batchRunId === runId) ? true : undefined;
      },
      30_000,
      `the serving API to follow batch run ${runId}`,
    );
  }

  /** Stops everything this run started and deletes its lake, topics and Redis keys. */
  async stop(): Promise<void> {
    for (const child of this.children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.archiverStop.abort();
    await this.archiver;
    await this.serving?.close();
    await this.producer.disconnect().catch(() => undefined);
    await this.admin
      .deleteTopics({ topics: [this.http, this.sensors, this.deadLetters] })
      .catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    let cursor = '0';
    do {
      const [next, keys] = await this.redis
        .scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000)
        .catch(() => ['0', []] as [string, string[]]);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys).catch(() => undefined);
    } while (cursor !== '0');
    this.redis.disconnect();
    rmSync(this.root, { recursive: true, force: true });
  }
}
