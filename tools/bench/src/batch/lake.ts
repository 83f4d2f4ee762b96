/**
 * The batch benchmark's master dataset: the web-analytics example's `generateHttpLogs` records (and one sensor
 * reading from `generateSensorReadings` for every ten of them, so every view of the example has data), validated by
 * the topic's schema and written as the archiver would write them (docs/design/0002-layer-contracts.md):
 * `events/<topic>/epoch=<e>/part-<p>-<first>-<last>.parquet`, zstd, in the schema's `lakeColumns` (`ts` int64
 * epoch ms, the fields, Kafka metadata), and `_sealed` for every epoch: the columns every engine reads (the Spark
 * peer and the DuckDB SQL read `ts` too). Generated once per event count under `.oxbow/bench/lake-<N>` and reused
 * (a `bench-lake.json` of the current format, written last, marks a complete lake).
 *
 * Beside it, under `<lake>/next-epoch/`, the **next epoch** of both topics (the Kafka offsets continue, a few late
 * events included): the incremental case links it into a working copy of the lake (`linkWorkLake`,
 * `linkNextEpoch`), so the cached lake itself is never written to by a run.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { defineParquetSchema, type FileSystem, openFileSystem, writeParquet } from '@oxbow/connectors';
import { encodeSealedMarker, epochOf, partFilePath, sealedPath } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  httpLogs,
  sensorReadings,
} from '@oxbow/example-web-analytics';
import type { AnyEvent, Schema } from '@oxbow/views';

type LakeRow = Record<string, unknown>;

/** The format of the lake (bumped when its columns change, so cached lakes of an older one are regenerated). */
const LAKE_FORMAT_VERSION = 4;

/** Sensor readings per http_logs event. */
const SENSOR_SHARE = 0.1;

/** How the benchmark lake is generated. */
export interface BenchLakeOptions {
  /** Number of http_logs events (the lake also holds a tenth as many sensor readings). */
  readonly events: number;
  /** Parent directory of the cached lakes (`<root>/lake-<events>`). */
  readonly root: string;
  /** Epoch length (default one hour, the contract's default). */
  readonly epochMs?: number;
  /** Simulated Kafka partitions of each topic (default 3); events go round-robin. */
  readonly kafkaPartitions?: number;
  /** Generator seed (default 42). */
  readonly seed?: number;
}

/** The epoch after the lake's last one, kept apart under `<lake>/next-epoch/` for the incremental case. */
export interface NextEpoch {
  readonly epoch: number;
  /** Its directory (the lake layout: `events/<topic>/epoch=<e>/…`). */
  readonly dir: string;
  readonly events: number;
  readonly sensorEvents: number;
  /** Its Parquet files, relative to `dir`. */
  readonly files: readonly string[];
  readonly bytes: number;
}

/** A generated lake: where it is and what it holds. */
export interface BenchLake {
  readonly dir: string;
  /** http_logs events. */
  readonly events: number;
  /** sensor_readings events. */
  readonly sensorEvents: number;
  /** Every Parquet file, relative to `dir`. */
  readonly files: readonly string[];
  /** Sealed epochs of http_logs (the watermark's topic: sensor readings span the same hours). */
  readonly epochs: number;
  /** The newest sealed epoch every topic has. */
  readonly lastEpoch: number;
  readonly bytes: number;
  /** Seconds it took to generate, or 0 when reused from the cache. */
  readonly generatedSeconds: number;
  readonly reused: boolean;
  readonly nextEpoch: NextEpoch;
}

interface LakeMarker {
  format: 'oxbow-bench-lake';
  version: number;
  events: number;
  sensorEvents: number;
  seed: number;
  epochMs: number;
  kafkaPartitions: number;
  files: string[];
  epochs: number;
  lastEpoch: number;
  bytes: number;
  generatedSeconds: number;
  nextEpoch: Omit<NextEpoch, 'dir'>;
}

const MARKER = 'bench-lake.json';
const NEXT_EPOCH_DIR = 'next-epoch';
/** 2026-11-02T00:00:00Z (a Monday): a fixed start, so the same N gives the same lake. */
const START_MS = Date.UTC(2026, 10, 2);

/** Returns the cached lake of `events` events, generating it first when absent or incomplete. */
export async function ensureBenchLake(options: BenchLakeOptions): Promise<BenchLake> {
  const epochMs = options.epochMs ?? 3_600_000;
  const kafkaPartitions = options.kafkaPartitions ?? 3;
  const seed = options.seed ?? 42;
  const dir = join(options.root, `lake-${options.events}`);
  const markerPath = join(dir, MARKER);
  if (existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as LakeMarker;
    if (
      marker.version === LAKE_FORMAT_VERSION &&
      marker.events === options.events &&
      marker.seed === seed &&
      marker.epochMs === epochMs &&
      marker.kafkaPartitions === kafkaPartitions
    ) {
      return {
        dir,
        ...marker,
        nextEpoch: { ...marker.nextEpoch, dir: join(dir, NEXT_EPOCH_DIR) },
        generatedSeconds: 0,
        reused: true,
      };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const fs = openFileSystem(`file://${dir}`);
  const sensorEvents = Math.round(options.events * SENSOR_SHARE);
  let http: TopicWritten;
  let sensors: TopicWritten;
  let next: Omit<NextEpoch, 'dir'>;
  try {
    // Both generators run at the default 100 events/s swing over the same start: equal spans at a tenth of the
    // rate for sensors.
    http = await writeTopic(
      fs,
      'http_logs',
      httpLogs,
      generateHttpLogs({ count: options.events, seed, startMs: START_MS }),
      {
        epochMs,
        kafkaPartitions,
      },
    );
    sensors = await writeTopic(
      fs,
      'sensor_readings',
      sensorReadings,
      generateSensorReadings({
        count: sensorEvents,
        seed: seed + 1,
        startMs: START_MS,
        ratePerSec: 100 * SENSOR_SHARE,
      }),
      { epochMs, kafkaPartitions },
    );
    // The archiver seals empty epochs too: the topic that ended first is sealed up to the other's last epoch, so
    // the watermark covers every file.
    const last = Math.max(http.epochs.at(-1) ?? 0, sensors.epochs.at(-1) ?? 0);
    for (const topic of [http, sensors]) await topic.sealThrough(last);
    next = await writeNextEpoch(join(dir, NEXT_EPOCH_DIR), last + 1, {
      epochMs,
      kafkaPartitions,
      seed,
      events: Math.ceil(options.events / Math.max(1, http.epochs.length)),
      httpOffsets: http.nextOffsets,
      sensorOffsets: sensors.nextOffsets,
    });
  } finally {
    await fs.close();
  }
  const marker: LakeMarker = {
    format: 'oxbow-bench-lake',
    version: LAKE_FORMAT_VERSION,
    events: options.events,
    sensorEvents,
    seed,
    epochMs,
    kafkaPartitions,
    files: [...http.files, ...sensors.files],
    epochs: http.epochs.length,
    lastEpoch: Math.max(http.epochs.at(-1) ?? 0, sensors.epochs.at(-1) ?? 0),
    bytes: http.bytes + sensors.bytes,
    generatedSeconds: (performance.now() - started) / 1000,
    nextEpoch: next,
  };
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, ...marker, nextEpoch: { ...next, dir: join(dir, NEXT_EPOCH_DIR) }, reused: false };
}

/**
 * Writes epoch `epoch` of both topics under `dir`: up to about `events` http_logs records (and a tenth as many
 * sensor readings) produced from the epoch's start, offsets continuing from the lake's, late events included, and
 * nothing past the epoch (the generators are cut where the append time leaves it); both topics sealed.
 */
async function writeNextEpoch(
  dir: string,
  epoch: number,
  options: {
    epochMs: number;
    kafkaPartitions: number;
    seed: number;
    events: number;
    httpOffsets: readonly number[];
    sensorOffsets: readonly number[];
  },
): Promise<Omit<NextEpoch, 'dir'>> {
  mkdirSync(dir, { recursive: true });
  const fs = openFileSystem(`file://${dir}`);
  try {
    const startMs = epoch * options.epochMs;
    const common = { epochMs: options.epochMs, kafkaPartitions: options.kafkaPartitions, onlyEpoch: epoch };
    const http = await writeTopic(
      fs,
      'http_logs',
      httpLogs,
      generateHttpLogs({ count: options.events, seed: options.seed + 2, startMs }),
      { ...common, firstOffsets: options.httpOffsets },
    );
    const sensors = await writeTopic(
      fs,
      'sensor_readings',
      sensorReadings,
      generateSensorReadings({
        count: Math.max(1, Math.round(options.events * SENSOR_SHARE)),
        seed: options.seed + 3,
        startMs,
        ratePerSec: 100 * SENSOR_SHARE,
      }),
      { ...common, firstOffsets: options.sensorOffsets },
    );
    for (const topic of [http, sensors]) await topic.sealThrough(epoch);
    return {
      epoch,
      events: http.records,
      sensorEvents: sensors.records,
      files: [...http.files, ...sensors.files],
      bytes: http.bytes + sensors.bytes,
    };
  } finally {
    await fs.close();
  }
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Hard-links every file of `from`'s `events/` into `to`'s. */
function linkEvents(from: string, to: string): void {
  for (const file of filesUnder(join(from, 'events'))) {
    const target = join(to, 'events', file);
    mkdirSync(dirname(target), { recursive: true });
    linkSync(join(from, 'events', file), target);
  }
}

/**
 * A fresh working copy of the lake at `workDir` (its `events/` hard-linked, no `views/`): the batch runs write their
 * versions there, and the incremental case appends the next epoch to it, leaving the cached lake as generated.
 */
export function linkWorkLake(lake: BenchLake, workDir: string): void {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  linkEvents(lake.dir, workDir);
}

/** Appends the lake's next epoch (files and `_sealed` markers of both topics) to the working copy `workDir`. */
export function linkNextEpoch(lake: BenchLake, workDir: string): void {
  linkEvents(lake.nextEpoch.dir, workDir);
}

/** Every file of the lake's `events/` (Parquet files and `_sealed` markers), relative to the lake. */
export function lakeEventFiles(lake: BenchLake): string[] {
  return filesUnder(join(lake.dir, 'events')).map((file) => join('events', file));
}

interface TopicWritten {
  readonly files: string[];
  /** Records written. */
  readonly records: number;
  /** The next offset of each partition. */
  readonly nextOffsets: readonly number[];
  /** Epochs holding records. */
  readonly epochs: number[];
  readonly bytes: number;
  /** Seals the empty epochs after the last one with records, up to `epoch`. */
  sealThrough(epoch: number): Promise<void>;
}

/**
 * Writes the records of one topic as the archiver does: validated by `schema`, filed by their append time (the
 * running maximum of event times) into epochs, one Parquet file per epoch and partition, every epoch sealed.
 */
async function writeTopic(
  fs: FileSystem,
  topic: string,
  schema: Schema<AnyEvent>,
  records: Iterable<Record<string, unknown>>,
  options: {
    epochMs: number;
    kafkaPartitions: number;
    /** Offsets to start from (default 0). */
    firstOffsets?: readonly number[];
    /** Write this epoch only: records append from its start and stop where it ends. */
    onlyEpoch?: number;
  },
): Promise<TopicWritten> {
  const { epochMs, kafkaPartitions } = options;
  const parquet = defineParquetSchema(schema.lakeColumns);
  const files: string[] = [];
  const epochs: number[] = [];
  let bytes = 0;
  const nextOffset = Array.from({ length: kafkaPartitions }, (_, p) => options.firstOffsets?.[p] ?? 0);
  let buffers: LakeRow[][] = Array.from({ length: kafkaPartitions }, () => []);
  let epoch: number | undefined;
  let appendTimeMs = options.onlyEpoch === undefined ? 0 : options.onlyEpoch * epochMs;

  const seal = async (sealedEpoch: number): Promise<void> => {
    const endOffsets: Record<string, string> = {};
    for (let partition = 0; partition < kafkaPartitions; partition++) {
      endOffsets[String(partition)] = String(nextOffset[partition] ?? 0);
    }
    const sealed = {
      topic,
      epoch: sealedEpoch,
      epochMs,
      sealedAt: new Date((sealedEpoch + 1) * epochMs).toISOString(),
      endOffsets,
    };
    await fs.putAtomic(sealedPath(topic, sealedEpoch), encodeSealedMarker(sealed));
  };

  const flush = async (sealedEpoch: number): Promise<void> => {
    for (let partition = 0; partition < kafkaPartitions; partition++) {
      const rows = buffers[partition] ?? [];
      const first = nextOffset[partition] ?? 0;
      if (rows.length > 0) {
        const path = partFilePath({
          topic,
          epoch: sealedEpoch,
          partition,
          firstOffset: BigInt(first),
          lastOffset: BigInt(first + rows.length - 1),
        });
        // biome-ignore lint/suspicious/noExplicitAny: rows hold the schema's lake columns, known only at run time.
        const summary = await writeParquet(fs, path, parquet, rows as any, { codec: 'zstd' });
        files.push(path);
        bytes += summary.bytes;
      }
      nextOffset[partition] = first + rows.length;
    }
    await seal(sealedEpoch);
    buffers = Array.from({ length: kafkaPartitions }, () => []);
    epochs.push(sealedEpoch);
  };

  let index = 0;
  for (const record of records) {
    const parsed = schema.parse(JSON.stringify(record), { now: Number.MAX_SAFE_INTEGER });
    if (!parsed.ok) throw new Error(`generated an invalid ${topic} record: ${parsed.reasons.join('; ')}`);
    const tsMs = schema.timeOf(parsed.event);
    // LogAppendTime never goes backwards: late events (event time in the past) append at the latest time seen.
    appendTimeMs = Math.max(appendTimeMs, tsMs);
    const recordEpoch = epochOf(appendTimeMs, epochMs);
    if (options.onlyEpoch !== undefined && recordEpoch > options.onlyEpoch) break;
    if (epoch !== undefined && recordEpoch !== epoch) {
      await flush(epoch);
      for (let empty = epoch + 1; empty < recordEpoch; empty++) await seal(empty);
    }
    epoch = recordEpoch;
    const partition = index % kafkaPartitions;
    const buffer = buffers[partition] as LakeRow[];
    buffer.push({
      ...parsed.event,
      kafkaPartition: partition,
      kafkaOffset: (nextOffset[partition] ?? 0) + buffer.length,
      appendTimeMs,
    });
    index++;
  }
  if (epoch !== undefined) await flush(epoch);
  const lastWithRecords = epoch;
  return {
    files,
    records: index,
    nextOffsets: nextOffset,
    epochs,
    bytes,
    async sealThrough(through) {
      const first = lastWithRecords !== undefined ? lastWithRecords + 1 : (options.onlyEpoch ?? through + 1);
      for (let empty = first; empty <= through; empty++) await seal(empty);
    },
  };
}
