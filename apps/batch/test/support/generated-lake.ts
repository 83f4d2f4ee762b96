/**
 * Writes a master dataset the way the archiver does (docs/design/0002-layer-contracts.md): events from the views
 * generator, Kafka metadata assigned here (round-robin partitions, offsets, non-decreasing append times), one
 * Parquet file per (epoch, partition) written with @oxbow/connectors' writeParquet, and `_sealed` markers for
 * every epoch but the last of each topic.
 */
import { type FileSystem, writeParquet } from '@oxbow/connectors';
import { encodeSealedMarker, epochOf, partFilePath, sealedPath } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  type HttpLog,
  parseHttpLog,
  parseSensorReading,
  type SensorReading,
} from '@oxbow/views';
import { HTTP_LOG_ROW_SCHEMA, SENSOR_READING_ROW_SCHEMA } from '../../src/lake/event-schemas.ts';

/** What the generated lake holds. */
export interface GeneratedLake {
  readonly epochMs: number;
  /** Per topic: the sealed epochs and the raw records of each epoch. */
  readonly topics: {
    readonly http_logs: GeneratedTopic<HttpLog>;
    readonly sensor_readings: GeneratedTopic<SensorReading>;
  };
  /** The watermark a run must find: the largest epoch sealed for both topics. */
  readonly watermark: number;
}

/** One generated topic. */
export interface GeneratedTopic<R> {
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
}

const NOW = Date.UTC(2030, 0, 1);

async function writeTopic<R extends { ts: string }>(
  fs: FileSystem,
  topic: 'http_logs' | 'sensor_readings',
  records: readonly R[],
  epochMs: number,
  partitions: number,
  toRow: (record: R, tsMs: number, partition: number, offset: number, appendTimeMs: number) => object,
): Promise<GeneratedTopic<R>> {
  const nextOffset = new Array<number>(partitions).fill(0);
  const byFile = new Map<
    string,
    { epoch: number; partition: number; rows: object[]; first: number; last: number }
  >();
  const out: Array<{ record: R; epoch: number }> = [];
  let appendTimeMs = 0;
  records.forEach((record, index) => {
    const tsMs = Date.parse(record.ts);
    appendTimeMs = Math.max(appendTimeMs, tsMs);
    const epoch = epochOf(appendTimeMs, epochMs);
    const partition = index % partitions;
    const offset = nextOffset[partition] ?? 0;
    nextOffset[partition] = offset + 1;
    const id = `${epoch}/${partition}`;
    const file = byFile.get(id) ?? { epoch, partition, rows: [], first: offset, last: offset };
    file.rows.push(toRow(record, tsMs, partition, offset, appendTimeMs));
    file.last = offset;
    byFile.set(id, file);
    out.push({ record, epoch });
  });
  for (const file of byFile.values()) {
    const path = partFilePath({
      topic,
      epoch: file.epoch,
      partition: file.partition,
      firstOffset: BigInt(file.first),
      lastOffset: BigInt(file.last),
    });
    const schema = topic === 'http_logs' ? HTTP_LOG_ROW_SCHEMA : SENSOR_READING_ROW_SCHEMA;
    // biome-ignore lint/suspicious/noExplicitAny: rows are built per topic by `toRow`, matching `schema`.
    await writeParquet(fs, path, schema as any, file.rows as any, { rowGroupRows: 500 });
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
    const marker = { topic, epoch, epochMs, sealedAt: new Date(NOW).toISOString(), endOffsets: offsets };
    await fs.putAtomic(sealedPath(topic, epoch), encodeSealedMarker(marker));
  }
  return { records: out, sealed, endOffsets, files: byFile.size };
}

/**
 * Generates both topics and writes them to `fs` (a lake root).
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
  const http = [
    ...generateHttpLogs({ count: options.httpCount, seed, startMs, ratePerSec: options.httpRate ?? 20 }),
  ];
  const sensors = [
    ...generateSensorReadings({
      count: options.sensorCount,
      seed: seed + 1,
      startMs,
      ratePerSec: options.sensorRate ?? 8,
    }),
  ];
  const httpTopic = await writeTopic(
    fs,
    'http_logs',
    http,
    options.epochMs,
    partitions,
    (record, _ts, p, o, at) => {
      const parsed = parseHttpLog(JSON.stringify(record), { now: NOW });
      if (!parsed.ok) throw new Error(`generated record is invalid: ${parsed.reasons.join('; ')}`);
      return { ...parsed.event, kafkaPartition: p, kafkaOffset: o, appendTimeMs: at };
    },
  );
  const sensorTopic = await writeTopic(
    fs,
    'sensor_readings',
    sensors,
    options.epochMs,
    partitions,
    (record, _ts, p, o, at) => {
      const parsed = parseSensorReading(JSON.stringify(record), { now: NOW });
      if (!parsed.ok) throw new Error(`generated reading is invalid: ${parsed.reasons.join('; ')}`);
      return { ...parsed.event, kafkaPartition: p, kafkaOffset: o, appendTimeMs: at };
    },
  );
  const watermark = Math.min(httpTopic.sealed.at(-1) ?? Number.NaN, sensorTopic.sealed.at(-1) ?? Number.NaN);
  return {
    epochMs: options.epochMs,
    topics: { http_logs: httpTopic, sensor_readings: sensorTopic },
    watermark,
  };
}
