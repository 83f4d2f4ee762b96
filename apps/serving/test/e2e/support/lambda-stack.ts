/**
 * The whole Lambda architecture on private resources for one end-to-end run of a project: a unique Kafka topic
 * per project topic (3 partitions, LogAppendTime) and a dead-letter topic on the local stack, a temporary
 * `file://` lake, a unique Redis prefix (optionally on a private `redis-server` that may be restarted empty, or on a
 * Redis Cluster with the cluster key layout), the
 * archiver in this process, the serving API (`oxbow serve`), the speed app (`oxbow speed`, so it can be
 * SIGKILLed) and batch runs (`oxbow batch run`, or a child killed mid-write) as child processes. Every app gets the
 * project only through the `project` setting (`OXBOW_PROJECT`), and the Kafka topics through
 * `OXBOW_ARCHIVER_TOPICS` / `OXBOW_SPEED_TOPICS` (`<kafka topic>:<project topic>`). The apps can be stopped and
 * started again on another project file (a deployment changing its views).
 *
 * The apps that compute or compare view fingerprints (serving, speed, batch) run as Node runs them in
 * production, not in the test runner: a fingerprint hashes the source text of the view's functions, and vitest's
 * module transform rewrites it (a call of an imported function `f(x)` becomes `(0, __vi_import_0__.f)(x)`), so
 * an app inside the test process would disagree with the others about a view whose functions call an import.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { runArchiver } from '@oxbow/archiver';
import type { BatchRunSummary } from '@oxbow/batch';
import { loadConfig, type OxbowConfig } from '@oxbow/config';
import {
  createRedisClient,
  type RedisClient,
  readTopicOffsets,
  scanKeys,
  unlinkKeys,
} from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { freePort } from '@oxbow/testing-tools';
import { loadProject } from '@oxbow/views';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import type { ProducedRecord } from './e2e-projects.ts';

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

/** A view as `GET /v1/views` lists it (the fields the test reads). */
export interface ViewListing {
  readonly name: string;
  readonly fingerprint: string;
  readonly status: 'ready' | 'rebuilding';
  readonly rebuilding?: string;
  readonly rankBy: string[];
  readonly merge: {
    readonly batchRunId: string | null;
    readonly batchWatermarkEpoch: number | null;
    readonly realtimeEpochs: number[];
  };
  /** The speed layer's last reconciliation with a batch version (absent until one ran). */
  readonly reconciliation?: {
    readonly checkedAt: string;
    readonly runId: string;
    readonly outcome: 'checked' | 'skipped';
    readonly reason?: string;
    readonly epochs: number;
    readonly cells: number;
    readonly driftCells: number;
  };
}

/** Options of {@link LambdaStack.start}. */
export interface LambdaStackOptions {
  /** Short label in topic names and the Redis prefix. */
  readonly label: string;
  /** The project file the apps run (`OXBOW_PROJECT`). */
  readonly project: string;
  /** Epoch length (ms); small, so epochs seal within seconds. */
  readonly epochMs: number;
  /** Use this Redis instead of the stack's. */
  readonly redisUrl?: string;
  /** `redisUrl` is a seed node of a Redis Cluster: the apps run with `OXBOW_REDIS_CLUSTER=yes`. */
  readonly redisCluster?: boolean;
}

/** Every process and resource of one end-to-end run. */
export class LambdaStack {
  /** Project topic → the Kafka topic of this run. */
  readonly topics: ReadonlyMap<string, string>;
  readonly deadLetters: string;
  readonly prefix: string;
  readonly root: string;
  /** A client of the run's Redis (a cluster client on a cluster). */
  readonly redis: RedisClient;
  readonly logs: string[] = [];
  readonly #layout: RedisLayout;
  #config: OxbowConfig;
  #env: Record<string, string>;
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private archiverStop = new AbortController();
  private archiver: Promise<unknown> = Promise.resolve();
  private speed: ChildProcess | undefined;
  private serving: ChildProcess | undefined;
  private servingPort = 0;
  private readonly children = new Set<ChildProcess>();
  private readonly starts = new Map<string, number>();

  private constructor(
    names: { topics: Map<string, string>; deadLetters: string; prefix: string; root: string },
    config: OxbowConfig,
    env: Record<string, string>,
  ) {
    this.topics = names.topics;
    this.deadLetters = names.deadLetters;
    this.prefix = names.prefix;
    this.root = names.root;
    this.#config = config;
    this.#env = env;
    const cluster = config.redisCluster === 'yes';
    this.redis = createRedisClient({
      url: config.redisUrl,
      cluster,
      redisOptions: { maxRetriesPerRequest: 3 },
    });
    this.#layout = new RedisLayout(names.prefix, { cluster });
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
    const project = await loadProject(options.project);
    const topics = new Map(
      [...project.topics.keys()].map((topic) => [
        topic,
        `e2e-${options.label}-${topic.replaceAll('_', '-')}-${id}`,
      ]),
    );
    const bindings = [...topics].map(([topic, kafkaTopic]) => `${kafkaTopic}:${topic}`).join(',');
    const names = {
      topics,
      deadLetters: `e2e-${options.label}-dlq-${id}`,
      prefix: `oxbow-e2e-${options.label}-${id}:`,
      root,
    };
    const env: Record<string, string> = {
      OXBOW_PROJECT: options.project,
      OXBOW_KAFKA_BROKERS: BROKERS,
      OXBOW_REDIS_URL: options.redisUrl ?? STACK_REDIS_URL,
      OXBOW_REDIS_PREFIX: names.prefix,
      OXBOW_REDIS_CLUSTER: options.redisCluster === true ? 'yes' : 'no',
      OXBOW_LAKE: `${pathToFileURL(join(root, 'lake')).href}/`,
      OXBOW_STATE_DIR: join(root, 'state'),
      OXBOW_SERVING_CACHE_DIR: join(root, 'serving-cache'),
      OXBOW_EPOCH_MS: String(options.epochMs),
      OXBOW_MANIFEST_POLL_MS: '200',
      OXBOW_API_RATE_LIMIT: '100000000',
      OXBOW_ARCHIVER_TOPICS: bindings,
      OXBOW_ARCHIVER_GROUP_ID: `${names.prefix}archiver`,
      OXBOW_ARCHIVER_ROLL_MS: '1000',
      OXBOW_SPEED_TOPICS: bindings,
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
      topics: [...topics.values(), names.deadLetters].map((topic) => ({
        topic,
        numPartitions: topic === names.deadLetters ? 1 : 3,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    });
    await stack.producer.connect();
    stack.servingPort = await freePort();
    await stack.startApps();
    return stack;
  }

  /** The configuration of the current project (the in-process archiver's). */
  get config(): OxbowConfig {
    return this.#config;
  }

  /** The `OXBOW_*` environment of the child processes (the current project's). */
  get env(): Readonly<Record<string, string>> {
    return this.#env;
  }

  /** The Kafka topic of a project topic. */
  kafkaTopic(topic: string): string {
    const kafkaTopic = this.topics.get(topic);
    if (kafkaTopic === undefined) throw new Error(`the project has no topic ${topic}`);
    return kafkaTopic;
  }

  /**
   * Starts the archiver, the serving API (on its previous port after a restart) and the speed app, on the
   * project of `projectFile` when given (the `project` setting), else on the current one.
   */
  async startApps(projectFile?: string): Promise<void> {
    if (projectFile !== undefined) {
      this.#env = { ...this.#env, OXBOW_PROJECT: projectFile };
      this.#config = (await loadConfig({ env: this.#env, noFile: true, cwd: this.root })).config;
    }
    this.archiverStop = new AbortController();
    this.archiver = runArchiver(this.#config, this.archiverStop.signal, {
      log: (event) => {
        if (event.event === 'archiver.started' || event.level !== 'info')
          this.logs.push(`archiver: ${JSON.stringify(event)}`);
      },
    }).catch((error: unknown) => this.logs.push(`archiver failed: ${String(error)}`));
    await this.startServing();
    this.startSpeed();
  }

  /** Spawns `oxbow <args>` with this run's environment, its output kept in {@link LambdaStack.logs}. */
  private spawnCli(name: string, args: readonly string[]): ChildProcess {
    const index = this.starts.get(name) ?? 0;
    this.starts.set(name, index + 1);
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...this.#env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line.trim() !== '') this.logs.push(`${name}#${index}: ${line}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Starts `oxbow serve` on this run's port and waits until it answers `/healthz`. */
  private async startServing(): Promise<void> {
    const child = this.spawnCli('serve', ['serve', '--port', String(this.servingPort)]);
    this.serving = child;
    await this.waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`oxbow serve exited (${child.exitCode ?? child.signalCode})`);
        const response = await fetch(`${this.url}/healthz`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      60_000,
      'oxbow serve to listen',
    );
  }

  /** Stops the apps as an operator would: the speed app with SIGTERM (it exits 0), the serving API, the archiver. */
  async stopApps(): Promise<void> {
    const speed = this.speed;
    this.speed = undefined;
    if (speed !== undefined && speed.exitCode === null && speed.signalCode === null) {
      const exited = once(speed, 'exit');
      speed.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      if (code !== 0)
        throw new Error(`oxbow speed exited ${code} on SIGTERM\n${this.logs.slice(-20).join('\n')}`);
    }
    const serving = this.serving;
    this.serving = undefined;
    if (serving !== undefined && serving.exitCode === null && serving.signalCode === null) {
      const exited = once(serving, 'exit');
      serving.kill('SIGTERM');
      await exited;
    }
    this.archiverStop.abort();
    await this.archiver;
  }

  /** The serving API's base URL (the same across restarts). */
  get url(): string {
    return `http://127.0.0.1:${this.servingPort}`;
  }

  /** Starts `oxbow speed` as a child process with this run's environment. */
  startSpeed(): void {
    this.speed = this.spawnCli('speed', ['speed']);
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
    let records = 0;
    for (const kafkaTopic of this.topics.values()) records += Number(status[`records:${kafkaTopic}`] ?? 0);
    return records;
  }

  /**
   * Waits until the speed app now running reports itself (`speed:status`: its pid, `running`) with the view set
   * the serving API runs (`viewFingerprints` as `GET /v1/views` lists them): it has started its generation for
   * the current project.
   */
  async speedRuns(timeoutMs = 60_000): Promise<void> {
    const expected = Object.fromEntries(
      (await this.viewListing()).map((view) => [view.name, view.fingerprint]),
    );
    let status: Record<string, string> = {};
    await this.waitFor(
      async () => {
        status = await this.redis
          .hgetall(`${this.prefix}speed:status`)
          .catch(() => ({}) as Record<string, string>);
        if (this.speed === undefined || status.pid !== String(this.speed.pid) || status.state !== 'running')
          return undefined;
        const held = JSON.parse(status.viewFingerprints ?? '{}') as Record<string, string>;
        return isDeepStrictEqual(held, expected) ? true : undefined;
      },
      timeoutMs,
      `the speed app to run the views of ${this.#env.OXBOW_PROJECT}`,
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}\nspeed:status ${JSON.stringify(status)}, pid ${this.speed?.pid}`,
      );
    });
  }

  /** Produces records of a project topic as JSON to its Kafka topic, with their message keys. */
  async produce(topic: string, records: readonly ProducedRecord[]): Promise<void> {
    const kafkaTopic = this.kafkaTopic(topic);
    for (let i = 0; i < records.length; i += 2000) {
      await this.producer.send({
        topic: kafkaTopic,
        acks: -1,
        messages: records
          .slice(i, i + 2000)
          .map(({ key, record }) => ({ key, value: JSON.stringify(record) })),
      });
    }
  }

  /** The high watermarks of every Kafka topic of the project, by topic and partition. */
  async allEndOffsets(): Promise<Record<string, Record<string, string>>> {
    const ends: Record<string, Record<string, string>> = {};
    for (const kafkaTopic of this.topics.values()) ends[kafkaTopic] = await this.endOffsets(kafkaTopic);
    return ends;
  }

  /** The high watermarks of a topic, by partition. */
  async endOffsets(topic: string): Promise<Record<string, string>> {
    const offsets: Record<string, string> = {};
    for (const { partition, high } of await this.admin.fetchTopicOffsets(topic))
      offsets[String(partition)] = high;
    return offsets;
  }

  /** Waits until the speed app's committed offsets (in Redis) reached the end of every topic. */
  async speedCaughtUp(timeoutMs = 120_000): Promise<void> {
    const ends = await this.allEndOffsets();
    await waitFor(
      async () => {
        for (const [topic, end] of Object.entries(ends)) {
          const committed = await readTopicOffsets(this.redis, this.#layout, topic).catch(() => ({}));
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
   * Runs `oxbow batch run --json` to the end; returns its summary (stdout), its progress events on stderr kept in
   * the logs (but the per-stage progress lines).
   */
  private async runBatchCli(args: readonly string[]): Promise<BatchRunSummary> {
    const index = this.starts.get('batch') ?? 0;
    this.starts.set('batch', index + 1);
    const child = spawn(process.execPath, [CLI, 'batch', 'run', '--json', ...args], {
      env: { ...process.env, ...this.#env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line.trim() !== '' && !line.includes('"event":"progress"'))
          this.logs.push(`batch#${index}: ${line}`);
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    this.children.delete(child);
    const json = stdout.split('\n').find((line) => line.startsWith('{'));
    if (json === undefined)
      throw new Error(`oxbow batch run exited ${code} without a summary\n${this.logs.slice(-20).join('\n')}`);
    return JSON.parse(json) as BatchRunSummary;
  }

  /**
   * Runs batches (`oxbow batch run`) until one publishes (up to `untilEpoch` when given; with `coversEverything`,
   * until its manifest's end offsets are the topics' current end offsets: every record is in the batch views).
   */
  async batchRun(
    until: { coversEverything?: boolean; untilEpoch?: number } = {},
    timeoutMs = 120_000,
  ): Promise<BatchRunSummary> {
    const wanted = until.coversEverything ? await this.allEndOffsets() : undefined;
    return this.waitFor(
      async () => {
        const summary = await this.runBatchCli(
          until.untilEpoch === undefined ? [] : ['--until-epoch', String(until.untilEpoch)],
        );
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
      env: { ...process.env, ...this.#env, OXBOW_BATCH_LOCK_TTL_MS: String(lockTtlMs) },
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

  /**
   * Waits until `GET /v1/views` lists, for every view (or those named), the speed layer's reconciliation with the
   * batch run `runId`, and returns them by view.
   */
  async reconciliationsOf(
    runId: string,
    names?: readonly string[],
    timeoutMs = 60_000,
  ): Promise<Map<string, NonNullable<ViewListing['reconciliation']>>> {
    return this.waitFor(
      async () => {
        const views = (await this.viewListing()).filter(
          (view) => names === undefined || names.includes(view.name),
        );
        if (views.some((view) => view.reconciliation?.runId !== runId)) return undefined;
        return new Map(
          views.map((view) => [view.name, view.reconciliation as NonNullable<ViewListing['reconciliation']>]),
        );
      },
      timeoutMs,
      `the speed layer's reconciliation with batch run ${runId} in GET /v1/views`,
    );
  }

  /** `GET /v1/views`: every view's status and merge state. */
  async viewListing(): Promise<ViewListing[]> {
    return (await this.get<{ views: ViewListing[] }>('/v1/views')).views;
  }

  /**
   * Waits until every view (or those named) is `ready` in `GET /v1/views`: after the speed layer's replay (a
   * Redis loss, a changed view set) and a batch run of the definitions the server runs.
   */
  async viewsReady(names?: readonly string[], timeoutMs = 60_000): Promise<ViewListing[]> {
    let last: ViewListing[] = [];
    return waitFor(
      async () => {
        last = await this.viewListing();
        const wanted = names === undefined ? last : last.filter((view) => names.includes(view.name));
        return wanted.every((view) => view.status === 'ready') ? last : undefined;
      },
      timeoutMs,
      `every view to be ready`,
    ).catch((error: unknown) => {
      const states = last.map((view) => `${view.name}: ${view.status} ${view.rebuilding ?? ''}`).join('\n');
      throw new Error(`${(error as Error).message}\n${states}\n${this.logs.slice(-30).join('\n')}`);
    });
  }

  /** Stops everything this run started and deletes its lake, topics and Redis keys. */
  async stop(): Promise<void> {
    for (const child of this.children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.archiverStop.abort();
    await this.archiver;
    await this.producer.disconnect().catch(() => undefined);
    await this.admin
      .deleteTopics({ topics: [...this.topics.values(), this.deadLetters] })
      .catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    await scanKeys(this.redis, `${this.prefix}*`, async (keys) => {
      await unlinkKeys(this.redis, keys);
    }).catch(() => undefined);
    this.redis.disconnect();
    rmSync(this.root, { recursive: true, force: true });
  }
}
