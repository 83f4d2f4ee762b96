/**
 * The serving benchmark's batch version: `page_views_hourly` of the web-analytics example folded with the view's
 * own aggregator over generated HTTP logs — many paths (Zipf), many users (Zipf), one-hour buckets over a day and
 * a half — and published as the batch layer publishes it (docs/design/0002-layer-contracts.md): a DuckDB file
 * with the view table (`key, bucket, state` and the presented columns, primary key `(key, bucket)`, rows in key
 * order) under `views/v=<runId>/`, then `views/_manifests/<runId>.json` and `views/_manifest.json`.
 *
 * The states are exactly those the batch layer computes (same aggregator, same codec); they are folded here,
 * hour by hour, instead of by `runBatch` over a Parquet lake, because ten million events over 100 000 paths make
 * a million and more cells whose HyperLogLog states (4 KiB each in memory) the RDD engine would hold all at once.
 * Built once per options under `.oxbow/bench/serving-<events>-<paths>/` and reused (a `bench-serving.json`
 * written last marks a complete build).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { presentedColumns } from '@oxbow/batch';
import {
  type BatchManifest,
  encodeManifest,
  historyManifestPath,
  MANIFEST_PATH,
  versionDir,
} from '@oxbow/contracts';
import type { Aggregator } from '@oxbow/dataflow';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { type AnyEvent, loadProject, SeededRandom, WeightedChoice, WeightedIndex } from '@oxbow/views';

/** The view the benchmark serves. */
export const BENCH_VIEW = 'page_views_hourly';

/** How the dataset is generated. */
export interface ServingDatasetOptions {
  /** Events folded into the batch version. */
  readonly events: number;
  /** Distinct paths (the view's keys), drawn by Zipf's law. */
  readonly paths: number;
  /** Zipf exponent of the paths (default 1.0). */
  readonly pathExponent?: number;
  /** Distinct users (default 500 000), drawn by Zipf's law (exponent 1.05). */
  readonly users?: number;
  /** Hours of event time (default 36): the number of one-hour buckets. */
  readonly hours?: number;
  /** Generator seed (default 7). */
  readonly seed?: number;
  /** Parent directory of the cached datasets. */
  readonly root: string;
  /** Told about progress. */
  readonly log?: (line: string) => void;
}

/** A built dataset. */
export interface ServingDataset {
  /** The lake directory (its `views/` holds the version and the manifest). */
  readonly lakeDir: string;
  readonly runId: string;
  readonly epochMs: number;
  readonly watermarkEpoch: number;
  /** First and end (exclusive) event time of the batch part. */
  readonly startMs: number;
  readonly endMs: number;
  readonly events: number;
  readonly paths: number;
  /** Keys present in the view. */
  readonly keys: number;
  /** (key, bucket) rows of the view table. */
  readonly cells: number;
  /** Seconds the build took (0 when reused). */
  readonly builtSeconds: number;
  readonly reused: boolean;
}

const FORMAT = 'oxbow-bench-serving';
const FORMAT_VERSION = 1;
const MARKER = 'bench-serving.json';
/** 2026-11-02T00:00:00Z, as the batch benchmark's lake: the same options give the same dataset. */
const START_MS = Date.UTC(2026, 10, 2);
const HOUR_MS = 3_600_000;

/** The path of popularity rank `rank` (0 = most requested): varied lengths, like a catalogue. */
export function benchPath(rank: number): string {
  if (rank === 0) return '/';
  return `/c/${rank % 97}/item-${rank}`;
}

const STATUSES = new WeightedChoice<number>([
  [200, 88],
  [204, 2],
  [304, 3],
  [404, 2],
  [400, 1],
  [500, 2.5],
  [503, 1.5],
]);

/** One generated, parsed http_logs event (only the fields the example's views read are meaningful). */
export function benchEvent(random: SeededRandom, path: string, userRank: number, tsMs: number): AnyEvent {
  const status = STATUSES.draw(random);
  const slow = random.chance(0.02) ? 8 : 1;
  return {
    ts: tsMs,
    host: 'www.oxbow.example',
    method: 'GET',
    path,
    status,
    bytes: status === 204 || status === 304 ? 0 : Math.round(random.logNormal(6000, 1.1)),
    latencyMs: Math.round(random.logNormal(45, 0.7) * slow * (status >= 500 ? 4 : 1) * 10) / 10,
    userId: `u${String(userRank + 1).padStart(7, '0')}`,
    country: 'NL',
    userAgent: 'bench',
  };
}

interface Marker extends ServingDataset {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly options: Required<Omit<ServingDatasetOptions, 'root' | 'log'>>;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** Returns the cached dataset of `options`, building it first when absent or of other options. */
export async function ensureServingDataset(options: ServingDatasetOptions): Promise<ServingDataset> {
  const resolved: Marker['options'] = {
    events: options.events,
    paths: options.paths,
    pathExponent: options.pathExponent ?? 1.0,
    users: options.users ?? 500_000,
    hours: options.hours ?? 36,
    seed: options.seed ?? 7,
  };
  const log = options.log ?? (() => {});
  const lakeDir = join(options.root, `serving-${resolved.events}-${resolved.paths}`);
  const markerPath = join(lakeDir, MARKER);
  if (existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
    if (
      marker.format === FORMAT &&
      marker.version === FORMAT_VERSION &&
      JSON.stringify(marker.options) === JSON.stringify(resolved)
    ) {
      return { ...pickDataset(marker), lakeDir, builtSeconds: 0, reused: true };
    }
  }
  rmSync(lakeDir, { recursive: true, force: true });
  const started = performance.now();
  const project = await loadProject(WEB_ANALYTICS_PROJECT);
  const view = project.view(BENCH_VIEW);
  const aggregator = view.aggregator as Aggregator<AnyEvent, unknown, unknown>;
  const columns = presentedColumns(view);
  const runId = `20261103T130000000Z-5e${String(resolved.paths % 1_000_000).padStart(6, '0')}`;
  const relativeDir = versionDir(runId);
  const versionPath = join(lakeDir, relativeDir);
  mkdirSync(versionPath, { recursive: true });
  const instance = await DuckDBInstance.create(join(versionPath, 'views.duckdb'));
  const connection = await instance.connect();
  await connection.run(
    `CREATE TABLE staging (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL${columns
      .map((column) => `, ${quote(column.name)} ${column.type}`)
      .join('')})`,
  );
  const appender = await connection.createAppender('staging');
  const random = new SeededRandom(resolved.seed);
  const paths = WeightedIndex.zipf(resolved.paths, resolved.pathExponent);
  const users = WeightedIndex.zipf(resolved.users, 1.05);
  const pathNames = Array.from({ length: resolved.paths }, (_, rank) => benchPath(rank));
  const keysSeen = new Set<string>();
  let cells = 0;
  let emitted = 0;
  for (let hour = 0; hour < resolved.hours; hour++) {
    const bucket = START_MS + hour * HOUR_MS;
    const inHour = Math.round(((hour + 1) * resolved.events) / resolved.hours) - emitted;
    const states = new Map<string, unknown>();
    for (let i = 0; i < inHour; i++) {
      const path = pathNames[paths.draw(random)] as string;
      const event = benchEvent(
        random,
        path,
        users.draw(random),
        bucket + Math.floor(random.next() * HOUR_MS),
      );
      states.set(path, aggregator.append(states.get(path) ?? aggregator.zero, event));
    }
    emitted += inHour;
    for (const [key, state] of states) {
      const presented = aggregator.present(state);
      appender.appendVarchar(key);
      appender.appendBigInt(BigInt(bucket));
      appender.appendBlob(aggregator.codec.serialize(state));
      for (const column of columns) {
        const value = column.pick(presented);
        if (column.type === 'VARCHAR') appender.appendVarchar(JSON.stringify(value ?? null));
        else if (typeof value !== 'number' || !Number.isFinite(value)) appender.appendNull();
        else if (column.type === 'BIGINT') appender.appendBigInt(BigInt(Math.round(value)));
        else appender.appendDouble(value);
      }
      appender.endRow();
      keysSeen.add(key);
      cells++;
    }
    log(`serving dataset: hour ${hour + 1}/${resolved.hours}, ${emitted} events, ${cells} cells`);
  }
  appender.flushSync();
  appender.closeSync();
  await connection.run(
    `CREATE TABLE ${quote(BENCH_VIEW)} (key VARCHAR NOT NULL, bucket BIGINT NOT NULL, state BLOB NOT NULL${columns
      .map((column) => `, ${quote(column.name)} ${column.type}`)
      .join('')}, PRIMARY KEY (key, bucket))`,
  );
  await connection.run(`INSERT INTO ${quote(BENCH_VIEW)} SELECT * FROM staging ORDER BY key, bucket`);
  await connection.run('DROP TABLE staging');
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();

  const endMs = START_MS + resolved.hours * HOUR_MS;
  const epochMs = HOUR_MS;
  const watermarkEpoch = Math.floor((endMs - 1) / epochMs);
  const now = new Date().toISOString();
  const manifest: BatchManifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId,
    epochMs,
    watermarkEpoch,
    endOffsets: {},
    views: [
      {
        name: BENCH_VIEW,
        rows: cells,
        parquet: `${relativeDir}/${BENCH_VIEW}.parquet`,
        fingerprint: view.fingerprint,
      },
    ],
    duckdb: `${relativeDir}/views.duckdb`,
    startedAt: now,
    finishedAt: now,
    durationsMs: { read: 0, compute: 0, write: 0 },
  };
  const bytes = encodeManifest(manifest);
  const history = join(lakeDir, historyManifestPath(runId));
  mkdirSync(join(history, '..'), { recursive: true });
  writeFileSync(history, bytes);
  const current = join(lakeDir, MANIFEST_PATH);
  writeFileSync(`${current}.tmp`, bytes);
  renameSync(`${current}.tmp`, current);

  const dataset: ServingDataset = {
    lakeDir,
    runId,
    epochMs,
    watermarkEpoch,
    startMs: START_MS,
    endMs,
    events: resolved.events,
    paths: resolved.paths,
    keys: keysSeen.size,
    cells,
    builtSeconds: (performance.now() - started) / 1000,
    reused: false,
  };
  const marker: Marker = { format: FORMAT, version: FORMAT_VERSION, options: resolved, ...dataset };
  writeFileSync(markerPath, `${JSON.stringify(marker, null, 2)}\n`);
  return dataset;
}

function pickDataset(marker: Marker): Omit<ServingDataset, 'lakeDir' | 'builtSeconds' | 'reused'> {
  const { runId, epochMs, watermarkEpoch, startMs, endMs, events, paths, keys, cells } = marker;
  return { runId, epochMs, watermarkEpoch, startMs, endMs, events, paths, keys, cells };
}
