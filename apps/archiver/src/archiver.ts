/**
 * The archiver: Kafka event topics → the Parquet master dataset, exactly once (contract 0002).
 *
 * - Records are validated with @oxbow/views; invalid ones go to the dead-letter topic with their reasons.
 * - Each assigned partition fills one file at a time (one epoch, contiguous offsets): records go straight into
 *   column builders, and every `rowGroupRows` rows the row group is encoded in a Parquet encoder thread while
 *   this thread fetches and parses on (docs/design/0006-archiver-throughput.md). A file is published atomically
 *   as `events/<topic>/epoch=<e>/part-<p>-<first>-<last>.parquet` when it reaches `rollRows`/`rollBytes`, after
 *   `rollMs`, at an epoch change, or once the wall clock has left its epoch. Files of a partition are published
 *   in offset order, in the background.
 * - Group offsets are committed only up to the newest batch whose records are all published, one commit at a
 *   time (`batchesCompleted`).
 * - On (re)start each partition resumes after the highest `lastOffset` in the lake (`startingOffsets`), so a crash
 *   neither loses nor duplicates a record.
 * - `_sealed` is written for an epoch once every partition passed it or is idle past it.
 */
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type FileSystem,
  failpoint,
  type KafkaBatch,
  type KafkaConsumerTuning,
  KafkaDirectSource,
  type KafkaSourceMetrics,
  type ParquetCodec,
  ParquetEncoder,
  parseOffset,
  partitionKey,
  type RawKafkaRecord,
  RejectedRecord,
} from '@oxbow/connectors';
import { encodeSealedMarker, partFilePath, type SealedMarker, sealedPath } from '@oxbow/contracts';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { ArchiveDecoderInit } from './archive-decoder.ts';
import type { ArchiverLogger } from './archive-log.ts';
import { type ArchivedRecord, type ArchivedValue, ColumnarFileBody, ColumnLayout } from './columnar-file.ts';
import { ArchiverError } from './errors.ts';
import type { EventSchema, TopicSpec } from './event-schemas.ts';
import { PartitionLog, type PendingFile, type RollPolicy } from './partition-log.ts';
import { sealEndOffsets } from './seal-decision.ts';
import { TopicProgress } from './topic-progress.ts';

/** Options of an {@link Archiver}. */
export interface ArchiverOptions {
  /** The lake root (`file://`, `s3://`, `hdfs://`); the caller closes it. */
  readonly lake: FileSystem;
  readonly brokers: readonly string[];
  readonly topics: readonly TopicSpec[];
  /** The archiver's own consumer group (one per lake). */
  readonly groupId: string;
  readonly epochMs: number;
  readonly rollRows: number;
  readonly rollBytes: number;
  readonly rollMs: number;
  /** Margin for clock differences between the broker's append times and this process. Default 1000 ms. */
  readonly sealGraceMs?: number;
  /** Dead-letter topic. Default `oxbow_dead_letter`. */
  readonly deadLetterTopic?: string;
  /** Parquet compression. Default `zstd`. */
  readonly codec?: ParquetCodec;
  /** Rows per Parquet row group: each is encoded in an encoder thread as soon as it is full. Default 50 000. */
  readonly rowGroupRows?: number;
  /**
   * Parquet encoder threads. Default with `validateInEncoder` 2 to 4 (cores − 1, at least 2), else 1 (this thread
   * fetches and parses, one thread encodes).
   */
  readonly encoderThreads?: number;
  /** Row groups waiting for an encoder thread before fetching waits for them. Default 4. */
  readonly maxQueuedRowGroups?: number;
  /**
   * Validate records in the encoder threads instead of this one: each thread loads the project from this file and
   * binds the same topics, decodes the records of its partitions and keeps their rows until files take them, so
   * this thread only fetches, keeps the books and publishes. `runArchiver` sets it. Default: validate here.
   */
  readonly validateInEncoder?: ArchiveDecoderInit;
  /** Sleep between polls when no records arrived. Default 100 ms. */
  readonly pollIntervalMs?: number;
  /** How often epochs are checked for sealing. Default 500 ms. */
  readonly sealCheckIntervalMs?: number;
  /** How often an `archiver.progress` line is logged. Default 10 000 ms. */
  readonly progressIntervalMs?: number;
  /** Temporary files (a crashed writer's) older than this are deleted at start-up. Default 10 minutes. */
  readonly temporaryMaxAgeMs?: number;
  /** Consumer-group timing (lower in tests for fast restarts). */
  readonly consumer?: KafkaConsumerTuning;
  /** Uncut records buffered per partition before fetching pauses. Default 10 000. */
  readonly maxBufferedPerPartition?: number;
  readonly clock?: { now(): number };
  readonly log?: ArchiverLogger;
}

/** Counters of a run. */
export interface ArchiverStats {
  /** Rows published to the lake. */
  recordsArchived: number;
  filesPublished: number;
  /** Parquet bytes published. */
  bytesPublished: number;
  /** Records sent to the dead-letter topic (a replay after a crash may send some again). */
  deadLettered: number;
  epochsSealed: number;
}

/** A batch whose offsets are committed once every record of it is published. */
interface PendingBatch {
  /** The batch's own `offsetRanges` array (how the source knows it), without its records. */
  readonly batch: Pick<KafkaBatch<ArchivedValue>, 'offsetRanges'>;
  /** Generation of each partition's log at the cut; a reset log no longer owes this batch anything. */
  readonly generations: ReadonlyMap<string, number>;
  readonly numRecords: number;
  readonly cutAtMs: number;
}

/** Raised (and dead-lettered with its message) for a record that fails schema validation. */
class InvalidEventError extends Error {
  constructor(reasons: readonly string[]) {
    super(reasons.join('; ') || 'invalid event');
    this.name = 'InvalidEvent';
  }
}

const RESCAN_AFTER_MS = 2000;
const EMPTY_VALUE = Buffer.alloc(0);
const MAX_SAFE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);
const DECODER_MODULE = new URL('./archive-decoder.ts', import.meta.url);

type ArchiveLog = PartitionLog<ArchivedRecord, ColumnarFileBody>;

/**
 * Archives Kafka topics into the lake until stopped.
 *
 * @example
 * const archiver = new Archiver({ lake, brokers: ['127.0.0.1:29092'], topics: archiverTopicsOf(project, ''),
 *   groupId: 'oxbow-archiver', epochMs: 3_600_000, rollRows: 8_000_000, rollBytes: 1 << 30, rollMs: 3_600_000 });
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * const stats = await archiver.run(controller.signal); // flushes, publishes and commits before resolving
 */
export class Archiver {
  private readonly options: ArchiverOptions;
  private readonly clock: { now(): number };
  private readonly log: ArchiverLogger;
  private readonly policy: RollPolicy;
  private readonly schemas = new Map<string, EventSchema>();
  private readonly progress = new Map<string, TopicProgress>();
  private readonly scannedAt = new Map<string, number>();
  private readonly layouts = new Map<string, ColumnLayout>();
  private readonly logs = new Map<string, ArchiveLog>();
  private readonly generations = new Map<string, number>();
  private pending: PendingBatch[] = [];
  /** Per partition: the publication of its closed files, in order (each link waits for the one before). */
  private readonly publishing = new Map<string, Promise<void>>();
  /** The group-offset commit in flight (one at a time). */
  private committing: Promise<void> | undefined;
  /** The first background failure (publication); the run stops with it. */
  private failure: unknown;
  private readonly encoder: ParquetEncoder;
  private readonly rowGroupRows: number;
  private startedAt = 0;
  private caughtUp = false;
  private source: KafkaDirectSource<ArchivedValue> | undefined;
  private admin: Admin | undefined;
  private lastSealCheck = Number.NEGATIVE_INFINITY;
  private lastProgress = 0;
  private recordsAtLastProgress = 0;
  readonly stats: ArchiverStats = {
    recordsArchived: 0,
    filesPublished: 0,
    bytesPublished: 0,
    deadLettered: 0,
    epochsSealed: 0,
  };

  constructor(options: ArchiverOptions) {
    const problems: string[] = [];
    if (options.topics.length === 0) problems.push('no topics');
    if (options.brokers.length === 0) problems.push('no brokers');
    for (const name of ['epochMs', 'rollRows', 'rollBytes', 'rollMs'] as const) {
      if (!(Number.isFinite(options[name]) && options[name] > 0)) problems.push(`${name} must be > 0`);
    }
    for (const name of ['rowGroupRows', 'encoderThreads', 'maxQueuedRowGroups'] as const) {
      const value = options[name];
      if (
        value !== undefined &&
        !(Number.isInteger(value) && value >= (name === 'maxQueuedRowGroups' ? 0 : 1))
      )
        problems.push(`${name} must be a positive integer`);
    }
    if (problems.length > 0) {
      throw new ArchiverError(
        'OXBOW_ARCHIVER_BAD_OPTIONS',
        `invalid archiver options: ${problems.join('; ')}`,
      );
    }
    this.options = options;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.log = options.log ?? (() => {});
    this.policy = {
      rollRows: options.rollRows,
      rollBytes: options.rollBytes,
      rollMs: options.rollMs,
      epochMs: options.epochMs,
      graceMs: options.sealGraceMs ?? 1000,
    };
    for (const spec of options.topics) {
      this.schemas.set(spec.topic, spec.schema);
      this.layouts.set(spec.topic, new ColumnLayout(spec.schema));
    }
    this.rowGroupRows = options.rowGroupRows ?? 50_000;
    this.encoder = new ParquetEncoder({
      // Validating in the encoder threads makes them the busy ones: two, even on two cores (the main thread
      // mostly waits for them), more where there are cores for them.
      threads:
        options.encoderThreads ??
        (options.validateInEncoder ? Math.min(4, Math.max(2, availableParallelism() - 1)) : 1),
      ...(options.validateInEncoder
        ? { decoder: { module: DECODER_MODULE, init: { ...options.validateInEncoder } } }
        : {}),
    });
  }

  /** The Kafka source's counters (records in, dead letters, lag per partition), once the run started. */
  sourceMetrics(): KafkaSourceMetrics | undefined {
    return this.source?.metrics();
  }

  /**
   * Runs until `signal` aborts, then stops gracefully: closes every open file, publishes, commits the group
   * offsets, seals what can be sealed and leaves the consumer group. Rejects on a fatal error (after trying to
   * leave the group); whatever was published stays valid.
   */
  async run(signal: AbortSignal): Promise<ArchiverStats> {
    const began = this.clock.now();
    try {
      await this.start();
      this.lastProgress = this.clock.now();
      while (!signal.aborted) {
        const hadData = await this.step(false);
        if (!hadData && !signal.aborted) {
          await sleep(this.options.pollIntervalMs ?? 100, undefined, { signal }).catch(() => {});
        }
      }
      for (const log of this.logs.values()) log.close();
      await this.step(true);
      this.log({ level: 'info', event: 'archiver.stopped', ...this.stats, runMs: this.clock.now() - began });
      return { ...this.stats };
    } finally {
      // Publications still running after a failure finish or fail on their own; nothing waits for them.
      await this.committing?.catch(() => {});
      await this.source?.stop().catch(() => {});
      await this.admin?.disconnect().catch(() => {});
      await this.encoder.close();
    }
  }

  private async start(): Promise<void> {
    const { options } = this;
    const now = this.clock.now();
    for (const spec of options.topics) {
      const temporaries = await this.rescan(spec.topic);
      const maxAge = options.temporaryMaxAgeMs ?? 600_000;
      for (const file of temporaries) {
        if (now - file.mtime.getTime() < maxAge) continue;
        await options.lake.delete(file.path);
        this.log({ level: 'warn', event: 'archiver.temporary-deleted', path: file.path });
      }
    }
    const kafka = new Kafka({
      clientId: 'oxbow-archiver-admin',
      brokers: [...options.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 200 },
    });
    this.admin = kafka.admin();
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = options.topics.map((spec) => spec.topic).filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      throw new ArchiverError(
        'OXBOW_ARCHIVER_UNKNOWN_TOPIC',
        `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist on ${options.brokers.join(',')} (create ${missing.length > 1 ? 'them' : 'it'}: \`oxbow stack up\` creates the project's topics)`,
      );
    }
    this.source = new KafkaDirectSource<ArchivedValue>({
      brokers: [...options.brokers],
      topics: options.topics.map((spec) => spec.topic),
      groupId: options.groupId,
      clientId: 'oxbow-archiver',
      batchIntervalMs: 1000,
      startingOffsets: async (topic, partition) => {
        // Files of this partition still being published (it was ours before a reposition) land first.
        await this.publishing.get(partitionKey(topic, partition))?.catch(() => {});
        // After a rebalance another member may have published this partition's files: look again.
        const scannedAt = this.scannedAt.get(topic);
        if (scannedAt === undefined || this.clock.now() - scannedAt > RESCAN_AFTER_MS)
          await this.rescan(topic);
        // The lake is the truth: never fall back to the group's offsets (they may belong to another lake).
        return this.topicProgress(topic).nextOffset(partition).toString();
      },
      ...(options.validateInEncoder
        ? {
            deserializeBatch: (topic: string, partition: number, records: readonly RawKafkaRecord[]) =>
              this.decodeInEncoder(topic, partition, records),
          }
        : {
            deserialize: (bytes: Buffer, meta: { topic: string; timestamp: number }): ArchivedValue => {
              const schema = this.schemas.get(meta.topic);
              if (!schema) throw new Error(`no schema for topic ${meta.topic}`);
              // Validate against the append time, not the wall clock, so a replay decides as the first read.
              const result = schema.parse(bytes, meta.timestamp);
              if (!result.ok) throw new InvalidEventError(result.reasons);
              return { fields: result.event, bytes: bytes.length };
            },
          }),
      ...(options.deadLetterTopic ? { deadLetterTopic: options.deadLetterTopic } : {}),
      // How the dead-letter topic was found, created or raised: `archiver.dead-letter.*`.
      log: (entry) => this.log({ ...entry, event: `archiver.${entry.event}` }),
      ...(options.consumer ? { consumer: options.consumer } : {}),
      ...(options.maxBufferedPerPartition
        ? { maxBufferedPerPartition: options.maxBufferedPerPartition }
        : {}),
    });
    // The encoder threads load their decoder (the project) while the consumer joins the group.
    await Promise.all([this.source.start(), this.encoder.ready()]);
    this.startedAt = this.clock.now();
    this.log({
      level: 'info',
      event: 'archiver.started',
      lake: options.lake.url,
      topics: options.topics.map((spec) => `${spec.topic}:${spec.schema.name}`),
      groupId: options.groupId,
      epochMs: options.epochMs,
      assignment: this.source.assignment().map(({ topic, partition }) => partitionKey(topic, partition)),
      resumeAt: Object.fromEntries(
        this.source
          .assignment()
          .map(({ topic, partition }) => [
            partitionKey(topic, partition),
            this.topicProgress(topic).nextOffset(partition).toString(),
          ]),
      ),
    });
  }

  /**
   * One poll: cut a batch, append its records to the files' column builders, start publishing closed files,
   * commit the newest finished batches, seal. Only waits when the encoder threads are behind (or when `final`).
   */
  private async step(final: boolean): Promise<boolean> {
    const source = this.source;
    if (!source) throw new ArchiverError('OXBOW_ARCHIVER_KAFKA', 'the archiver is not started');
    if (this.failure !== undefined) throw this.failure;
    const now = this.clock.now();
    const batch = final
      ? { batchTimeMs: now, offsetRanges: [], partitions: [], deadLettered: 0 }
      : await source.nextBatch(now);
    this.dropRevoked(source);
    let numRecords = 0;
    for (const slice of batch.partitions) {
      const { range } = slice;
      if (!final && !source.ownsRange(batch, range)) {
        // Revoked or repositioned while the batch was validated: its records are not ours to archive.
        if (this.options.validateInEncoder) {
          this.encoder.skip(partitionKey(range.topic, range.partition), slice.records.length);
        }
        continue;
      }
      const log = this.logFor(range.topic, range.partition);
      const buffered = log.bufferedRows;
      if (!log.beginRange(parseOffset(range.fromOffset))) {
        this.bumpGeneration(partitionKey(range.topic, range.partition));
        if (buffered > 0) {
          this.log({
            level: 'warn',
            event: 'archiver.partition-reset',
            partition: partitionKey(range.topic, range.partition),
            droppedRows: buffered,
            from: range.fromOffset,
          });
        }
      }
      for (const record of slice.records) {
        log.append(
          {
            // Canonical offsets from the source: no validation needed per record.
            offset: BigInt(record.offset),
            appendTimeMs: record.timestamp,
            bytes: record.value.bytes,
            row: record,
          },
          now,
        );
      }
      numRecords += slice.records.length;
      log.endRange(parseOffset(range.untilOffset));
      log.openFile?.body.flush();
      // Fault tests: records of the batch are in open files, none of them published.
      if (numRecords > 0) failpoint('mid-batch');
    }
    this.stats.deadLettered += batch.deadLettered;
    if (batch.offsetRanges.length > 0) {
      const generations = new Map<string, number>();
      for (const range of batch.offsetRanges) {
        const key = partitionKey(range.topic, range.partition);
        generations.set(key, this.generations.get(key) ?? 0);
      }
      // Only the ranges: the records are in column builders now, and must not be kept alive until the commit.
      this.pending.push({
        batch: { offsetRanges: batch.offsetRanges },
        generations,
        numRecords,
        cutAtMs: now,
      });
    }
    // Lag per partition: a partition still behind keeps filling a file of an ended epoch (one file, not one a step).
    const lags = source.metrics().lagPerPartition;
    for (const [key, log] of this.logs) log.rollDue(now, final || (lags[key] ?? '0') === '0');
    this.publishClosed();
    if (final) {
      await Promise.all(this.publishing.values());
      if (this.failure !== undefined) throw this.failure;
      await this.committing;
    }
    await this.completeBatches(final);
    if (final || now - this.lastSealCheck >= (this.options.sealCheckIntervalMs ?? 500)) {
      this.lastSealCheck = now;
      await this.sealEpochs();
    }
    this.maybeLogProgress(source);
    this.maybeLogCaughtUp(source, batch.offsetRanges.length > 0);
    // Backpressure: fetch on only while the encoder threads keep up.
    await this.encoder.drained(this.options.maxQueuedRowGroups ?? 4);
    return batch.offsetRanges.length > 0;
  }

  private logFor(topic: string, partition: number): ArchiveLog {
    const key = partitionKey(topic, partition);
    let log = this.logs.get(key);
    if (!log) {
      const progress = this.topicProgress(topic);
      const layout = this.layouts.get(topic);
      if (!layout) throw new ArchiverError('OXBOW_ARCHIVER_UNKNOWN_SCHEMA', `no schema for ${topic}`);
      const codec = this.options.codec ?? 'zstd';
      const rows = this.options.validateInEncoder
        ? { kind: 'staged' as const, stream: key }
        : { kind: 'local' as const, layout };
      log = new PartitionLog(
        topic,
        partition,
        this.policy,
        progress.nextOffset(partition),
        progress.maxEpoch(partition),
        () => new ColumnarFileBody(this.encoder, rows, layout.schema, this.rowGroupRows, codec),
      );
      this.logs.set(key, log);
    }
    return log;
  }

  /**
   * `deserializeBatch` with `validateInEncoder`: the partition's encoder thread validates the records (and keeps
   * the valid ones' rows for the partition's files); rejected ones become dead letters with their reasons.
   */
  private async decodeInEncoder(
    topic: string,
    partition: number,
    records: readonly RawKafkaRecord[],
  ): Promise<Array<ArchivedValue | RejectedRecord>> {
    const values: Uint8Array[] = new Array(records.length);
    const offsets: number[] = new Array(records.length);
    const timestamps: number[] = new Array(records.length);
    const out: Array<ArchivedValue | RejectedRecord> = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as RawKafkaRecord;
      if (record.offset > MAX_SAFE_OFFSET) {
        throw new ArchiverError('OXBOW_ARCHIVER_KAFKA', `offset ${record.offset} is beyond 2^53`);
      }
      const value = record.value ?? EMPTY_VALUE;
      values[i] = value;
      offsets[i] = Number(record.offset);
      timestamps[i] = record.timestamp;
      out[i] = { fields: undefined, bytes: value.length };
    }
    const verdicts = await this.encoder.decode({ topic, partition, values, offsets, timestamps });
    verdicts.rejected.forEach((index, k) => {
      out[index] = new RejectedRecord(new InvalidEventError([verdicts.reasons[k] ?? 'invalid event']));
    });
    return out;
  }

  /** Forgets partitions moved to another member (their buffered rows are that member's now). */
  private dropRevoked(source: KafkaDirectSource<ArchivedValue>): void {
    const assigned = new Set(
      source.assignment().map(({ topic, partition }) => partitionKey(topic, partition)),
    );
    for (const [key, log] of this.logs) {
      if (assigned.has(key)) continue;
      this.logs.delete(key);
      log.discard();
      this.bumpGeneration(key);
      this.log({
        level: 'info',
        event: 'archiver.partition-revoked',
        partition: key,
        droppedRows: log.bufferedRows,
      });
    }
  }

  private bumpGeneration(key: string): void {
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  /**
   * Starts publishing every newly closed file in the background: partitions in parallel, each partition's files
   * in offset order (each after the one before it). The first failure stops the run at the next step.
   */
  private publishClosed(): void {
    for (const [key, log] of this.logs) {
      const files = log.takeClosed();
      if (files.length === 0) continue;
      const previous = this.publishing.get(key) ?? Promise.resolve();
      const next = previous.then(async () => {
        for (const file of files) {
          await this.publish(log, file);
          log.markPublished(file);
        }
      });
      const link = next.catch((error: unknown) => {
        this.failure ??= error;
        throw error;
      });
      link.catch(() => {}); // reported through `failure`
      this.publishing.set(key, link);
      void link
        .finally(() => {
          if (this.publishing.get(key) === link) this.publishing.delete(key);
        })
        .catch(() => {});
    }
  }

  private async publish(log: ArchiveLog, file: PendingFile<ColumnarFileBody>): Promise<void> {
    const schema = this.schemas.get(log.topic);
    if (!schema) throw new ArchiverError('OXBOW_ARCHIVER_UNKNOWN_SCHEMA', `no schema for ${log.topic}`);
    const path = partFilePath({
      topic: log.topic,
      epoch: file.epoch,
      partition: log.partition,
      firstOffset: file.firstOffset,
      lastOffset: file.lastOffset,
    });
    const started = this.clock.now();
    let summary: { rows: number; bytes: number };
    try {
      const encoded = await file.body.finished();
      // The same atomic publication as every Parquet write: a temporary renamed into place, or one whole PUT.
      await this.options.lake.putAtomic(path, encoded.bytes);
      summary = { rows: encoded.rows, bytes: encoded.bytes.length };
    } catch (error) {
      throw new ArchiverError('OXBOW_ARCHIVER_LAKE', `could not publish ${path}: ${String(error)}`, {
        cause: error,
        retriable: true,
      });
    }
    this.topicProgress(log.topic).recordPublished(
      log.partition,
      file.epoch,
      file.firstOffset,
      file.lastOffset,
    );
    this.stats.recordsArchived += summary.rows;
    this.stats.filesPublished++;
    this.stats.bytesPublished += summary.bytes;
    this.log({
      level: 'info',
      event: 'archiver.published',
      path,
      rows: summary.rows,
      bytes: summary.bytes,
      ms: this.clock.now() - started,
    });
    // Fault tests: the file is in the lake, the group offsets of its batch are not committed.
    failpoint('after-sink-before-offset');
  }

  /**
   * Commits the group offsets of the oldest batches whose records are all published (in cut order): one commit
   * for all of them, with each partition's newest offset, and one commit in flight at a time (`final` waits).
   */
  private async completeBatches(final: boolean): Promise<void> {
    const source = this.source;
    if (!source || (this.committing && !final)) return;
    await this.committing;
    let done = 0;
    while (done < this.pending.length) {
      const pending = this.pending[done] as PendingBatch;
      const published = pending.batch.offsetRanges.every((range) => {
        const key = partitionKey(range.topic, range.partition);
        const log = this.logs.get(key);
        if (!log || (this.generations.get(key) ?? 0) !== pending.generations.get(key)) return true;
        return log.durableOffset >= parseOffset(range.untilOffset);
      });
      if (!published) break;
      done++;
    }
    if (done === 0) return;
    const batches = this.pending.splice(0, done);
    const newest = batches[batches.length - 1] as PendingBatch;
    const commit = source.batchesCompleted(
      batches.map((pending) => pending.batch),
      {
        numRecords: batches.reduce((sum, pending) => sum + pending.numRecords, 0),
        processingDelayMs: this.clock.now() - newest.cutAtMs,
        schedulingDelayMs: 0,
      },
    );
    // Fault tests: the group offsets of published batches are committed.
    const tracked = commit
      .then(() => failpoint('after-offset'))
      .finally(() => {
        if (this.committing === tracked) this.committing = undefined;
      });
    this.committing = tracked;
    if (final) await tracked;
  }

  /** Writes `_sealed` for every epoch, in order, that all partitions of the topic have passed. */
  private async sealEpochs(): Promise<void> {
    const admin = this.admin;
    if (!admin) return;
    for (const spec of this.options.topics) {
      const progress = this.topicProgress(spec.topic);
      let epoch = progress.nextEpochToSeal();
      if (epoch === undefined || this.clock.now() < (epoch + 1) * this.options.epochMs) continue;
      const watermarksAtMs = this.clock.now();
      let watermarks: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
      try {
        watermarks = await admin.fetchTopicOffsets(spec.topic);
      } catch (error) {
        this.log({
          level: 'warn',
          event: 'archiver.watermarks-failed',
          topic: spec.topic,
          error: String(error),
        });
        continue;
      }
      for (;;) {
        const current: number = epoch;
        const endOffsets = sealEndOffsets({
          epoch: current,
          epochMs: this.options.epochMs,
          graceMs: this.policy.graceMs,
          watermarksAtMs,
          partitions: watermarks.map((w) => ({
            partition: w.partition,
            firstOffsetAfter: progress.firstOffsetAfter(w.partition, current),
            durable: this.durableOffset(spec.topic, w.partition, BigInt(w.low)),
            highWatermark: BigInt(w.high),
          })),
        });
        if (!endOffsets) break;
        const marker: SealedMarker = {
          topic: spec.topic,
          epoch: current,
          epochMs: this.options.epochMs,
          sealedAt: new Date(this.clock.now()).toISOString(),
          endOffsets,
        };
        const path = sealedPath(spec.topic, current);
        await this.options.lake.putAtomic(path, encodeSealedMarker(marker));
        progress.recordSealed(current);
        progress.prune();
        this.stats.epochsSealed++;
        this.log({ level: 'info', event: 'archiver.sealed', path, endOffsets });
        epoch = current + 1;
      }
    }
  }

  /** Every offset of the partition below this is published or dead-lettered (or gone from Kafka). */
  private durableOffset(topic: string, partition: number, low: bigint): bigint {
    const lake = this.topicProgress(topic).nextOffset(partition);
    const own = this.logs.get(partitionKey(topic, partition))?.durableOffset;
    let durable = own !== undefined && own > lake ? own : lake;
    if (low > durable) durable = low;
    return durable;
  }

  private topicProgress(topic: string): TopicProgress {
    let progress = this.progress.get(topic);
    if (!progress) {
      progress = new TopicProgress(topic);
      this.progress.set(topic, progress);
    }
    return progress;
  }

  /** Scans the lake for `topic` and merges what it finds; returns the temporary files seen. */
  private async rescan(topic: string): Promise<Array<{ path: string; mtime: Date }>> {
    const { progress: scanned, temporaries } = await TopicProgress.scan(this.options.lake, topic);
    const progress = this.topicProgress(topic);
    progress.merge(scanned);
    this.scannedAt.set(topic, this.clock.now());
    return temporaries;
  }

  /** Logs `archiver.caught-up` once: the first time every assigned partition is read to its end. */
  private maybeLogCaughtUp(source: KafkaDirectSource<ArchivedValue>, hadData: boolean): void {
    if (this.caughtUp || hadData) return;
    const metrics = source.metrics();
    const lags = Object.values(metrics.lagPerPartition);
    if (lags.some((lag) => lag !== '0')) return;
    // Before the first fetch every lag reads 0: wait for records or a few idle seconds.
    if (metrics.recordsIn === 0 && this.clock.now() - this.startedAt < 5000) return;
    this.caughtUp = true;
    this.log({
      level: 'info',
      event: 'archiver.caught-up',
      recordsIn: metrics.recordsIn,
      deadLettered: metrics.deadLettered,
      ms: this.clock.now() - this.startedAt,
      ...memoryFields(),
    });
  }

  private maybeLogProgress(source: KafkaDirectSource<ArchivedValue>): void {
    const now = this.clock.now();
    const interval = this.options.progressIntervalMs ?? 10_000;
    if (now - this.lastProgress < interval) return;
    const metrics = source.metrics();
    let lag = 0n;
    for (const value of Object.values(metrics.lagPerPartition)) lag += BigInt(value);
    const seconds = (now - this.lastProgress) / 1000;
    this.log({
      level: 'info',
      event: 'archiver.progress',
      ...this.stats,
      recordsPerSecond: Math.round((this.stats.recordsArchived - this.recordsAtLastProgress) / seconds),
      lag: lag.toString(),
      pendingBatches: this.pending.length,
      ...memoryFields(),
    });
    this.lastProgress = now;
    this.recordsAtLastProgress = this.stats.recordsArchived;
  }
}

/** Memory of this process for the progress lines (the encoder threads' heaps are in `rss`, not in `heapUsed`). */
function memoryFields(): {
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
} {
  const usage = process.memoryUsage();
  return {
    rssBytes: usage.rss,
    heapTotalBytes: usage.heapTotal,
    heapUsedBytes: usage.heapUsed,
    externalBytes: usage.external,
  };
}
