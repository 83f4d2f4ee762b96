/**
 * Writes a master dataset the way the archiver does (docs/design/0002-layer-contracts.md) for the web-analytics
 * example: records from the example's generators, validated by the topic's schema (`schema.parse`), Kafka metadata
 * assigned here (round-robin partitions, offsets, non-decreasing append times), one Parquet file per
 * (epoch, partition) in the schema's lake columns, and `_sealed` markers for every epoch but the last of each
 * topic. A topic with no records gets no directory at all.
 */
import { defineParquetSchema, type FileSystem, writeParquet } from '@oxbow/connectors';
import { encodeSealedMarker, epochOf, partFilePath, sealedPath } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  type HttpLog,
  httpLogs,
  type SensorReading,
  sensorReadings,
} from '@oxbow/example-web-analytics';
import type { AnyEvent, Schema } from '@oxbow/views';

/** What the generated lake holds. */
export interface GeneratedLake {
  readonly epochMs: number;
  /** Per project topic: the sealed epochs and the raw records of each epoch. */
  readonly topics: {
    readonly http_logs: GeneratedTopic<HttpLog>;
    readonly sensor_readings: GeneratedTopic<SensorReading>;
  };
  /** The watermark a run must find: the largest epoch sealed for every topic with records. */
  readonly watermark: number;
}

/** One generated topic. */
export interface GeneratedTopic<R> {
  /** The lake directory (Kafka topic) it was written to. */
  readonly directory: string;
  readonly records: ReadonlyArray<{ readonly record: R; readonly epoch: number }>;
  readonly sealed: readonly number[];
  /** `_sealed` end offsets per sealed epoch. */
  readonly endOffsets: ReadonlyMap<number, Record<string, string>>;
  readonly files: number;
}

/** Options of {@link writeGeneratedLake}. */
export interface GeneratedLakeOptions {
  readonly epochMs: number;
  readonly httpCount: number;
  readonly sensorCount: number;
  readonly seed?: number;
  readonly partitions?: number;
  readonly startMs?: number;
  /** Events per second of event time (default 20 for HTTP logs, 8 for readings). */
  readonly httpRate?: number;
  readonly sensorRate?: number;
  /** The lake directory (Kafka topic) of the HTTP logs (default `http_logs`; a renamed topic otherwise). */
  readonly httpDirectory?: string;
}

const NOW = Date.UTC(2030, 0, 1);

/**
 * Writes `records` of one topic as the archiver would: each validated by `schema`, filed by its append time (the
 * running maximum of event times) into epochs, one Parquet file per epoch and partition.
 */
export async function writeTopic<R extends object>(
  fs: FileSystem,
  directory: string,
  schema: Schema<AnyEvent>,
  records: readonly R[],
  epochMs: number,
  partitions: number,
): Promise<GeneratedTopic<R>> {
  const parquet = defineParquetSchema(schema.lakeColumns);
  const nextOffset = new Array<number>(partitions).fill(0);
  const byFile = new Map<
    string,
    { epoch: number; partition: number; rows: object[]; first: number; last: number }
  >();
  const out: Array<{ record: R; epoch: number }> = [];
  let appendTimeMs = 0;
  records.forEach((record, index) => {
    const parsed = schema.parse(JSON.stringify(record), { now: NOW });
    if (!parsed.ok) throw new Error(`generated record is invalid: ${parsed.reasons.join('; ')}`);
    appendTimeMs = Math.max(appendTimeMs, schema.timeOf(parsed.event));
    const epoch = epochOf(appendTimeMs, epochMs);
    const partition = index % partitions;
    const offset = nextOffset[partition] ?? 0;
    nextOffset[partition] = offset + 1;
    const id = `${epoch}/${partition}`;
    const file = byFile.get(id) ?? { epoch, partition, rows: [], first: offset, last: offset };
    file.rows.push({ ...parsed.event, kafkaPartition: partition, kafkaOffset: offset, appendTimeMs });
    file.last = offset;
    byFile.set(id, file);
    out.push({ record, epoch });
  });
  for (const file of byFile.values()) {
    const path = partFilePath({
      topic: directory,
      epoch: file.epoch,
      partition: file.partition,
      firstOffset: BigInt(file.first),
      lastOffset: BigInt(file.last),
    });
    // biome-ignore lint/suspicious/noExplicitAny: rows hold the schema's lake columns, known only at run time.
    await writeParquet(fs, path, parquet, file.rows as any, { rowGroupRows: 500 });
  }
  const epochs = [...new Set(out.map((entry) => entry.epoch))].sort((a, b) => a - b);
  const sealed = epochs.slice(0, -1);
  const endOffsets = new Map<number, Record<string, string>>();
  for (const epoch of sealed) {
    const offsets: Record<string, string> = {};
    for (let partition = 0; partition < partitions; partition++) {
      const upTo = out.filter(
        (entry, index) => index % partitions === partition && entry.epoch <= epoch,
      ).length;
      offsets[String(partition)] = String(upTo);
    }
    endOffsets.set(epoch, offsets);
    const marker = {
      topic: directory,
      epoch,
      epochMs,
      sealedAt: new Date(NOW).toISOString(),
      endOffsets: offsets,
    };
    await fs.putAtomic(sealedPath(directory, epoch), encodeSealedMarker(marker));
  }
  return { directory, records: out, sealed, endOffsets, files: byFile.size };
}

/**
 * Generates both topics of the web-analytics example and writes them to `fs` (a lake root).
 *
 * @example
 * const lake = await writeGeneratedLake(fs, { epochMs: 30_000, httpCount: 3000, sensorCount: 1000 });
 */
export async function writeGeneratedLake(
  fs: FileSystem,
  options: GeneratedLakeOptions,
): Promise<GeneratedLake> {
  const seed = options.seed ?? 2026;
  const partitions = options.partitions ?? 2;
  const startMs = options.startMs ?? Date.UTC(2026, 10, 23, 23, 58);
  const http =
    options.httpCount === 0
      ? []
      : [
          ...generateHttpLogs({
            count: options.httpCount,
            seed,
            startMs,
            ratePerSec: options.httpRate ?? 20,
          }),
        ];
  const sensors =
    options.sensorCount === 0
      ? []
      : [
          ...generateSensorReadings({
            count: options.sensorCount,
            seed: seed + 1,
            startMs,
            ratePerSec: options.sensorRate ?? 8,
          }),
        ];
  const httpTopic = await writeTopic(
    fs,
    options.httpDirectory ?? 'http_logs',
    httpLogs,
    http,
    options.epochMs,
    partitions,
  );
  const sensorTopic = await writeTopic(
    fs,
    'sensor_readings',
    sensorReadings,
    sensors,
    options.epochMs,
    partitions,
  );
  const lastSealed = [httpTopic, sensorTopic]
    .filter((topic) => topic.records.length > 0)
    .map((topic) => topic.sealed.at(-1) ?? Number.NaN);
  return {
    epochMs: options.epochMs,
    topics: { http_logs: httpTopic, sensor_readings: sensorTopic },
    watermark: lastSealed.length === 0 ? Number.NaN : Math.min(...lastSealed),
  };
}
