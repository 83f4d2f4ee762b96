/**
 * Test inputs in the format of docs/design/0002-layer-contracts.md, built the way the batch and speed apps
 * write them: a lake with a manifest and a DuckDB file of view tables, and Redis increment hashes per epoch and
 * partition under a test-specific prefix. The views are those of the web-analytics example project.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RedisClient } from '@oxbow/connectors';
import {
  type BatchManifest,
  encodeManifest,
  historyManifestPath,
  MANIFEST_PATH,
  RedisLayout,
  versionDir,
} from '@oxbow/contracts';
import type { Aggregator } from '@oxbow/dataflow';
// The example project (apps name no example outside their tests).
import {
  generateHttpLogs,
  type HttpLogEvent,
  httpLogs,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import {
  type AnyEvent,
  bucketStart,
  loadProject,
  type ModelDefinition,
  type Project,
  type ViewDefinition,
} from '@oxbow/views';
import type { Redis } from 'ioredis';

export type { HttpLogEvent };

/** A view of a project, types erased. */
export type AnyView = ViewDefinition<AnyEvent>;

/** The web-analytics example project (loaded as `--project` would load it). */
export const exampleProject: Project = await loadProject(WEB_ANALYTICS_PROJECT);

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
    const parsed = httpLogs.parse(JSON.stringify(log), { now: START_MS + 86_400_000 });
    if (!parsed.ok) throw new Error(`generated event rejected: ${parsed.reasons.join('; ')}`);
    events.push(parsed.event);
  }
  return events;
}

/** Folds `events` per key and bucket with the view's aggregator (what batch and speed both do). */
export function foldStates(view: AnyView, events: Iterable<AnyEvent>): ViewStates {
  const aggregator = view.aggregator as Aggregator<AnyEvent, unknown, unknown>;
  const states: ViewStates = new Map();
  for (const event of events) {
    if (view.filter !== undefined && !view.filter(event)) continue;
    const key = view.keyOf(event);
    const bucket = bucketStart(view.timeOf(event), view.bucketMs);
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
  /**
   * The views and their states; `fingerprint` is what the manifest records for the view (default: the view's
   * own, as the batch app records it; `null`: none, as in manifests from before fingerprints).
   */
  readonly views: ReadonlyArray<{
    view: AnyView;
    states: ViewStates;
    fingerprint?: string | null | undefined;
  }>;
  /**
   * Models the version publishes (`views/v=<runId>/models/<name>.json`, listed in the manifest's `models`, as the
   * batch app writes them): the definition, the saved model (`@oxbow/ml`'s JSON) and the examples it learnt from.
   */
  readonly models?: ReadonlyArray<{
    model: ModelDefinition;
    saved: Readonly<Record<string, unknown>>;
    examples: number;
  }>;
}

/**
 * Writes `views/v=<runId>/views.duckdb` (one table per view: key, bucket, state, hits), the models' JSON files
 * (`views/v=<runId>/models/<name>.json`, when `models` is given) and then the manifest,
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
        const presented = view.aggregator.present(state) as Record<string, unknown>;
        appender.appendBigInt(BigInt(Number(presented.hits ?? 0)));
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
  const models = (version.models ?? []).map(({ model, saved, examples }) => {
    const path = `${relativeDir}/models/${model.name}.json`;
    mkdirSync(join(version.lakeDir, relativeDir, 'models'), { recursive: true });
    writeFileSync(join(version.lakeDir, path), JSON.stringify(saved));
    return {
      name: model.name,
      kind: model.kind,
      topic: model.topic,
      path,
      examples,
      fingerprint: model.fingerprint,
    };
  });
  const manifest: BatchManifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId: version.runId,
    epochMs: version.epochMs,
    watermarkEpoch: version.watermarkEpoch,
    endOffsets: { http_logs: { '0': '10', '1': '10', '2': '10' } },
    views: version.views.map(({ view, fingerprint }) => {
      const recorded = fingerprint === undefined ? view.fingerprint : fingerprint;
      return {
        name: view.name,
        rows: rows[view.name] ?? 0,
        parquet: `${relativeDir}/${view.name}.parquet`,
        ...(recorded === null ? {} : { fingerprint: recorded }),
      };
    }),
    duckdb: `${relativeDir}/views.duckdb`,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    durationsMs: { read: 0, compute: 0, write: 0 },
    ...(models.length === 0 ? {} : { models }),
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
 * the epoch's `rtkeys:` set, the `rtepochs:` sorted set and the partition's next offset (one more than before),
 * then announces the commit on `rtcommits` as the speed app does after its commit script (`announce: false`: not,
 * as an older speed layer or a lost message).
 */
export async function writeRealtime(
  redis: Redis,
  prefix: string,
  view: AnyView,
  epoch: number,
  partition: number,
  states: ViewStates,
  options: { announce?: boolean } = {},
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
  multi.hincrby(layout.offsets(view.topic), String(partition), 1);
  multi.get(layout.generation());
  const replies = (await multi.exec()) ?? [];
  const offset = replies.at(-2)?.[1];
  const generation = (replies.at(-1)?.[1] as string | null | undefined) ?? '';
  if (options.announce === false) return;
  await redis.publish(
    layout.commits(),
    JSON.stringify({
      v: 1,
      generation,
      offsets: { [view.topic]: { [String(partition)]: String(offset) } },
      views: { [view.name]: { [String(epoch)]: { [String(partition)]: [...states.keys()] } } },
    }),
  );
}

/**
 * Writes the speed layer's status hash: its position and `viewFingerprints` (JSON view → fingerprint; default
 * every view of `project` with its own fingerprint; `null`: the field is left out, as an older speed layer does).
 */
export async function writeSpeedStatus(
  redis: RedisClient,
  prefix: string,
  options: {
    project?: Project;
    fingerprints?: Readonly<Record<string, string>> | null;
    fields?: Readonly<Record<string, string>>;
  } = {},
): Promise<void> {
  const project = options.project ?? exampleProject;
  const fingerprints =
    options.fingerprints === undefined
      ? Object.fromEntries(project.views.map((view) => [view.name, view.fingerprint]))
      : options.fingerprints;
  const key = `${prefix}speed:status`;
  await redis.del(key);
  await redis.hset(key, {
    state: 'running',
    lagMs: '0',
    ...options.fields,
    ...(fingerprints === null ? {} : { viewFingerprints: JSON.stringify(fingerprints) }),
  });
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
