/**
 * `kinesisStream`: an Amazon Kinesis data stream as a DStream, read with the AWS SDK's `GetRecords` (polling,
 * one reader per shard). Like the Kafka direct stream, positions are the stream's own: each batch takes what
 * the shard readers fetched, and the checkpoint holds the last sequence number delivered per shard, so a
 * context restored from it resumes right after — no DynamoDB lease table (KCL) involved.
 *
 * Shards: at the first start, open shards start at `initialPosition` (closed ones are skipped unless it is
 * `TRIM_HORIZON`); shards created later by a split or merge are read from their start once their parents
 * are read to the end, so resharding loses nothing.
 */
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { RDD, StreamingContext } from '@oxbow/dataflow';
import { InputDStream } from '@oxbow/dataflow';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Backoff, type BackoffOptions } from '../backoff.ts';
import { messageOf, SourceError } from '../source-error.ts';
import { type MeteredSource, SourceMeter, type SourceMetrics } from '../source-metrics.ts';
import { awsErrorName, isThrottling, kinesisError } from './kinesis-errors.ts';

/** One Kinesis record; `data` is what `decode` made of the bytes (the bytes by default). */
export interface KinesisRecord<T = Uint8Array> {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** ApproximateArrivalTimestamp, epoch ms. */
  readonly arrivalTime: number;
  readonly data: T;
}

/** Where a shard is read from the first time. */
export type KinesisInitialPosition = 'TRIM_HORIZON' | 'LATEST' | { readonly timestamp: Date | number };

/** Options of {@link kinesisStream}. */
export interface KinesisStreamOptions<T> {
  readonly streamName: string;
  readonly region: string;
  /** A Kinesis-compatible endpoint (e.g. kinesalite `http://127.0.0.1:4567`); default AWS. */
  readonly endpoint?: string;
  /** Static credentials; default the AWS SDK's provider chain (environment, profile, instance role). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Where shards without a checkpointed position start. Default `LATEST` (as Spark's Kinesis receiver). */
  readonly initialPosition?: KinesisInitialPosition;
  /** Turns a record's bytes into the stream's value. A decoder that throws drops the record and counts an error. */
  readonly decode?: (data: Uint8Array, record: KinesisRecord<Uint8Array>) => T;
  /** Pause between polls of a shard that is caught up. Default 1000 ms (never under 200: 5 reads/s per shard). */
  readonly pollIntervalMs?: number;
  /** Records per GetRecords call (≤ 10 000). Default 10 000. */
  readonly maxRecordsPerRequest?: number;
  /** A shard reader pauses while this many of its records wait for a batch. Default 100 000. */
  readonly maxBufferedRecordsPerShard?: number;
  /** How often the shard list is refreshed (also after any shard closes). Default 60 000 ms. */
  readonly shardSyncIntervalMs?: number;
  /** How long `ssc.start()` retries reaching the stream. Default 10 000 ms. */
  readonly startTimeoutMs?: number;
  /** Timeout of one request. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Delays between retries after failed requests. */
  readonly backoff?: BackoffOptions;
}

/** Kinesis counters: the common ones plus, per shard being read, how far behind the tip it is. */
export interface KinesisMetrics extends SourceMetrics {
  /** MillisBehindLatest of the last GetRecords per shard. */
  readonly millisBehindLatest: Readonly<Record<string, number>>;
  /** Shards being read now. */
  readonly activeShards: number;
  /** Throttling answers received (ProvisionedThroughputExceeded, LimitExceeded). */
  readonly throttled: number;
}

interface ShardPosition {
  /** Last sequence number delivered in a batch. */
  seq?: string;
  /** Where the shard was opened when nothing was delivered yet. */
  start?: 'TRIM_HORIZON' | number;
  /** Read to its end and everything delivered. */
  finished?: boolean;
}

interface KinesisCheckpoint {
  version: 1;
  shards: Array<[shardId: string, position: ShardPosition]>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Reads one shard into a buffer until it ends or the stream stops. */
class ShardReader<T> {
  readonly shardId: string;
  readonly parents: readonly string[];
  buffer: KinesisRecord<T>[] = [];
  /** Last sequence number fetched (the next iterator starts after it). */
  private lastFetched: string | undefined;
  /** NextShardIterator was null: everything is fetched. */
  ended = false;
  running = false;
  millisBehind = 0;
  /** Where to open the shard when nothing was fetched yet. */
  readonly start: NonNullable<ShardPosition['start']> | 'LATEST' | { atSequence: string };

  constructor(shardId: string, parents: readonly string[], start: ShardReader<T>['start']) {
    this.shardId = shardId;
    this.parents = parents;
    this.start = start;
  }

  iteratorRequest(streamName: string): GetShardIteratorCommandInput {
    const base = { StreamName: streamName, ShardId: this.shardId };
    if (this.lastFetched !== undefined) {
      return {
        ...base,
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: this.lastFetched,
      };
    }
    const start = this.start;
    if (start === 'TRIM_HORIZON' || start === 'LATEST') return { ...base, ShardIteratorType: start };
    if (typeof start === 'number')
      return { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(start) };
    return { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: start.atSequence };
  }

  fetched(records: KinesisRecord<T>[], lastSequence: string | undefined): void {
    for (const record of records) this.buffer.push(record);
    if (lastSequence !== undefined) this.lastFetched = lastSequence;
  }
}

/**
 * The input stream behind {@link kinesisStream}: shard readers poll in the background; each batch takes what
 * they buffered (one partition per shard) and advances the checkpointed positions.
 */
export class KinesisInputDStream<T = KinesisRecord<Uint8Array>>
  extends InputDStream<KinesisRecord<T>>
  implements MeteredSource<KinesisMetrics>
{
  private readonly options: KinesisStreamOptions<T>;
  private readonly endpointLabel: string;
  private client: KinesisClient | undefined;
  private readonly meter = new SourceMeter(() => Date.now());
  private readonly readers = new Map<string, ShardReader<T>>();
  /** Positions as of the batches cut so far (what the next checkpoint holds). */
  private positions = new Map<string, ShardPosition>();
  private restored = false;
  private abort = new AbortController();
  private failing = false;
  private throttled = 0;
  private resyncRequested = false;
  private syncing: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(ssc: StreamingContext, options: KinesisStreamOptions<T>) {
    super(ssc);
    if (!options.streamName)
      throw new SourceError('OXBOW_SOURCE_BAD_OPTIONS', 'Kinesis: streamName is required');
    if (!options.region) throw new SourceError('OXBOW_SOURCE_BAD_OPTIONS', 'Kinesis: region is required');
    const limit = options.maxRecordsPerRequest ?? 10_000;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 10_000)) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        `Kinesis: maxRecordsPerRequest must be in 1–10000, got ${limit}`,
      );
    }
    this.options = options;
    this.endpointLabel = options.endpoint ?? `AWS ${options.region}`;
  }

  /** The stream itself is the source (for the same shape as the receiver streams). */
  get source(): this {
    return this;
  }

  /** The current figures. */
  metrics(): KinesisMetrics {
    const millisBehindLatest: Record<string, number> = {};
    let active = 0;
    for (const reader of this.readers.values()) {
      if (!reader.running) continue;
      active += 1;
      millisBehindLatest[reader.shardId] = reader.millisBehind;
    }
    return { ...this.meter.snapshot(), millisBehindLatest, activeShards: active, throttled: this.throttled };
  }

  /** Reaches the stream (clear errors for a bad endpoint, credentials or stream name), then starts the readers. */
  override async start(): Promise<void> {
    const options = this.options;
    const timeout = options.requestTimeoutMs ?? 10_000;
    this.abort = new AbortController();
    this.client = new KinesisClient({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      // HTTP/1.1: polling needs no HTTP/2 (only SubscribeToShard does), and Kinesis-compatible servers speak 1.1.
      requestHandler: new NodeHttpHandler({ connectionTimeout: timeout, requestTimeout: timeout }),
      maxAttempts: 2,
    });
    const backoff = new Backoff(options.backoff);
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    for (;;) {
      try {
        await this.client.send(new DescribeStreamSummaryCommand({ StreamName: options.streamName }));
        await this.syncShards(true);
        break;
      } catch (error) {
        const failure = kinesisError(options.streamName, this.endpointLabel, error);
        this.meter.error(failure.message);
        const delay = backoff.next();
        if (failure.code !== 'OXBOW_SOURCE_UNAVAILABLE' || Date.now() + delay > deadline) {
          this.client.destroy();
          this.client = undefined;
          throw failure;
        }
        await sleep(delay, this.abort.signal);
      }
    }
    this.meter.setConnected(true);
    const interval = options.shardSyncIntervalMs ?? 60_000;
    this.syncTimer = setInterval(() => void this.backgroundSync(), interval);
    this.syncTimer.unref();
  }

  override async stop(): Promise<void> {
    this.abort.abort();
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.syncing;
    for (const reader of this.readers.values()) reader.running = false;
    this.client?.destroy();
    this.client = undefined;
    this.meter.setConnected(false);
  }

  async compute(_time: number): Promise<RDD<KinesisRecord<T>>> {
    const partitions: KinesisRecord<T>[][] = [];
    let anyFinished = false;
    for (const reader of this.readers.values()) {
      const records = reader.buffer;
      reader.buffer = [];
      const position = this.positions.get(reader.shardId) ?? {};
      if (records.length > 0) {
        partitions.push(records);
        const last = records[records.length - 1]?.sequenceNumber;
        if (last !== undefined) position.seq = last;
      }
      if (reader.ended && !position.finished) {
        position.finished = true;
        anyFinished = true;
      }
      this.positions.set(reader.shardId, position);
    }
    if (anyFinished) void this.backgroundSync();
    const ctx = this.ssc.dataflowContext;
    return partitions.length > 0 ? ctx.fromPartitions(partitions) : ctx.parallelize<KinesisRecord<T>>([], 1);
  }

  override checkpointState(): KinesisCheckpoint {
    return { version: 1, shards: [...this.positions].map(([id, position]) => [id, { ...position }]) };
  }

  override restoreState(state: unknown): void {
    const checkpoint = state as KinesisCheckpoint | undefined;
    if (checkpoint?.version !== 1) return;
    this.positions = new Map(checkpoint.shards.map(([id, position]) => [id, { ...position }]));
    this.restored = true;
  }

  private async backgroundSync(): Promise<void> {
    if (this.abort.signal.aborted) return;
    if (this.syncing) {
      this.resyncRequested = true; // the running sync may have listed before the change
      return;
    }
    try {
      await this.syncShards(false);
    } catch (error) {
      this.meter.error(kinesisError(this.options.streamName, this.endpointLabel, error).message);
    }
  }

  /** Lists the shards and starts a reader for every shard that may be read now. */
  private syncShards(first: boolean): Promise<void> {
    const run = async () => {
      const client = this.client;
      if (!client) return;
      const shards: Shard[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListShardsCommand(
            nextToken === undefined ? { StreamName: this.options.streamName } : { NextToken: nextToken },
          ),
          { abortSignal: this.abort.signal },
        );
        shards.push(...(page.Shards ?? []));
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      const listed = new Set(shards.map((shard) => shard.ShardId ?? ''));
      for (const shard of shards) {
        const id = shard.ShardId;
        if (id === undefined || this.readers.has(id)) continue;
        const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
          (parent): parent is string => parent !== undefined && listed.has(parent),
        );
        const position = this.positions.get(id);
        if (position?.finished) continue;
        const start = this.startOf(shard, position, first);
        if (start === undefined) {
          // A closed shard skipped at the first start (LATEST or AT_TIMESTAMP): nothing of it is wanted.
          this.positions.set(id, { finished: true });
          continue;
        }
        // A child waits until its parents are read to the end (their records come first).
        const parentsDone = parents.every(
          (parent) => this.positions.get(parent)?.finished || this.readers.get(parent)?.ended,
        );
        if (!parentsDone) continue;
        const reader = new ShardReader<T>(id, parents, start);
        this.readers.set(id, reader);
        if (!this.positions.has(id)) {
          this.positions.set(
            id,
            typeof start === 'object' || start === 'LATEST' ? { start: Date.now() } : { start },
          );
        }
        void this.read(reader);
      }
    };
    const running = run().finally(() => {
      this.syncing = undefined;
      if (this.resyncRequested) {
        this.resyncRequested = false;
        void this.backgroundSync();
      }
    });
    this.syncing = running;
    return running;
  }

  /** Where a shard without a reader starts, or undefined to skip it. */
  private startOf(
    shard: Shard,
    position: ShardPosition | undefined,
    first: boolean,
  ): ShardReader<T>['start'] | undefined {
    if (position?.seq !== undefined) return { atSequence: position.seq };
    if (position?.start !== undefined) return position.start;
    // A shard not opened yet. After the first start (a split or merge), or in a job restored from a checkpoint
    // that does not know it, it is a child of shards being read: read it whole.
    if (!first || this.restored) return 'TRIM_HORIZON';
    const initial = this.options.initialPosition ?? 'LATEST';
    if (initial === 'TRIM_HORIZON') return 'TRIM_HORIZON';
    // Starting at the tip or at a time: closed shards hold nothing wanted.
    if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) return undefined;
    if (initial === 'LATEST') return 'LATEST';
    return new Date(initial.timestamp).getTime();
  }

  /** The polling loop of one shard. */
  private async read(reader: ShardReader<T>): Promise<void> {
    const client = this.client;
    if (!client) return;
    const options = this.options;
    const signal = this.abort.signal;
    const poll = Math.max(200, options.pollIntervalMs ?? 1000);
    const limit = options.maxRecordsPerRequest ?? 10_000;
    const maxBuffered = options.maxBufferedRecordsPerShard ?? 100_000;
    const backoff = new Backoff(options.backoff);
    const decode = options.decode ?? ((data: Uint8Array) => data as unknown as T);
    let iterator: string | undefined;
    reader.running = true;
    try {
      while (!signal.aborted) {
        if (reader.buffer.length >= maxBuffered) {
          await sleep(poll, signal);
          continue;
        }
        try {
          if (iterator === undefined) {
            const answer = await client.send(
              new GetShardIteratorCommand(reader.iteratorRequest(options.streamName)),
              {
                abortSignal: signal,
              },
            );
            iterator = answer.ShardIterator;
            if (iterator === undefined) {
              reader.ended = true;
              return;
            }
          }
          const answer = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), {
            abortSignal: signal,
          });
          this.succeeded(backoff);
          const records: KinesisRecord<T>[] = [];
          let bytes = 0;
          let last: string | undefined;
          for (const record of answer.Records ?? []) {
            const data = record.Data ?? new Uint8Array(0);
            const raw: KinesisRecord<Uint8Array> = {
              shardId: reader.shardId,
              sequenceNumber: record.SequenceNumber ?? '',
              partitionKey: record.PartitionKey ?? '',
              arrivalTime: record.ApproximateArrivalTimestamp?.getTime() ?? 0,
              data,
            };
            last = raw.sequenceNumber;
            bytes += data.length;
            try {
              records.push({ ...raw, data: decode(data, raw) });
            } catch (error) {
              this.meter.error(
                `Kinesis: the decoder failed on ${reader.shardId}/${raw.sequenceNumber}: ${messageOf(error)}`,
              );
            }
          }
          reader.fetched(records, last);
          this.meter.recordsIn(records.length, bytes);
          reader.millisBehind = answer.MillisBehindLatest ?? 0;
          iterator = answer.NextShardIterator;
          if (iterator === undefined || iterator === null) {
            reader.ended = true;
            void this.backgroundSync();
            return;
          }
          const caughtUp = (answer.Records?.length ?? 0) === 0 || reader.millisBehind === 0;
          await sleep(caughtUp ? poll : 200, signal);
        } catch (error) {
          if (signal.aborted) return;
          const name = awsErrorName(error);
          if (name === 'ExpiredIteratorException') {
            iterator = undefined; // a new one after the last fetched record
            continue;
          }
          if (isThrottling(error)) {
            this.throttled += 1;
          } else {
            const failure = kinesisError(options.streamName, this.endpointLabel, error);
            this.meter.error(`${reader.shardId}: ${failure.message}`);
            this.meter.setConnected(false);
            this.failing = true;
            iterator = name === 'ResourceNotFoundException' ? undefined : iterator;
          }
          await sleep(backoff.next(), signal);
        }
      }
    } finally {
      reader.running = false;
    }
  }

  private succeeded(backoff: Backoff): void {
    backoff.reset();
    if (this.failing) {
      this.failing = false;
      this.meter.reconnected();
    }
    this.meter.setConnected(true);
  }
}

/**
 * A Kinesis data stream as a DStream of {@link KinesisRecord}s (one partition per shard per batch).
 * `ssc.start()` fails with `OXBOW_SOURCE_NOT_FOUND` (no such stream), `OXBOW_SOURCE_AUTH` (credentials
 * refused), `OXBOW_SOURCE_BAD_ADDRESS` (the endpoint's host does not resolve) or `OXBOW_SOURCE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const clicks = kinesisStream(ssc, {
 *   streamName: 'clicks', region: 'eu-west-1', initialPosition: 'TRIM_HORIZON',
 *   decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as Click,
 * });
 * clicks.map((r) => [r.data.page, 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 * ```
 */
export function kinesisStream<T = Uint8Array>(
  ssc: StreamingContext,
  options: KinesisStreamOptions<T>,
): KinesisInputDStream<T> {
  return new KinesisInputDStream<T>(ssc, options);
}
