/**
 * One batch run: lock, find the watermark epoch E, recompute the chosen views over every sealed epoch ≤ E, write
 * the new version (Parquet per view + a DuckDB file) under `views/v=<runId>/`, publish the manifest last, delete
 * old versions, unlock. A crash at any point before the manifest leaves the previous version served.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  decodeSealedMarker,
  encodeManifest,
  historyManifestPath,
  MANIFEST_PATH,
  parseTopicBindings,
  sealedPath,
  topicPrefix,
  versionDir,
} from '@oxbow/contracts';
import { DataflowContext } from '@oxbow/dataflow';
import { VIEW_NAMES, VIEWS, type ViewName, type ViewTopic, viewByName } from '@oxbow/views';
import { batchViewJob, type ViewCell } from '../compute/batch-view-job.ts';
import { computeWithDuckDb, LocalLakeFiles } from '../compute/duckdb-engine.ts';
import { hasSqlPlan } from '../compute/sql-plans.ts';
import { BatchError } from '../errors.ts';
import {
  classifyTopicFiles,
  lastSealedAtOrBefore,
  type TopicListing,
  watermarkEpoch,
} from '../lake/lake-listing.ts';
import { type BatchConfig, storageOptionsOf } from '../lake/storage-options.ts';
import { collectGarbage } from '../publish/retention.ts';
import { DUCKDB_FILE, writeViewTables } from '../publish/view-tables.ts';
import { LakeLock } from './lake-lock.ts';
import { type ProgressReporter, silentProgress } from './progress.ts';
import { newRunId } from './run-id.ts';

/** Which engine computes a view: the RDD path, DuckDB SQL, or DuckDB where a plan exists and the lake is local. */
export type BatchEngine = 'rdd' | 'duckdb' | 'auto';

/** Options of {@link runBatch}. */
export interface BatchRunOptions {
  /** Views to compute (default: all). The manifest then lists only these. */
  readonly views?: readonly string[];
  /** Cap the watermark: only sealed epochs ≤ this one. */
  readonly untilEpoch?: number;
  /** Default `auto`. `duckdb` fails for views without a SQL plan. */
  readonly engine?: BatchEngine;
  /** Worker threads (default: the `batchParallelism` setting). */
  readonly parallelism?: number;
  /** The clock (run ids, manifest times, lock expiry). Default `Date.now`. */
  readonly now?: () => number;
  readonly progress?: ProgressReporter;
  /** How long a new lock must stay ours before the run proceeds (see `lake-lock.ts`). Default 250 ms. */
  readonly lockSettleMs?: number;
  /** Called once every data file of the version is uploaded, before the manifest (crash tests). */
  readonly afterDataWritten?: (runId: string) => Promise<void> | void;
}

/** One view's line of the summary. */
export interface ViewRunSummary {
  readonly name: string;
  readonly engine: 'rdd' | 'duckdb';
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** What a run did. */
export interface BatchRunSummary {
  /** `published`: a new manifest; `locked`: another run holds the lock; `nothing-sealed`: no sealed epoch yet. */
  readonly status: 'published' | 'locked' | 'nothing-sealed';
  readonly runId: string;
  readonly watermarkEpoch?: number;
  readonly manifest?: BatchManifest;
  readonly views: readonly ViewRunSummary[];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  /** Version directories deleted by garbage collection. */
  readonly deletedVersions: readonly string[];
  /** Tasks the RDD engine ran on worker threads. */
  readonly tasksInWorkers: number;
  readonly parallelism: number;
}

function selectViews(names: readonly string[] | undefined): ViewName[] {
  if (names === undefined || names.length === 0) return [...VIEW_NAMES];
  const chosen: ViewName[] = [];
  for (const name of names) {
    try {
      const view = viewByName(name);
      if (!chosen.includes(view.name as ViewName)) chosen.push(view.name as ViewName);
    } catch (error) {
      throw new BatchError('OXBOW_BATCH_USAGE', error instanceof Error ? error.message : String(error));
    }
  }
  return chosen;
}

/**
 * The lake directory (`events/<topic>/`) of each event topic: the Kafka topic the archiver archives it from
 * (`archiverTopics`, `TOPIC:SCHEMA` entries); an event topic not renamed there is its own directory.
 */
function lakeTopicsOf(archiverTopics: string | undefined): Map<string, string> {
  const topics = new Map<string, string>();
  for (const { topic, schema } of parseTopicBindings(archiverTopics ?? '', 'OXBOW_ARCHIVER_TOPICS')) {
    if (topic !== schema) topics.set(schema, topic);
  }
  return topics;
}

async function listTopic(fs: FileSystem, topic: string): Promise<TopicListing> {
  const files: Array<{ path: string; size: number }> = [];
  for await (const file of fs.list(topicPrefix(topic))) files.push(file);
  return classifyTopicFiles(topic, files);
}

/**
 * Runs the batch layer once.
 *
 * @example
 * ```ts
 * const { config } = await loadConfig();
 * const summary = await runBatch(config, { views: ['status_minutely'], engine: 'auto' });
 * summary.status; // 'published'
 * summary.manifest?.watermarkEpoch;
 * ```
 */
export async function runBatch(config: BatchConfig, options: BatchRunOptions = {}): Promise<BatchRunSummary> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? silentProgress;
  const engine = options.engine ?? 'auto';
  if (!['rdd', 'duckdb', 'auto'].includes(engine)) {
    throw new BatchError('OXBOW_BATCH_USAGE', `unknown engine "${engine}" (expected rdd, duckdb or auto)`);
  }
  const viewNames = selectViews(options.views);
  if (engine === 'duckdb') {
    const without = viewNames.filter((name) => !hasSqlPlan(name));
    if (without.length > 0) {
      throw new BatchError(
        'OXBOW_BATCH_NO_SQL_PLAN',
        `no SQL plan for ${without.join(', ')}: --engine duckdb computes only views with one (use auto)`,
      );
    }
  }
  const parallelism = options.parallelism ?? config.batchParallelism;
  const startedAtMs = now();
  const runId = newRunId(startedAtMs);
  const storage = storageOptionsOf(config);
  const fs = openFileSystem(config.lake, storage);
  const durations = { read: 0, compute: 0, write: 0 };
  const base = { runId, startedAtMs, parallelism, durationsMs: durations, deletedVersions: [], views: [] };
  let lock: LakeLock | undefined;
  let scratch: string | undefined;
  let ctx: DataflowContext | undefined;
  try {
    lock = await LakeLock.acquire(fs, {
      runId,
      ttlMs: config.batchLockTtlMs,
      now,
      ...(options.lockSettleMs === undefined ? {} : { settleMs: options.lockSettleMs }),
    });
    if (lock === undefined) {
      progress.log('locked', { runId, message: 'another batch run holds views/_lock' });
      return { ...base, status: 'locked', finishedAtMs: now(), tasksInWorkers: 0 };
    }
    progress.log('run-started', { runId, lake: config.lake, views: viewNames, engine, parallelism });

    // Read: list the lake, find E and its end offsets.
    let phase = Date.now();
    const lakeTopics = lakeTopicsOf(config.archiverTopics);
    const eventTopicOf = new Map<string, ViewTopic>();
    for (const name of viewNames)
      eventTopicOf.set(lakeTopics.get(VIEWS[name].topic) ?? VIEWS[name].topic, VIEWS[name].topic);
    const topics = [...eventTopicOf.keys()];
    progress.stage('list', topics.length);
    const listings: TopicListing[] = [];
    for (const topic of topics) {
      listings.push(await listTopic(fs, topic));
      progress.advance(listings.length, topic);
    }
    const watermark = watermarkEpoch(listings, options.untilEpoch);
    if (watermark === undefined) {
      progress.log('nothing-sealed', { runId, message: 'no sealed epoch to compute from' });
      return { ...base, status: 'nothing-sealed', finishedAtMs: now(), tasksInWorkers: 0 };
    }
    const endOffsets: Record<string, Record<string, string>> = {};
    const filesOf = new Map<ViewTopic, string[]>();
    for (const listing of listings) {
      const topic = listing.topic;
      filesOf.set(
        eventTopicOf.get(topic) as ViewTopic,
        listing.files.filter((file) => file.epoch <= watermark).map((file) => file.path),
      );
      const sealed = lastSealedAtOrBefore(listing, watermark);
      if (sealed !== undefined) {
        const path = sealedPath(topic, sealed);
        endOffsets[topic] = { ...decodeSealedMarker(await fs.read(path), path).endOffsets };
      }
    }
    progress.log('watermark', { runId, watermarkEpoch: watermark, files: Object.fromEntries(filesOf) });
    durations.read += Date.now() - phase;

    // Compute every view.
    scratch = await mkdtemp(join(tmpdir(), 'oxbow-batch-'));
    const localFiles = new LocalLakeFiles(fs, scratch);
    ctx = new DataflowContext({
      parallelism,
      appName: `oxbow-batch ${runId}`,
      onInProcessStage: (reason) => progress.log('in-process-stage', { reason }),
    });
    const results: Array<{ view: (typeof VIEWS)[ViewName]; cells: ViewCell[] }> = [];
    const summaries: ViewRunSummary[] = [];
    progress.stage('compute', viewNames.length);
    for (const name of viewNames) {
      const view = VIEWS[name];
      const files = filesOf.get(view.topic) ?? [];
      const useSql = engine === 'duckdb' || (engine === 'auto' && hasSqlPlan(name) && localFiles.isLocal);
      const began = Date.now();
      let cells: ViewCell[];
      let rowsIn: number;
      if (useSql) {
        ({ cells, rowsIn } = await computeWithDuckDb(name, files, localFiles, parallelism));
      } else {
        const job = ctx.job(batchViewJob, {
          lakeUrl: config.lake,
          storage,
          view: name,
          files,
          numPartitions: parallelism,
        });
        cells = await job.cells.collect();
        rowsIn = job.rowsIn.value;
      }
      const seconds = (Date.now() - began) / 1000;
      results.push({ view, cells });
      summaries.push({
        name,
        engine: useSql ? 'duckdb' : 'rdd',
        rowsIn,
        rowsOut: cells.length,
        seconds,
        rowsPerSecond: seconds > 0 ? rowsIn / seconds : rowsIn,
      });
      progress.advance(summaries.length, name);
    }
    durations.compute += summaries.reduce((total, view) => total + view.seconds * 1000, 0);
    const tasksInWorkers = ctx.schedulerStats.tasksInWorkers;
    await ctx.stop();
    ctx = undefined;

    // Write the version, then the manifest.
    phase = Date.now();
    const local = await writeViewTables(scratch, results);
    const dir = versionDir(runId);
    const uploads = [
      ...local.views.map((view) => ({ from: view.parquetFile, to: `${dir}/${view.name}.parquet` })),
      { from: local.duckdbFile, to: `${dir}/${DUCKDB_FILE}` },
    ];
    progress.stage('write', uploads.length + 1);
    let uploaded = 0;
    for (const upload of uploads) {
      await fs.writeAtomic(upload.to, createReadStream(upload.from));
      progress.advance(++uploaded, upload.to);
    }
    await options.afterDataWritten?.(runId);
    await lock.assertHeld();
    const finishedAtMs = now();
    durations.write += Date.now() - phase;
    const manifest: BatchManifest = {
      format: 'oxbow-batch-manifest',
      version: 1,
      runId,
      epochMs: config.epochMs,
      watermarkEpoch: watermark,
      endOffsets,
      views: summaries.map((view) => ({
        name: view.name,
        rows: view.rowsOut,
        parquet: `${dir}/${view.name}.parquet`,
        rowsIn: view.rowsIn,
        engine: view.engine,
        computeMs: Math.round(view.seconds * 1000),
      })),
      duckdb: `${dir}/${DUCKDB_FILE}`,
      startedAt: new Date(startedAtMs).toISOString(),
      finishedAt: new Date(finishedAtMs).toISOString(),
      durationsMs: { read: durations.read, compute: Math.round(durations.compute), write: durations.write },
    };
    const bytes = encodeManifest(manifest);
    await fs.putAtomic(historyManifestPath(runId), bytes);
    await fs.putAtomic(MANIFEST_PATH, bytes);
    progress.advance(uploads.length + 1, MANIFEST_PATH);
    progress.log('published', { runId, watermarkEpoch: watermark });

    progress.stage('gc', 1);
    const deletedVersions = await collectGarbage(fs, { keepRuns: config.batchKeepRuns, currentRunId: runId });
    progress.advance(1, `${deletedVersions.length} old versions deleted`);
    return {
      ...base,
      status: 'published',
      watermarkEpoch: watermark,
      manifest,
      views: summaries,
      finishedAtMs,
      durationsMs: manifest.durationsMs,
      deletedVersions,
      tasksInWorkers,
    };
  } finally {
    await ctx?.stop();
    await lock?.release().catch(() => {});
    progress.end();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    await fs.close();
  }
}
