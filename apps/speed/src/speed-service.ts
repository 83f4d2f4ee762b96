/**
 * The speed service: a supervisor around a StreamingContext that runs the views on the Kafka direct streams and
 * commits their increments to Redis exactly once, keeps the live views, watches the batch manifest to expire
 * epochs, and rebuilds everything when the generation marker disappears (a restart of the context from the new
 * starting offsets). `startSpeed(config)` is what `oxbow speed` runs.
 */
import type { Server } from 'node:http';
import type { OxbowConfig } from '@oxbow/config';
import {
  type FileSystem,
  fileSystemCheckpointStores,
  type KafkaRecord,
  type OffsetRange,
  offsetRangesOf,
  openFileSystem,
} from '@oxbow/connectors';
import { type BatchManifest, RedisLayout } from '@oxbow/contracts';
import { DataflowContext, type RDD, StreamingContext } from '@oxbow/dataflow';
import {
  activeSessions,
  type LiveViewName,
  type LiveViewOptions,
  liveRequestsByPath,
  presentActiveSessions,
  presentLiveRequests,
  presentSensorAnomalies,
  sensorAnomalies,
  VIEWS,
  type ViewTopic,
} from '@oxbow/views';
import { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { type CommitRange, commitBatch } from './commit-script.ts';
import { expireEpochs } from './epoch-expiry.ts';
import { ensureGeneration, readGeneration } from './generation.ts';
import { type AnyView, computeIncrements, type Increment } from './increments.ts';
import { ManifestWatcher } from './manifest-watcher.ts';
import { mergeIncrements } from './merge-increments.ts';
import type { SinkAnchoredKafkaStream } from './sink-anchored-stream.ts';
import { resolveSpeedSettings, type SpeedOptions, type SpeedSettings } from './speed-options.ts';
import { initialStatus, isHealthy, type SpeedStatus, serveHealth, statusFields } from './speed-status.ts';
import { createTopicStream, type TopicEvents, type TopicStream } from './topic-stream.ts';

/** A running speed service. */
export interface SpeedHandle {
  /** A copy of the current status. */
  status(): SpeedStatus;
  /** The health endpoint's URL, when one is served. */
  readonly healthUrl: string | undefined;
  /** The Redis key layout in use (prefix included). */
  readonly layout: RedisLayout;
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

class SpeedService implements SpeedHandle {
  readonly layout: RedisLayout;
  healthUrl: string | undefined;
  readonly stopped: Promise<void>;
  private readonly settings: SpeedSettings;
  private readonly redis: Redis;
  private readonly lake: FileSystem;
  private readonly watcher: ManifestWatcher;
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  private readonly state: SpeedStatus = initialStatus();
  private readonly viewsByName = new Map<string, AnyView>();
  /** Partitions positioned from a base (manifest end offset or earliest) in this generation: `topic:partition`. */
  private readonly basePositioned = new Set<string>();
  /**
   * Partitions started from the checkpoint's offsets because Redis is ahead of them (a crash between the Redis
   * commit and the checkpoint): the offset Redis holds, below which records feed the live views only.
   */
  private readonly replayThrough = new Map<string, bigint>();
  private generation = '';
  private rebuildPending = false;
  private stopping = false;
  private wake = deferred<void>();
  private batchWaiters: Array<() => void> = [];
  private loop: Promise<void> | undefined;
  private health: Server | undefined;
  private readonly resolveStopped: () => void;

  constructor(settings: SpeedSettings) {
    this.settings = settings;
    this.layout = new RedisLayout(settings.redisPrefix);
    this.redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.redis.on('error', () => {});
    this.lake = openFileSystem(settings.lake, settings.storage);
    this.kafka = new Kafka({
      clientId: 'oxbow-speed-admin',
      brokers: [...settings.brokers],
      logLevel: logLevel.NOTHING,
    });
    for (const name of settings.views) this.viewsByName.set(name, VIEWS[name] as AnyView);
    this.watcher = new ManifestWatcher(this.lake, {
      pollMs: settings.manifestPollMs,
      onPoll: (manifest) => this.onManifest(manifest),
      onError: (error) => this.log(`manifest watch: ${describeError(error)}`),
    });
    const stopped = deferred<void>();
    this.stopped = stopped.promise;
    this.resolveStopped = () => stopped.resolve();
  }

  status(): SpeedStatus {
    return { ...this.state };
  }

  nextBatch(): Promise<void> {
    return new Promise((resolve) => this.batchWaiters.push(resolve));
  }

  /** Connects, initializes the generation, starts the first context; throws if that first start fails. */
  async start(): Promise<void> {
    await this.redis.connect();
    await this.redis.ping();
    if (this.settings.healthPort > 0) {
      const { server, url } = await serveHealth(this.settings.healthPort, this.settings.healthHost, () => ({
        status: this.status(),
        healthy: isHealthy(this.state, this.settings.batchMs),
      }));
      this.health = server;
      this.healthUrl = url;
    }
    await this.watcher.refresh();
    await this.onManifest(this.watcher.current);
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
      await this.redis.hset(this.layout.status(), statusFields(this.state)).catch(() => undefined);
      await new Promise<void>((resolve) => (this.health ? this.health.close(() => resolve()) : resolve()));
      await this.admin?.disconnect().catch(() => undefined);
      this.redis.disconnect();
      await this.lake.close();
      for (const waiter of this.batchWaiters.splice(0)) waiter();
      this.resolveStopped();
    }
    await this.stopped;
  }

  // ------------------------------------------------------------------ supervision

  private async supervise(firstStart: Deferred<unknown>): Promise<void> {
    let first = true;
    while (!this.stopping) {
      this.wake = deferred<void>();
      let ssc: StreamingContext | undefined;
      try {
        const outcome = await ensureGeneration(this.redis, this.layout);
        if (outcome.created || (this.generation !== '' && outcome.generation !== this.generation)) {
          const from = this.watcher.current
            ? `the end offsets of epoch ${this.watcher.current.watermarkEpoch}`
            : 'the earliest offsets';
          this.log(`generation ${outcome.generation}: (re)building the increments from ${from}`);
          if (this.generation !== '') this.state.rebuilds++;
        }
        this.generation = outcome.generation;
        this.state.generation = outcome.generation;
        this.basePositioned.clear();
        this.replayThrough.clear();
        this.rebuildPending = false;
        await this.watcher.refresh();
        ssc = await StreamingContext.getOrCreate(this.settings.checkpointDir, () => this.buildContext(), {
          checkpointStore: fileSystemCheckpointStores(this.settings.storage),
        });
        await ssc.start();
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
        if (ended !== undefined) throw ended.error;
      } catch (error) {
        await ssc?.stop().catch(() => undefined);
        this.state.lastError = describeError(error);
        this.log(`speed: ${this.state.lastError}`);
        if (first) {
          firstStart.resolve(error);
          return;
        }
        if (!this.stopping) {
          this.state.state = 'restarting';
          await Promise.race([sleep(this.settings.restartDelayMs), this.wake.promise]);
        }
      }
    }
  }

  private requestRebuild(reason: string): void {
    if (this.rebuildPending) return;
    this.rebuildPending = true;
    this.log(`speed: ${reason}; restarting from new starting offsets`);
    this.wake.resolve();
  }

  // ------------------------------------------------------------------ the stream graph

  private buildContext(): StreamingContext {
    const ctx = new DataflowContext({ parallelism: 1 });
    const ssc = new StreamingContext(ctx, this.settings.batchMs, {
      checkpointStore: fileSystemCheckpointStores(this.settings.storage),
    });
    const live = this.settings.liveViews;
    const topics: ViewTopic[] = ['http_logs', 'sensor_readings'];
    const streams = new Map<ViewTopic, TopicStream>();
    for (const eventTopic of topics) {
      const kafkaTopic = this.settings.topics[eventTopic];
      const views = [...this.viewsByName.values()].filter((view) => view.topic === eventTopic);
      if (kafkaTopic === undefined || (views.length === 0 && live === false)) continue;
      const topic: TopicStream = createTopicStream(
        ssc,
        {
          eventTopic,
          kafkaTopic,
          brokers: this.settings.brokers,
          groupId: this.settings.groupId,
          deadLetterTopic: this.settings.deadLetterTopic,
          maxRatePerPartition: this.settings.maxRatePerPartition,
          consumer: this.settings.consumer,
          startingOffsets: (t, p) => this.startingOffset(t, p, topic.stream),
          log: (entry) => this.log(`speed: ${entry.message}`),
        },
        views,
      );
      streams.set(eventTopic, topic);
      topic.stream.foreachRDD((rdd, time) => this.processBatch(topic, rdd as RDD<KafkaRecord<never>>, time));
    }
    if (live !== false) {
      const http = streams.get('http_logs') as TopicStream<'http_logs'> | undefined;
      const sensors = streams.get('sensor_readings') as TopicStream<'sensor_readings'> | undefined;
      if (http) this.wireLiveHttp(http, live);
      if (sensors) this.wireLiveSensors(sensors, live);
    }
    return ssc;
  }

  /** The events of a batch the live views have not seen: none of a refused batch, none below the checkpoint. */
  private liveEvents<T extends ViewTopic>(topic: TopicStream<T>) {
    const stream = topic.stream;
    return stream.transform((rdd, time): RDD<TopicEvents[T]> => {
      if (topic.refusedTimes.has(time)) return rdd.filter(() => false).map((record) => record.value);
      const isNew = stream.newRecordFilter();
      const fresh = isNew === undefined ? rdd : rdd.filter(isNew);
      stream.markAbsorbed(offsetRangesOf(rdd) ?? []);
      return fresh.map((record) => record.value);
    });
  }

  private wireLiveHttp(topic: TopicStream<'http_logs'>, options: LiveViewOptions): void {
    const events = this.liveEvents(topic);
    liveRequestsByPath(events, options).foreachRDD(async (rdd, time) => {
      await this.writeLive('live_requests_5m', time, presentLiveRequests(await rdd.collect()));
    });
    activeSessions(events, options).foreachRDD(async (rdd, time) => {
      await this.writeLive('active_sessions', time, presentActiveSessions(await rdd.collect()));
    });
  }

  private wireLiveSensors(topic: TopicStream<'sensor_readings'>, options: LiveViewOptions): void {
    sensorAnomalies(this.liveEvents(topic), options).foreachRDD(async (rdd, time) => {
      await this.writeLive('sensor_anomalies', time, presentSensorAnomalies(await rdd.collect()));
    });
  }

  private async writeLive(view: LiveViewName, batchTime: number, value: unknown): Promise<void> {
    await this.redis.set(
      this.layout.live(view),
      JSON.stringify({ view, batchTime, updatedAt: Date.now(), value }),
    );
  }

  // ------------------------------------------------------------------ offsets

  /**
   * Where a partition starts: Redis's stored offset (or the live views' offset when they lag it: the records in
   * between are replayed to them only), else the manifest's end offset of E, else the earliest offset.
   */
  private async startingOffset(
    topic: string,
    partition: number,
    stream: SinkAnchoredKafkaStream<unknown>,
  ): Promise<string> {
    const stored = await this.redis.hget(this.layout.offsets(topic), String(partition));
    const key = `${topic}:${partition}`;
    if (stored !== null) {
      this.basePositioned.delete(key);
      const absorbed = stream.absorbedOffset(topic, partition);
      if (absorbed !== undefined && absorbed < BigInt(stored)) {
        this.replayThrough.set(key, BigInt(stored));
        return absorbed.toString();
      }
      this.replayThrough.delete(key);
      return stored;
    }
    this.replayThrough.delete(key);
    const base =
      this.watcher.current?.endOffsets[topic]?.[String(partition)] ??
      (await this.earliestOffset(topic, partition));
    this.basePositioned.add(key);
    return base;
  }

  private async earliestOffset(topic: string, partition: number): Promise<string> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.find((o) => o.partition === partition)?.low ?? '0';
  }

  // ------------------------------------------------------------------ one batch

  private async processBatch<T extends ViewTopic>(
    topic: TopicStream<T>,
    rdd: RDD<KafkaRecord<TopicEvents[T]>>,
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
      this.requestRebuild('the generation marker is missing or changed (Redis lost its data)');
      return;
    }
    // Ranges (or their beginnings) below what Redis already holds were committed before a crash: skip them.
    const replay = new Map<string, bigint>();
    const ranges: OffsetRange[] = [];
    for (const range of offsetRangesOf(rdd) ?? []) {
      const key = `${range.topic}:${range.partition}`;
      const through = this.replayThrough.get(key);
      if (through === undefined) ranges.push(range);
      else if (BigInt(range.untilOffset) <= through) {
        if (BigInt(range.untilOffset) === through) this.replayThrough.delete(key);
      } else {
        replay.set(range.partition.toString(), through);
        ranges.push({ ...range, fromOffset: through.toString() });
      }
    }
    const fresh =
      replay.size === 0 && ranges.length === (offsetRangesOf(rdd) ?? []).length
        ? rdd
        : rdd.filter((record) => {
            if (!ranges.some((r) => r.partition === record.partition)) return false;
            const through = replay.get(record.partition.toString());
            return through === undefined || BigInt(record.offset) >= through;
          });
    if (ranges.length > 0) {
      const [count, maxAppendTime] = (
        await fresh
          .mapPartitions((records): Array<[number, number]> => {
            let n = 0;
            let max = 0;
            for (let next = records.next(); next.done !== true; next = records.next()) {
              n++;
              if (next.value.timestamp > max) max = next.value.timestamp;
            }
            return [[n, max]];
          })
          .collect()
      ).reduce(([n, m], [n2, m2]) => [n + n2, Math.max(m, m2)], [0, 0]);
      const increments: Array<Increment<unknown>> = [];
      const afterEpoch = this.watcher.watermarkEpoch;
      for (const view of topic.views) {
        for (const increment of await computeIncrements(view, fresh, this.settings.epochMs, afterEpoch)) {
          increments.push(increment);
        }
      }
      const writes = await mergeIncrements(this.redis, this.layout, this.viewsByName, increments);
      const commitRanges: CommitRange[] = ranges.map((range) => ({
        topic: range.topic,
        partition: range.partition,
        fromOffset: range.fromOffset,
        untilOffset: range.untilOffset,
        absentOk: this.basePositioned.has(`${range.topic}:${range.partition}`),
      }));
      const statusKey = this.layout.status();
      const result = await commitBatch(this.redis, this.layout, {
        generation: this.generation,
        ranges: commitRanges,
        ...writes,
        counters: [
          { key: statusKey, field: `records:${topic.kafkaTopic}`, by: count },
          { key: statusKey, field: `deadLettered:${topic.kafkaTopic}`, by: deadLettered },
          { key: statusKey, field: 'deadLettered', by: deadLettered },
        ],
      });
      if (result.kind === 'generation-changed') {
        await this.refuse(topic, time);
        this.requestRebuild('the generation marker changed under a commit');
        return;
      }
      if (result.kind === 'offsets-moved') {
        await this.refuse(topic, time);
        this.log(
          `speed: batch ${time} of ${result.topic}:${result.partition} refused (stored offset ${result.stored ?? 'absent'}); re-reading from Redis`,
        );
        return;
      }
      for (const range of ranges) {
        this.basePositioned.delete(`${range.topic}:${range.partition}`);
        this.replayThrough.delete(`${range.topic}:${range.partition}`);
      }
      this.state.records += count;
      this.state.realtimeThrough = Math.max(this.state.realtimeThrough, maxAppendTime);
    }
    let lagRecords = 0;
    for (const lag of Object.values(stream.metrics().lagPerPartition)) lagRecords += Number(lag);
    this.state.batches++;
    this.state.lastBatchTime = time;
    this.state.lastBatchMs = Date.now() - started;
    this.state.lagRecords = lagRecords;
    this.state.lagMs = lagRecords === 0 ? 0 : Math.max(0, Date.now() - this.state.realtimeThrough);
    this.state.updatedAt = Date.now();
    this.state.watermarkEpoch = this.watcher.current?.watermarkEpoch ?? -1;
    await this.redis.hset(this.layout.status(), statusFields(this.state));
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
    const expired = await expireEpochs(
      this.redis,
      this.layout,
      [...this.viewsByName.keys()],
      manifest.watermarkEpoch,
    );
    if (expired.epochs > 0) {
      this.log(
        `speed: expired ${expired.epochs} view epochs ≤ ${manifest.watermarkEpoch} (${expired.keys} keys)`,
      );
    }
  }

  private log(line: string): void {
    this.settings.log(line);
  }
}

/**
 * Starts the speed layer: resolves once the first StreamingContext is consuming; rejects (having released
 * everything) if it cannot start.
 *
 * @example
 * ```ts
 * const speed = await startSpeed((await loadConfig()).config);
 * process.once('SIGTERM', () => void speed.stop().then(() => process.exit(0)));
 * ```
 */
export async function startSpeed(config: OxbowConfig, options: SpeedOptions = {}): Promise<SpeedHandle> {
  const service = new SpeedService(resolveSpeedSettings(config, options));
  await service.start();
  return service;
}
