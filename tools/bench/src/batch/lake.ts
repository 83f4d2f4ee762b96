/**
 * The batch benchmark's master dataset: the web-analytics example's `generateHttpLogs` records (and one sensor
 * reading from `generateSensorReadings` for every ten of them, so every view of the example has data), validated by
 * the topic's schema and written as the archiver would write them (docs/design/0002-layer-contracts.md):
 * `events/<topic>/epoch=<e>/part-<p>-<first>-<last>.parquet`, zstd, in the schema's `lakeColumns` (`ts` int64
 * epoch ms, the fields, Kafka metadata), and `_sealed` for every epoch: the columns every engine reads (the Spark
 * peer and the DuckDB SQL read `ts` too). Generated once per event count under `.oxbow/bench/lake-<N>` and reused
 * (a `bench-lake.json` of the current format, written last, marks a complete lake).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
const LAKE_FORMAT_VERSION = 3;

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
}

const MARKER = 'bench-lake.json';
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
      return { dir, ...marker, generatedSeconds: 0, reused: true };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const fs = openFileSystem(`file://${dir}`);
  const sensorEvents = Math.round(options.events * SENSOR_SHARE);
  let http: TopicWritten;
  let sensors: TopicWritten;
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
  };
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, ...marker, reused: false };
}

interface TopicWritten {
  readonly files: string[];
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
  options: { epochMs: number; kafkaPartitions: number },
): Promise<TopicWritten> {
  const { epochMs, kafkaPartitions } = options;
  const parquet = defineParquetSchema(schema.lakeColumns);
  const files: string[] = [];
  const epochs: number[] = [];
  let bytes = 0;
  const nextOffset = new Array<number>(kafkaPartitions).fill(0);
  let buffers: LakeRow[][] = Array.from({ length: kafkaPartitions }, () => []);
  let epoch: number | undefined;
  let appendTimeMs = 0;

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
    epochs,
    bytes,
    async sealThrough(through) {
      for (let empty = (lastWithRecords ?? through) + 1; empty <= through; empty++) await seal(empty);
    },
  };
}
