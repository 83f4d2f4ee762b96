/**
 * The speed service: a supervisor around a StreamingContext that runs the project — every consumed topic's
 * events parsed by its schema, its views folded into increments committed to Redis exactly once, its live views
 * built and presented into Redis — watches the batch manifest to expire epochs, and rebuilds everything when the
 * generation marker disappears or the project's view set differs from the generation's (a restart of the
 * context from the new starting offsets). `startSpeed(config)` is what `oxbow speed` runs.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { OxbowConfig } from '@oxbow/config';
import {
  createRedisClient,
  type FileSystem,
  failpoint,
  fileSystemCheckpointStores,
  type KafkaRecord,
  offsetRangesOf,
  openFileSystem,
  type RedisClient,
  readPartitionOffset,
  readTopicOffsets,
  registerPartitions,
  scanKeys,
  topicPartitions,
  unlinkKeys,
} from '@oxbow/connectors';
import { type BatchManifest, RedisLayout } from '@oxbow/contracts';
import { DataflowContext, DataflowError, type DStream, type RDD, StreamingContext } from '@oxbow/dataflow';
import { type AnyEvent, loadProject, resolveProjectPath } from '@oxbow/views';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { CellStore, type FoldView } from './cell-store.ts';
import { announceCommit } from './commit-announcement.ts';
import { type CommitRange, type CommitRequest, commitBatch } from './commit-script.ts';
import { expireEpochs } from './epoch-expiry.ts';
import { SpeedError } from './errors.ts';
import { foldPartition, foldViews } from './fused-fold.ts';
import { abandonGeneration, ensureGeneration, type PartitionOffsets, readGeneration } from './generation.ts';
import type { AnyView } from './increments.ts';
import { type CadencedCheckpointStore, cadencedCheckpointStores, PresentCadence } from './live-cadence.ts';
import { ManifestWatcher } from './manifest-watcher.ts';
import { wireProjectModels } from './model-stream.ts';
import { compareDecimalOffsets, firstAtOrAfter } from './offset-order.ts';
import { ParsePool } from './parse-pool.ts';
import {
  type AdoptionSnapshot,
  describeReconciliation,
  offsetsReached,
  reconcileView,
  writeReconciliations,
} from './reconciliation.ts';
import type { SinkAnchoredKafkaStream } from './sink-anchored-stream.ts';
import { SpeedMetrics } from './speed-metrics.ts';
import { resolveSpeedSettings, type SpeedOptions, type SpeedSettings } from './speed-options.ts';
import {
  initialStatus,
  isHealthy,
  recentDeadLettersOf,
  type SpeedStatus,
  serveHealth,
  statusFields,
} from './speed-status.ts';
import { createTopicStream, type TopicStream } from './topic-stream.ts';

/** A running speed service. */
export interface SpeedHandle {
  /** A copy of the current status. */
  status(): SpeedStatus;
  /** The health endpoint's URL, when one is served. */
  readonly healthUrl: string | undefined;
  /** The Redis key layout in use (prefix included). */
  readonly layout: RedisLayout;
  /** The Prometheus metrics (served at `GET /metrics` of the health endpoint). */
  readonly metrics: SpeedMetrics;
  /** Resolves after the next batch committed (or was found empty) following this call. */
  nextBatch(): Promise<void>;
  /** Finishes the batch in progress (committing it), stops consuming, and releases every connection. */
  stop(): Promise<void>;
  /** Resolves once the service has stopped. */
  readonly stopped: Promise<void>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * True for a failure to resume from the checkpoint (a graph that no longer matches it, a batch interval that
 * changed): an engine error while restoring (`getOrCreate`) or starting a restored context, before any input
 * started. Errors of the project's own code are `SpeedError`s by then, Kafka's are the connectors'.
 */
function isCheckpointMismatch(error: unknown, context: StreamingContext | undefined): boolean {
  return (
    error instanceof DataflowError && (context === undefined || context.restoredCheckpointTime !== undefined)
  );
}

/** Per Kafka topic, per partition: an offset, as bigint for comparisons. */
type OffsetTargets = Map<string, Map<string, bigint>>;

function targetsOf(offsets: PartitionOffsets): OffsetTargets {
  const targets: OffsetTargets = new Map();
  for (const [topic, partitions] of Object.entries(offsets)) {
    const map = new Map<string, bigint>();
    for (const [partition, offset] of Object.entries(partitions)) {
      if (/^\d+$/.test(offset)) map.set(partition, BigInt(offset));
    }
    if (map.size > 0) targets.set(topic, map);
  }
  return targets;
}

class SpeedService implements SpeedHandle {
  readonly layout: RedisLayout;
  readonly metrics: SpeedMetrics;
  healthUrl: string | undefined;
  readonly stopped: Promise<void>;
  private readonly settings: SpeedSettings;
  private readonly redis: RedisClient;
  private readonly lake: FileSystem;
  private readonly watcher: ManifestWatcher;
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private readonly state: SpeedStatus = initialStatus();
  private readonly viewsByName = new Map<string, AnyView>();
  /** The maintained views as the fused fold runs them (slots in settings order). */
  private readonly plans: readonly FoldView[];
  /** The cached cell states of the running context (a new store for every context started). */
  private cells: CellStore;
  /** The checkpoint store of the running context, which persists on a cadence. */
  private checkpointStore: CadencedCheckpointStore | undefined;
  /** The threads that parse records, when there are any. */
  private parsePool: ParsePool | undefined;
  /** The consumed topics of the running context (for the consumer lag metrics). */
  private topics: readonly TopicStream[] = [];
  /** Partitions positioned from a base (manifest end offset or earliest) in this generation: `topic:partition`. */
  private readonly basePositioned = new Set<string>();
  /**
   * Partitions started from the checkpoint's offsets because Redis is ahead of them (a crash between the Redis
   * commit and the checkpoint): the offset Redis holds, below which records feed the live views only.
   */
  private readonly replayThrough = new Map<string, bigint>();
  /** The offsets the current generation replays up to before its answers are complete (not yet reached). */
  private rebuildTargets: OffsetTargets = new Map();
  private generation = '';
  private rebuildPending = false;
  /** The manifest just adopted, with what Redis held then, until its reconciliation ran. */
  private pendingReconciliation: AdoptionSnapshot | undefined;
  /** True once the service owns its status hash (started, and not superseded by another instance). */
  private started = false;
  private stopping = false;
  private wake = deferred<void>();
  private batchWaiters: Array<() => void> = [];
  private loop: Promise<void> | undefined;
  private health: Server | undefined;
  private readonly resolveStopped: () => void;

  constructor(settings: SpeedSettings) {
    this.settings = settings;
    this.layout = new RedisLayout(settings.redisPrefix, { cluster: settings.redisCluster });
    this.redis = createRedisClient({
      url: settings.redisUrl,
      cluster: settings.redisCluster,
      redisOptions: { lazyConnect: true, maxRetriesPerRequest: 3 },
    });
    this.redis.on('error', () => {});
    this.lake = openFileSystem(settings.lake, settings.storage);
    this.kafka = new Kafka({
      clientId: 'oxbow-speed-admin',
      brokers: [...settings.brokers],
      logLevel: logLevel.NOTHING,
    });
    for (const view of settings.views) this.viewsByName.set(view.name, view);
    this.plans = foldViews(settings.views);
    this.cells = new CellStore(this.layout, settings.memory.cellBytes);
    this.state.viewFingerprints = { ...settings.viewFingerprints };
    this.metrics = new SpeedMetrics(settings.batchMs);
    this.metrics.watch({
      status: () => this.state,
      lagPerPartition: () =>
        Object.assign({}, ...this.topics.map((topic) => topic.stream.metrics().lagPerPartition)),
    });
    this.watcher = new ManifestWatcher(this.lake, {
      pollMs: settings.manifestPollMs,
      onPoll: (manifest) => this.onManifest(manifest),
      onError: (error) => this.log(`manifest watch: ${describeError(error)}`),
      log: (line) => this.log(`speed: ${line}`),
      beforeAdopt: (next, previous) => this.noteAdoption(next, previous),
    });
    const stopped = deferred<void>();
    this.stopped = stopped.promise;
    this.resolveStopped = () => stopped.resolve();
  }

  status(): SpeedStatus {
    return { ...this.state, viewFingerprints: { ...this.state.viewFingerprints } };
  }

  nextBatch(): Promise<void> {
    return new Promise((resolve) => this.batchWaiters.push(resolve));
  }

  /**
   * Checks the topics, connects, initializes the generation, starts the first context; throws (having released
   * everything) if any of that fails.
   */
  async start(): Promise<void> {
    try {
      const parsing = this.startParsePool();
      await this.checkTopics();
      await this.redis.connect();
      await this.redis.ping();
      await this.deleteRemovedLiveViews();
      if (this.settings.healthPort > 0) {
        const { server, url } = await serveHealth(
          this.settings.healthPort,
          this.settings.healthHost,
          () => ({ status: this.status(), healthy: isHealthy(this.state, this.settings.batchMs) }),
          this.metrics.registry,
        );
        this.health = server;
        this.healthUrl = url;
      }
      await this.watcher.refresh();
      await this.onManifest(this.watcher.current);
      this.parsePool = await parsing;
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.started = true;
    this.watcher.start();
    const firstStart = deferred<unknown>();
    this.loop = this.supervise(firstStart);
    const failure = await firstStart.promise;
    if (failure !== undefined) {
      await this.stop();
      throw failure;
    }
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.state.state = 'stopping';
      this.wake.resolve();
      await this.loop;
      await this.watcher.stop();
      this.state.state = 'stopped';
      this.state.updatedAt = Date.now();
      if (this.started) {
        await this.redis.hset(this.layout.status(), statusFields(this.state)).catch(() => undefined);
      }
      await new Promise<void>((resolve) => (this.health ? this.health.close(() => resolve()) : resolve()));
      await this.admin?.disconnect().catch(() => undefined);
      this.redis.disconnect();
      await this.lake.close();
      await this.parsePool?.close();
      for (const waiter of this.batchWaiters.splice(0)) waiter();
      this.resolveStopped();
    }
    await this.stopped;
  }

  // ------------------------------------------------------------------ start checks

  /**
   * The parse threads (each loads the project module), or none: when `parseThreads` is 0, when the project was
   * given inline (no module a thread could load), or when a thread cannot load it (the main thread parses then).
   */
  private async startParsePool(): Promise<ParsePool | undefined> {
    const { parseThreads, project } = this.settings;
    if (parseThreads === 0 || !project.source.startsWith('file:')) return undefined;
    try {
      return await ParsePool.start(fileURLToPath(project.source), parseThreads);
    } catch (error) {
      this.log(`speed: parsing on the main thread: ${describeError(error)}`);
      return undefined;
    }
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Every consumed Kafka topic must exist: `OXBOW_SPEED_TOPIC_NOT_FOUND` naming the missing ones otherwise. */
  private async checkTopics(): Promise<void> {
    const existing = new Set(await (await this.adminClient()).listTopics());
    const missing = this.settings.bindings
      .map((binding) => binding.kafkaTopic)
      .filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    const many = missing.length > 1;
    throw new SpeedError(
      'OXBOW_SPEED_TOPIC_NOT_FOUND',
      `Kafka topic${many ? 's' : ''} ${missing.join(', ')} ${many ? 'do' : 'does'} not exist on ${this.settings.brokers.join(',')}: create ${many ? 'them' : 'it'}, or read the project's topics from other Kafka topics with OXBOW_SPEED_TOPICS=TOPIC:PROJECT_TOPIC`,
    );
  }

  /** Deletes the Redis values of live views the project no longer defines. */
  private async deleteRemovedLiveViews(): Promise<void> {
    const defined = new Set(this.settings.project.liveViews.map((live) => this.layout.live(live.name)));
    await scanKeys(this.redis, this.layout.livePattern(), async (keys) => {
      const removed = keys.filter((key) => !defined.has(key));
      if (removed.length > 0) {
        await unlinkKeys(this.redis, removed);
        this.log(`speed: deleted the values of removed live views (${removed.join(', ')})`);
      }
    });
  }

  // ------------------------------------------------------------------ supervision

  private async supervise(firstStart: Deferred<unknown>): Promise<void> {
    let first = true;
    while (!this.stopping) {
      this.wake = deferred<void>();
      let ssc: StreamingContext | undefined;
      let superseded = false;
      try {
        await this.watcher.refresh();
        const outcome = await ensureGeneration(this.redis, this.layout, {
          views: {
            viewsFingerprint: this.settings.viewsFingerprint,
            viewFingerprints: this.settings.viewFingerprints,
          },
          // Only a starting instance replaces a generation of another view set; a running one whose generation
          // was replaced by an instance of another project must not adopt it.
          replaceOtherViews: first,
          rebuildTargets: (previous) => this.rebuildTargetsOf(previous),
          // The old generation's increments go next: until the new one has replayed, answers are incomplete.
          // Said before the deletion (the full status follows once the generation is installed), or a reader of
          // the previous status would merge the batch views with half-deleted increments.
          beforeDelete: async () => {
            await this.redis.hset(this.layout.status(), 'rebuilding', 'true');
          },
        }).catch((error: unknown) => {
          superseded = SpeedError.is(error, 'OXBOW_SPEED_STATE');
          throw error;
        });
        if (outcome.created || (this.generation !== '' && outcome.generation !== this.generation)) {
          const from = this.watcher.current
            ? `the end offsets of epoch ${this.watcher.current.watermarkEpoch}`
            : 'the earliest offsets';
          const why =
            outcome.reason === 'views-changed'
              ? `the view set changed to ${this.settings.viewsFingerprint}`
              : outcome.created
                ? 'Redis held no generation'
                : 'another instance started it';
          this.log(`generation ${outcome.generation} (${why}): (re)building the increments from ${from}`);
          if (this.generation !== '' || outcome.reason === 'views-changed') this.state.rebuilds++;
        }
        this.generation = outcome.generation;
        this.state.generation = outcome.generation;
        this.rebuildTargets = targetsOf(outcome.rebuildTargets);
        await this.refreshRebuilding();
        this.state.updatedAt = Date.now();
        await this.redis.hset(this.layout.status(), statusFields(this.state));
        this.basePositioned.clear();
        this.replayThrough.clear();
        this.rebuildPending = false;
        ssc = await this.startContext();
        this.log(
          ssc.restoredCheckpointTime === undefined
            ? `speed: started (generation ${this.generation}, no checkpoint)`
            : `speed: started (generation ${this.generation}, state restored from the checkpoint of batch ${ssc.restoredCheckpointTime})`,
        );
        this.state.state = 'running';
        if (first) firstStart.resolve(undefined);
        first = false;
        const ended = await Promise.race([
          ssc.awaitTermination().then(
            () => undefined,
            (error: unknown) => ({ error }),
          ),
          this.wake.promise.then(() => undefined),
        ]);
        if (!this.stopping && this.rebuildPending) this.state.state = 'rebuilding';
        await ssc.stop({ stopGracefully: true });
        await this.flushCheckpoint();
        if (ended !== undefined) throw ended.error;
      } catch (error) {
        await ssc?.stop().catch(() => undefined);
        await this.flushCheckpoint();
        this.state.lastError = describeError(error);
        this.log(`speed: ${this.state.lastError}`);
        if (first) {
          firstStart.resolve(error);
          return;
        }
        if (superseded) {
          // Another instance took Redis over with another project: stop rather than fight over it, and leave
          // the status hash (now that instance's) alone.
          this.started = false;
          void this.stop();
          return;
        }
        if (!this.stopping) {
          this.state.state = 'restarting';
          await Promise.race([sleep(this.settings.restartDelayMs), this.wake.promise]);
        }
      }
    }
  }

  /**
   * A started StreamingContext: restored from the newest checkpoint when it fits the graph; when it does not
   * (the project's live views or topics changed, or the batch interval), the live views start empty.
   */
  private async startContext(): Promise<StreamingContext> {
    const checkpointStore = fileSystemCheckpointStores(this.settings.storage);
    let restored: StreamingContext | undefined;
    try {
      restored = await StreamingContext.getOrCreate(this.settings.checkpointDir, () => this.buildContext(), {
        checkpointStore,
        onDamagedCheckpoint: (name, reason) =>
          this.log(`speed: checkpoint ${name} is damaged (${reason}); resuming from the one before it`),
      });
      await restored.start();
      return restored;
    } catch (error) {
      await restored?.stop().catch(() => undefined);
      if (!isCheckpointMismatch(error, restored)) throw error;
      this.log(`speed: the checkpoint does not fit (${describeError(error)}); the live views start empty`);
    }
    const fresh = this.buildContext();
    fresh.checkpoint(this.settings.checkpointDir);
    try {
      await fresh.start();
    } catch (error) {
      await fresh.stop().catch(() => undefined);
      throw error;
    }
    return fresh;
  }

  /** Persists the newest checkpoint the cadence held back (it reflects a completed batch). */
  private async flushCheckpoint(): Promise<void> {
    await this.checkpointStore?.flush().catch((error: unknown) => {
      this.log(`speed: could not write the last checkpoint: ${describeError(error)}`);
    });
  }

  private requestRebuild(reason: string): void {
    if (this.rebuildPending) return;
    this.rebuildPending = true;
    this.log(`speed: ${reason}; restarting from new starting offsets`);
    this.wake.resolve();
  }

  // ------------------------------------------------------------------ rebuilding

  /**
   * The offsets a new generation replays up to, per consumed partition: what the previous generation had
   * reached (or, without one, the high watermark), at most the high watermark, and only when beyond where the
   * replay starts (the manifest's end offset, else the earliest offset).
   */
  private async rebuildTargetsOf(previous: PartitionOffsets | undefined): Promise<PartitionOffsets> {
    const admin = await this.adminClient();
    const targets: PartitionOffsets = {};
    for (const { kafkaTopic } of this.settings.bindings) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(kafkaTopic)) {
        const p = String(partition);
        const endOffset = this.watcher.current?.endOffsets[kafkaTopic]?.[p];
        const base =
          endOffset === undefined || BigInt(endOffset) < BigInt(low) ? BigInt(low) : BigInt(endOffset);
        const reached = previous?.[kafkaTopic]?.[p];
        const target =
          reached === undefined || BigInt(reached) > BigInt(high) ? BigInt(high) : BigInt(reached);
        if (target > base) {
          targets[kafkaTopic] ??= {};
          targets[kafkaTopic][p] = target.toString();
        }
      }
    }
    return targets;
  }

  /** Drops the rebuild targets Redis's offsets have reached; `rebuilding` is true while any remain. */
  private async refreshRebuilding(): Promise<void> {
    for (const [topic, partitions] of this.rebuildTargets) {
      const stored = await readTopicOffsets(this.redis, this.layout, topic);
      for (const [partition, target] of partitions) {
        const offset = stored[partition];
        if (offset !== undefined && BigInt(offset) >= target) partitions.delete(partition);
      }
      if (partitions.size === 0) this.rebuildTargets.delete(topic);
    }
    const rebuilding = this.rebuildTargets.size > 0;
    if (this.state.rebuilding && !rebuilding) {
      this.log(
        `speed: generation ${this.generation} reached the offsets of the previous one: answers are complete`,
      );
    }
    this.state.rebuilding = rebuilding;
  }

  // ------------------------------------------------------------------ the stream graph

  private buildContext(): StreamingContext {
    const ctx = new DataflowContext({ parallelism: 1 });
    this.cells = new CellStore(this.layout, this.settings.memory.cellBytes);
    this.checkpointStore = undefined;
    const ssc = new StreamingContext(ctx, this.settings.batchMs, {
      checkpointStore: cadencedCheckpointStores(
        this.metrics.timedCheckpointStores(fileSystemCheckpointStores(this.settings.storage)),
        this.settings.checkpointCadence,
        (store) => {
          this.checkpointStore = store;
        },
      ),
    });
    const topics: TopicStream[] = [];
    for (const binding of this.settings.bindings) {
      const views = this.settings.views.filter((view) => view.topic === binding.topic);
      const plans = this.plans.filter((plan) => views.some((view) => view.name === plan.name));
      const liveViews = this.settings.liveViews.filter((live) => live.topic === binding.topic);
      const topic: TopicStream = createTopicStream(
        ssc,
        {
          binding,
          brokers: this.settings.brokers,
          groupId: this.settings.groupId,
          deadLetterTopic: this.settings.deadLetterTopic,
          maxRatePerPartition: this.settings.maxRatePerPartition,
          maxBufferedPerPartition: this.settings.memory.bufferedRecordsPerPartition,
          consumer: this.settings.consumer,
          startingOffsets: (t, p) => this.startingOffset(t, p, topic.stream),
          ...(this.parsePool === undefined ? {} : { parsePool: this.parsePool }),
          log: (entry) => this.log(`speed: ${entry.message}`),
        },
        views,
        plans,
        liveViews,
      );
      topics.push(topic);
      topic.stream.foreachRDD((rdd, time) => this.processBatch(topic, rdd, time));
    }
    // Live views and models after every topic's stream, so the checkpoint's stream order only depends on the
    // topics. A project topic's models are trained once, on its first Kafka topic's events.
    const modelled = new Set<string>();
    for (const topic of topics) {
      const models = modelled.has(topic.projectTopic)
        ? []
        : this.settings.project.models.filter((model) => model.topic === topic.projectTopic);
      modelled.add(topic.projectTopic);
      if (topic.liveViews.length === 0 && models.length === 0) continue;
      const events = this.liveEvents(topic);
      if (topic.liveViews.length > 0) this.wireLiveViews(topic, events);
      wireProjectModels(events, models, {
        redis: this.redis,
        layout: this.layout,
        lake: this.lake,
        manifest: () => this.watcher.current,
        log: (message) => this.log(message),
      });
    }
    this.topics = topics;
    ssc.addStreamingListener({ onBatchCompleted: (info) => this.metrics.batchCompleted(info) });
    return ssc;
  }

  /**
   * The events of a batch the live views have not seen: none of a refused batch, none below what they absorbed
   * (decided per partition range; only a range that straddles that offset compares its records' offsets).
   */
  private liveEvents(topic: TopicStream): DStream<AnyEvent> {
    const stream = topic.stream;
    return stream.transform((rdd, time): RDD<AnyEvent> => {
      if (topic.refusedTimes.has(time)) return rdd.filter(() => false).map((record) => record.value);
      const ranges = offsetRangesOf(rdd) ?? [];
      /** Per partition fed only in part: the first offset the live views have not absorbed ('' for none). */
      const partial = new Map<number, string>();
      for (const range of ranges) {
        const absorbed = stream.absorbedOffset(range.topic, range.partition);
        if (absorbed === undefined || absorbed <= BigInt(range.fromOffset)) continue;
        partial.set(range.partition, absorbed >= BigInt(range.untilOffset) ? '' : absorbed.toString());
      }
      stream.markAbsorbed(ranges);
      if (partial.size === 0) return rdd.map((record) => record.value);
      return rdd.mapPartitions((records): AnyEvent[] => {
        const events: AnyEvent[] = [];
        for (let next = records.next(); next.done !== true; next = records.next()) {
          const record = next.value;
          const from = partial.get(record.partition);
          if (from === undefined || (from !== '' && compareDecimalOffsets(record.offset, from) >= 0)) {
            events.push(record.value);
          }
        }
        return events;
      });
    });
  }

  /**
   * Builds each live view of the topic on its events and writes `present(rows)` to Redis: every batch while that
   * is cheap, else as often as keeps presenting within a tenth of the time ({@link PresentCadence}). The live
   * views' state is updated every batch either way.
   */
  private wireLiveViews(topic: TopicStream, events: DStream<AnyEvent>): void {
    for (const live of topic.liveViews) {
      let output: DStream<unknown>;
      try {
        output = live.build(events, this.settings.liveSettings);
      } catch (error) {
        throw new SpeedError(
          'OXBOW_SPEED_BAD_OPTIONS',
          `live view ${live.name}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      const cadence = new PresentCadence(Math.max(30_000, 10 * this.settings.batchMs));
      output.foreachRDD(async (rdd, time) => {
        if (!cadence.due()) return;
        const started = Date.now();
        await this.writeLive(live.name, time, live.present(await rdd.collect()));
        cadence.spent(Date.now() - started);
      });
    }
  }

  private async writeLive(view: string, batchTime: number, value: unknown): Promise<void> {
    await this.redis.set(
      this.layout.live(view),
      JSON.stringify({ view, batchTime, updatedAt: Date.now(), value }),
    );
  }

  // ------------------------------------------------------------------ offsets

  /**
   * Where a partition starts: Redis's stored offset (or the live views' offset when they lag it: the records in
   * between are replayed to them only), else the manifest's end offset of E, else the earliest offset. A
   * partition the live views have absorbed nothing of is recorded as absorbed up to where it starts (they start
   * there), so the next checkpoint holds it and a restart after a later crash replays what they then missed.
   */
  private async startingOffset(
    topic: string,
    partition: number,
    stream: SinkAnchoredKafkaStream<unknown>,
  ): Promise<string> {
    const stored = await readPartitionOffset(this.redis, this.layout, topic, partition);
    const key = `${topic}:${partition}`;
    const absorbed = stream.absorbedOffset(topic, partition);
    let start: string;
    if (stored !== null) {
      this.basePositioned.delete(key);
      if (absorbed !== undefined && absorbed < BigInt(stored)) {
        this.replayThrough.set(key, BigInt(stored));
        this.cells.reset(topic, partition, false);
        return absorbed.toString();
      }
      this.replayThrough.delete(key);
      start = stored;
    } else {
      this.replayThrough.delete(key);
      start =
        this.watcher.current?.endOffsets[topic]?.[String(partition)] ??
        (await this.earliestOffset(topic, partition));
      this.basePositioned.add(key);
    }
    // Its cells start over: read from Redis as they are touched, unless Redis holds none (positioned from a base).
    this.cells.reset(topic, partition, stored === null);
    if (absorbed === undefined) {
      stream.markAbsorbed([{ topic, partition, untilOffset: start }]);
      // Persist the next checkpoint, so a crash soon after does not lose where the live views started it.
      this.checkpointStore?.persistNext();
    }
    return start;
  }

  private async earliestOffset(topic: string, partition: number): Promise<string> {
    const offsets = await (await this.adminClient()).fetchTopicOffsets(topic);
    return offsets.find((o) => o.partition === partition)?.low ?? '0';
  }

  // ------------------------------------------------------------------ one batch

  /**
   * One batch of a topic: every record past what Redis holds is folded into the cached cells of every view of the
   * topic (one pass per partition), the changed cells' new states are committed with the next offsets in one
   * atomic script, and the status is updated. A refused commit forgets the batch's partitions' cells (they were
   * changed in place) and hands the batch back to the source.
   */
  private async processBatch(
    topic: TopicStream,
    rdd: RDD<KafkaRecord<AnyEvent>>,
    time: number,
  ): Promise<void> {
    const started = Date.now();
    const stream = topic.stream;
    const metrics = stream.metrics();
    const deadLettered = metrics.deadLettered - topic.deadLetteredSeen;
    topic.deadLetteredSeen = metrics.deadLettered;
    for (const old of topic.refusedTimes) if (old < time - 3_600_000) topic.refusedTimes.delete(old);

    if (this.rebuildPending || (await readGeneration(this.redis, this.layout)) !== this.generation) {
      await this.refuse(topic, time);
      this.requestRebuild(
        'the generation marker is missing or changed (Redis lost its data, or another instance started a generation)',
      );
      return;
    }
    const ranges = offsetRangesOf(rdd) ?? [];
    // The direct stream's RDD has one partition per range, in the same order.
    const partitions = ranges.length === 0 ? [] : await rdd.glom().collect();
    const cells = this.cells;
    const batch = cells.beginBatch();
    const afterEpoch = this.watcher.watermarkEpoch;
    const commitRanges: CommitRange[] = [];
    let count = 0;
    let maxAppendTime = 0;
    ranges.forEach((range, index) => {
      const key = `${range.topic}:${range.partition}`;
      const records = partitions[index] ?? [];
      // A range (or its beginning) below what Redis already holds was committed before a crash: skip it.
      const through = this.replayThrough.get(key);
      let fromOffset = range.fromOffset;
      let first = 0;
      if (through !== undefined) {
        const until = BigInt(range.untilOffset);
        if (until <= through) {
          if (until === through) this.replayThrough.delete(key);
          return;
        }
        if (through > BigInt(range.fromOffset)) {
          fromOffset = through.toString();
          first = firstAtOrAfter(records, fromOffset);
        }
      }
      commitRanges.push({
        topic: range.topic,
        partition: range.partition,
        fromOffset,
        untilOffset: range.untilOffset,
        absentOk: this.basePositioned.has(key),
      });
      const folded = foldPartition(
        cells.partition(range.topic, range.partition),
        topic.plans,
        records,
        first,
        this.settings.epochMs,
        afterEpoch,
        batch,
      );
      count += folded.records;
      if (folded.maxAppendTime > maxAppendTime) maxAppendTime = folded.maxAppendTime;
    });
    if (commitRanges.length > 0) {
      await cells.loadBases(this.redis, batch);
      // Epochs the manifest covered while the batch ran are served by the batch views: not written (expiry may
      // already have deleted them). Every epoch written goes to the epoch set again, so an expiry racing this
      // commit is redone at the next manifest poll.
      const watermark = this.watcher.watermarkEpoch;
      const encoded: number[] = [];
      const hashWrites: Array<CommitRequest['hashWrites'][number]> = [];
      const setAdds = new Map<object, CommitRequest['setAdds'][number]>();
      const zAdds = new Map<string, CommitRequest['zAdds'][number]>();
      for (const cell of batch.changed) {
        const { row } = cell;
        const { group } = row;
        if (group.epoch <= watermark) {
          encoded.push(0);
          continue;
        }
        const value = group.view.aggregator.codec.serialize(cell.state);
        encoded.push(value.byteLength);
        hashWrites.push({
          key: row.redisKey,
          field: String(cell.bucket),
          value,
          partition: group.cells.partition,
        });
        const partition = group.cells.partition;
        if (row.indexPending && !setAdds.has(row)) {
          setAdds.set(row, {
            key: this.layout.keyIndex(group.view.name, group.epoch, partition),
            member: row.key,
            partition,
          });
        }
        const epochs = this.layout.epochs(group.view.name, partition);
        zAdds.set(`${epochs}\u0000${group.epoch}`, {
          key: epochs,
          score: group.epoch,
          member: String(group.epoch),
          partition,
        });
      }
      const statusKey = this.layout.status();
      // Cluster layout: readers find the partitions' tagged keys through the registry, written first.
      await registerPartitions(
        this.redis,
        this.layout,
        topic.kafkaTopic,
        commitRanges.map((range) => range.partition),
      );
      const commitStarted = performance.now();
      const result = await commitBatch(this.redis, this.layout, {
        generation: this.generation,
        ranges: commitRanges,
        hashWrites,
        setAdds: [...setAdds.values()],
        zAdds: [...zAdds.values()],
        counters: [
          { key: statusKey, field: `records:${topic.kafkaTopic}`, by: count },
          { key: statusKey, field: `deadLettered:${topic.kafkaTopic}`, by: deadLettered },
          { key: statusKey, field: 'deadLettered', by: deadLettered },
        ],
      });
      this.metrics.commitTook((performance.now() - commitStarted) / 1000);
      if (result.kind !== 'committed') {
        // The batch's cells were changed in place and none of it was written: forget them.
        for (const range of commitRanges) cells.reset(range.topic, range.partition, false);
        await this.refuse(topic, time);
        if (result.kind === 'generation-changed') {
          if (this.layout.cluster && (await abandonGeneration(this.redis, this.layout, this.generation))) {
            // The marker still named ours, so a partition's fence names an older generation: a zombie of it
            // committed between a rebuild's wipe and this generation's first commit there. Only a new generation
            // (which wipes every key, fences included) clears what it wrote.
            this.requestRebuild(
              `a partition fence names generation ${result.stored ?? '?'} (a zombie of an older generation wrote there); starting a new generation`,
            );
          } else {
            this.requestRebuild('the generation marker changed under a commit');
          }
        } else {
          this.log(
            `speed: batch ${time} of ${result.topic}:${result.partition} refused (stored offset ${result.stored ?? 'absent'}); re-reading from Redis`,
          );
        }
        return;
      }
      cells.committed(batch, encoded);
      // Fault tests: increments and Redis offsets committed, the checkpoint (live views' offsets) not yet.
      if (count > 0) failpoint('after-sink-before-offset');
      // Tell readers that mirror the increments (the serving layer) what this commit changed.
      const announced = { generation: this.generation, ranges: commitRanges, hashWrites };
      await announceCommit(this.redis, this.layout, announced, (line) => this.log(line));
      for (const range of commitRanges) {
        this.basePositioned.delete(`${range.topic}:${range.partition}`);
        this.replayThrough.delete(`${range.topic}:${range.partition}`);
      }
      cells.expire(this.watcher.watermarkEpoch);
      cells.evictIfOverBudget();
      this.state.records += count;
      this.metrics.batchOfTopic(topic.kafkaTopic, count, deadLettered);
      this.state.realtimeThrough = Math.max(this.state.realtimeThrough, maxAppendTime);
    }
    let lagRecords = 0;
    for (const lag of Object.values(stream.metrics().lagPerPartition)) lagRecords += Number(lag);
    const held = cells.stats();
    this.state.cachedCells = held.cells;
    this.state.cachedCellBytes = held.estimatedBytes;
    this.state.batches++;
    this.state.lastBatchTime = time;
    this.state.lastBatchMs = Date.now() - started;
    this.state.lagRecords = lagRecords;
    this.state.lagMs = lagRecords === 0 ? 0 : Math.max(0, Date.now() - this.state.realtimeThrough);
    this.state.updatedAt = Date.now();
    this.state.watermarkEpoch = this.watcher.current?.watermarkEpoch ?? -1;
    this.state.recentDeadLetters = recentDeadLettersOf(
      this.state.recentDeadLetters,
      this.topics.map((each) => each.stream),
    );
    if (this.rebuildTargets.size > 0) await this.refreshRebuilding();
    await this.redis.hset(this.layout.status(), statusFields(this.state));
    // Fault tests: the batch, its offsets and the status are written (the checkpoint follows on its cadence).
    if (count > 0) failpoint('after-offset');
    for (const waiter of this.batchWaiters.splice(0)) waiter();
  }

  private async refuse(topic: TopicStream, time: number): Promise<void> {
    topic.refusedTimes.add(time);
    this.state.refusedBatches++;
    await topic.stream.batchRefused(time);
  }

  // ------------------------------------------------------------------ manifest

  private async onManifest(manifest: BatchManifest | undefined): Promise<void> {
    if (manifest === undefined) return;
    if (manifest.epochMs !== this.settings.epochMs) {
      this.log(
        `speed: the manifest's epochMs ${manifest.epochMs} differs from OXBOW_EPOCH_MS ${this.settings.epochMs}`,
      );
    }
    this.state.watermarkEpoch = manifest.watermarkEpoch;
    this.cells.expire(manifest.watermarkEpoch);
    // Before the increments of the newly covered epochs go: compare them with the new version (or wait while
    // another instance does).
    if (!(await this.reconcile(manifest))) return;
    const expired = await expireEpochs(
      this.redis,
      this.layout,
      [...this.viewsByName.keys()],
      manifest.watermarkEpoch,
      await this.knownPartitions(),
    );
    if (expired.epochs > 0) {
      this.log(
        `speed: expired ${expired.epochs} view epochs ≤ ${manifest.watermarkEpoch} (${expired.keys} keys)`,
      );
    }
  }

  /** Notes, before `next` becomes current, whether Redis's offsets had reached its end offsets. */
  private async noteAdoption(next: BatchManifest, previous: BatchManifest | null | undefined): Promise<void> {
    this.pendingReconciliation = {
      manifest: next,
      previous,
      caughtUp: await offsetsReached(this.redis, this.layout, next),
    };
  }

  /**
   * Reconciles every maintained view with `manifest` if it was just adopted (one instance at a time, under
   * `reconciliationLock`); false while another instance is reconciling (expiry waits for it).
   */
  private async reconcile(manifest: BatchManifest): Promise<boolean> {
    const pending = this.pendingReconciliation;
    if (pending === undefined || pending.manifest.runId !== manifest.runId) {
      return (await this.redis.exists(this.layout.reconciliationLock())) === 0;
    }
    this.pendingReconciliation = undefined;
    const lock = this.layout.reconciliationLock();
    const token = `${process.pid}:${randomUUID()}`;
    if ((await this.redis.set(lock, token, 'PX', RECONCILE_LOCK_MS, 'NX')) !== 'OK') return false;
    try {
      const records = [];
      for (const view of this.viewsByName.values()) {
        const kafkaTopics = this.settings.bindings
          .filter((binding) => binding.topic === view.topic)
          .map((binding) => binding.kafkaTopic);
        const record = await reconcileView({
          redis: this.redis,
          layout: this.layout,
          lake: this.lake,
          view,
          kafkaTopics,
          snapshot: pending,
          partitions: await this.knownPartitions(),
        });
        records.push(record);
        this.metrics.reconciled(record.view, record.outcome, record.cells, record.driftCells);
        this.log(describeReconciliation(record));
      }
      await writeReconciliations(this.redis, this.layout, records);
    } finally {
      if ((await this.redis.get(lock)) === token) await this.redis.del(lock);
    }
    return true;
  }

  /**
   * Cluster layout: the Kafka partitions (of every consumed topic) whose tagged keys may hold increments, from the
   * partitions registries; nothing standalone, where one key per view holds every partition's epochs.
   */
  private async knownPartitions(): Promise<number[]> {
    if (!this.layout.cluster) return [];
    const partitions = new Set<number>();
    for (const binding of this.settings.bindings) {
      for (const partition of await topicPartitions(this.redis, this.layout, binding.kafkaTopic)) {
        partitions.add(partition);
      }
    }
    return [...partitions].sort((a, b) => a - b);
  }

  private log(line: string): void {
    this.settings.log(line);
  }
}

/** How long a reconciliation may hold its lock (a crashed instance's lock expires after this). */
const RECONCILE_LOCK_MS = 120_000;

/**
 * Starts the speed layer on the project of the `project` setting (or `options.project`): resolves once the
 * first StreamingContext is consuming; rejects (having released everything) if it cannot start — among others
 * with `OXBOW_SPEED_TOPIC_NOT_FOUND` when a topic to consume does not exist.
 *
 * @example
 * ```ts
 * const speed = await startSpeed((await loadConfig()).config);
 * process.once('SIGTERM', () => void speed.stop().then(() => process.exit(0)));
 * ```
 */
export async function startSpeed(config: OxbowConfig, options: SpeedOptions = {}): Promise<SpeedHandle> {
  const project = options.project ?? (await loadProject(resolveProjectPath(config.project)));
  const service = new SpeedService(resolveSpeedSettings(config, project, options));
  await service.start();
  return service;
}
