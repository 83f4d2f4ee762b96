/**
 * Test inputs in the format of docs/design/0002-layer-contracts.md, built the way the batch and speed apps
 * write them: a lake with a manifest and a DuckDB file of view tables, and Redis increment hashes per epoch and
 * partition under a test-specific prefix.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type BatchManifest,
  encodeManifest,
  historyManifestPath,
  MANIFEST_PATH,
  RedisLayout,
  versionDir,
} from '@oxbow/contracts';
import type { Aggregator } from '@oxbow/dataflow';
import {
  bucketStart,
  generateHttpLogs,
  type HttpLogEvent,
  parseHttpLog,
  type ViewDefinition,
} from '@oxbow/views';
import type { Redis } from 'ioredis';

/** A view with erased types. */
export type AnyView = ViewDefinition<HttpLogEvent, unknown, Record<string, unknown>>;

/** States per key, then per bucket start. */
export type ViewStates = Map<string, Map<number, unknown>>;

/** The first event time of the generated events (a fixed hour). */
export const START_MS = Date.parse('2026-11-24T10:00:00Z');

/** `count` HTTP log events (seeded), with their event times. */
export function httpEvents(count: number, seed: number): HttpLogEvent[] {
  const events: HttpLogEvent[] = [];
  for (const log of generateHttpLogs({
    count,
    seed,
    startMs: START_MS,
    ratePerSec: 0.2,
    lateFraction: 0.1,
  })) {
    const parsed = parseHttpLog(JSON.stringify(log), { now: START_MS + 86_400_000 });
    if (!parsed.ok) throw new Error(`generated event rejected: ${parsed.reasons.join('; ')}`);
    events.push(parsed.event);
  }
  return events;
}

/** Folds `events` per key and bucket with the view's aggregator (what batch and speed both do). */
export function foldStates(view: AnyView, events: Iterable<HttpLogEvent>): ViewStates {
  const aggregator = view.aggregator as Aggregator<HttpLogEvent, unknown, unknown>;
  const states: ViewStates = new Map();
  for (const event of events) {
    const key = view.keyOf(event);
    const bucket = bucketStart(event.tsMs, view.bucketMs);
    let buckets = states.get(key);
    if (!buckets) {
      buckets = new Map();
      states.set(key, buckets);
    }
    buckets.set(bucket, aggregator.append(buckets.get(bucket) ?? aggregator.zero, event));
  }
  return states;
}

/** What {@link writeBatchVersion} publishes. */
export interface BatchVersion {
  readonly lakeDir: string;
  readonly runId: string;
  readonly watermarkEpoch: number;
  readonly epochMs: number;
  readonly views: ReadonlyArray<{ view: AnyView; states: ViewStates }>;
}

/**
 * Writes `views/v=<runId>/views.duckdb` (one table per view: key, bucket, state, hits) and then the manifest,
 * `views/_manifest.json` and `views/_manifests/<runId>.json`, like the batch app.
 */
export async function writeBatchVersion(version: BatchVersion): Promise<void> {
  const dir = join(version.lakeDir, versionDir(version.runId));
  mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(join(dir, 'views.duckdb'));
  const connection = await instance.connect();
  const rows: Record<string, number> = {};
  for (const { view, states } of version.views) {
    await connection.run(
      `CREATE TABLE "${view.name}" (key VARCHAR, bucket BIGINT, state BLOB, hits BIGINT, PRIMARY KEY (key, bucket))`,
    );
    const appender = await connection.createAppender(view.name);
    let count = 0;
    for (const [key, buckets] of states) {
      for (const [bucket, state] of buckets) {
        appender.appendVarchar(key);
        appender.appendBigInt(BigInt(bucket));
        appender.appendBlob(view.aggregator.codec.serialize(state));
        appender.appendBigInt(BigInt(Number(view.aggregator.present(state).hits ?? 0)));
        appender.endRow();
        count++;
      }
    }
    appender.closeSync();
    rows[view.name] = count;
  }
  connection.closeSync();
  instance.closeSync();
  const relativeDir = versionDir(version.runId);
  const manifest: BatchManifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId: version.runId,
    epochMs: version.epochMs,
    watermarkEpoch: version.watermarkEpoch,
    endOffsets: { http_logs: { '0': '10', '1': '10', '2': '10' } },
    views: version.views.map(({ view }) => ({
      name: view.name,
      rows: rows[view.name] ?? 0,
      parquet: `${relativeDir}/${view.name}.parquet`,
    })),
    duckdb: `${relativeDir}/views.duckdb`,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    durationsMs: { read: 0, compute: 0, write: 0 },
  };
  const bytes = encodeManifest(manifest);
  const history = join(version.lakeDir, historyManifestPath(version.runId));
  mkdirSync(join(history, '..'), { recursive: true });
  writeFileSync(history, bytes);
  const current = join(version.lakeDir, MANIFEST_PATH);
  writeFileSync(`${current}.tmp`, bytes);
  renameSync(`${current}.tmp`, current);
}

/**
 * Writes the increments of one (view, epoch, partition) like the speed app: `rt:` hashes (bucket → codec bytes),
 * the epoch's `rtkeys:` set, the `rtepochs:` sorted set and the partition's offset.
 */
export async function writeRealtime(
  redis: Redis,
  prefix: string,
  view: AnyView,
  epoch: number,
  partition: number,
  states: ViewStates,
): Promise<void> {
  const layout = new RedisLayout(prefix);
  const multi = redis.multi();
  for (const [key, buckets] of states) {
    for (const [bucket, state] of buckets) {
      multi.hset(
        layout.increments(view.name, epoch, partition, key),
        String(bucket),
        Buffer.from(view.aggregator.codec.serialize(state)),
      );
    }
    multi.sadd(layout.keyIndex(view.name, epoch), key);
  }
  multi.zadd(layout.epochs(view.name), epoch, String(epoch));
  multi.hset(layout.offsets(view.topic), String(partition), '100');
  await multi.exec();
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
