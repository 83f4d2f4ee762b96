/**
 * The batch benchmark's master dataset: the web-analytics example's `generateHttpLogs` records, validated by its
 * `httpLogs` schema and written as the archiver would write them (docs/design/0002-layer-contracts.md):
 * `events/http_logs/epoch=<e>/part-<p>-<first>-<last>.parquet`, zstd, in the schema's `lakeColumns` (`ts` int64
 * epoch ms, the fields, Kafka metadata), plus a `tsMs` copy of `ts` that the Spark peer still reads (the batch app
 * reads only the schema's columns), and `_sealed` for every epoch. Generated once per event count under
 * `.oxbow/bench/lake-<N>` and reused (a `bench-lake.json` of the current format, written last, marks a complete
 * lake).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineParquetSchema, openFileSystem, writeParquet } from '@oxbow/connectors';
import { encodeSealedMarker, epochOf, partFilePath, sealedPath } from '@oxbow/contracts';
import { generateHttpLogs, httpLogs } from '@oxbow/example-web-analytics';

/** The http_logs row schema: the example schema's lake columns, then `tsMs` for the Spark peer. */
export const HTTP_LOG_PARQUET_SCHEMA = defineParquetSchema([
  ...httpLogs.lakeColumns,
  { name: 'tsMs', type: 'int64' },
]);

type HttpLogRow = Record<string, unknown>;

/** The format of the lake (bumped when its columns change, so cached lakes of an older one are regenerated). */
const LAKE_FORMAT_VERSION = 2;

/** How the benchmark lake is generated. */
export interface BenchLakeOptions {
  /** Number of events. */
  readonly events: number;
  /** Parent directory of the cached lakes (`<root>/lake-<events>`). */
  readonly root: string;
  /** Epoch length (default one hour, the contract's default). */
  readonly epochMs?: number;
  /** Simulated Kafka partitions of `http_logs` (default 3); events go round-robin. */
  readonly kafkaPartitions?: number;
  /** Generator seed (default 42). */
  readonly seed?: number;
}

/** A generated lake: where it is and what it holds. */
export interface BenchLake {
  readonly dir: string;
  readonly events: number;
  readonly files: readonly string[];
  readonly epochs: number;
  readonly bytes: number;
  /** Seconds it took to generate, or 0 when reused from the cache. */
  readonly generatedSeconds: number;
  readonly reused: boolean;
}

interface LakeMarker {
  format: 'oxbow-bench-lake';
  version: number;
  events: number;
  seed: number;
  epochMs: number;
  kafkaPartitions: number;
  files: string[];
  epochs: number;
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
  const written = await writeLake(dir, { events: options.events, epochMs, kafkaPartitions, seed });
  const marker: LakeMarker = {
    format: 'oxbow-bench-lake',
    version: LAKE_FORMAT_VERSION,
    events: options.events,
    seed,
    epochMs,
    kafkaPartitions,
    ...written,
    generatedSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, ...marker, reused: false };
}

async function writeLake(
  dir: string,
  options: { events: number; epochMs: number; kafkaPartitions: number; seed: number },
): Promise<{ files: string[]; epochs: number; bytes: number }> {
  const fs = openFileSystem(`file://${dir}`);
  const { epochMs, kafkaPartitions } = options;
  const files: string[] = [];
  let bytes = 0;
  let epochs = 0;
  const nextOffset = new Array<number>(kafkaPartitions).fill(0);
  let buffers: HttpLogRow[][] = Array.from({ length: kafkaPartitions }, () => []);
  let epoch: number | undefined;
  let appendTimeMs = 0;

  const flush = async (sealedEpoch: number): Promise<void> => {
    const endOffsets: Record<string, string> = {};
    for (let partition = 0; partition < kafkaPartitions; partition++) {
      const rows = buffers[partition] ?? [];
      const first = nextOffset[partition] ?? 0;
      if (rows.length > 0) {
        const path = partFilePath({
          topic: 'http_logs',
          epoch: sealedEpoch,
          partition,
          firstOffset: BigInt(first),
          lastOffset: BigInt(first + rows.length - 1),
        });
        // biome-ignore lint/suspicious/noExplicitAny: rows hold the schema's lake columns, known only at run time.
        const summary = await writeParquet(fs, path, HTTP_LOG_PARQUET_SCHEMA, rows as any, { codec: 'zstd' });
        files.push(path);
        bytes += summary.bytes;
      }
      nextOffset[partition] = first + rows.length;
      endOffsets[String(partition)] = String(nextOffset[partition]);
    }
    const sealed = {
      topic: 'http_logs',
      epoch: sealedEpoch,
      epochMs,
      sealedAt: new Date((sealedEpoch + 1) * epochMs).toISOString(),
      endOffsets,
    };
    await fs.putAtomic(sealedPath('http_logs', sealedEpoch), encodeSealedMarker(sealed));
    buffers = Array.from({ length: kafkaPartitions }, () => []);
    epochs++;
  };

  let index = 0;
  for (const log of generateHttpLogs({ count: options.events, seed: options.seed, startMs: START_MS })) {
    const parsed = httpLogs.parse(JSON.stringify(log), { now: Number.MAX_SAFE_INTEGER });
    if (!parsed.ok) throw new Error(`generated an invalid record: ${parsed.reasons.join('; ')}`);
    const tsMs = httpLogs.timeOf(parsed.event);
    // LogAppendTime never goes backwards: late events (event time in the past) append at the latest time seen.
    appendTimeMs = Math.max(appendTimeMs, tsMs);
    const recordEpoch = epochOf(appendTimeMs, epochMs);
    if (epoch !== undefined && recordEpoch !== epoch) await flush(epoch);
    epoch = recordEpoch;
    const partition = index % kafkaPartitions;
    const buffer = buffers[partition] as HttpLogRow[];
    buffer.push({
      ...parsed.event,
      tsMs,
      kafkaPartition: partition,
      kafkaOffset: (nextOffset[partition] ?? 0) + buffer.length,
      appendTimeMs,
    });
    index++;
  }
  if (epoch !== undefined) await flush(epoch);
  await fs.close();
  return { files, epochs, bytes };
}
