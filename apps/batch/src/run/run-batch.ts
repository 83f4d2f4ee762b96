/**
 * One batch run of the user's project (the `project` setting): lock, find the watermark epoch E, recompute the
 * chosen views over every sealed epoch ≤ E, write
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
  sealedPath,
  topicPrefix,
  versionDir,
} from '@oxbow/contracts';
import { DataflowContext } from '@oxbow/dataflow';
import {
  type AnyEvent,
  loadProject,
  type Project,
  resolveProjectPath,
  type ViewDefinition,
  ViewsError,
} from '@oxbow/views';
import { batchViewJob, type ViewCell } from '../compute/batch-view-job.ts';
import { computeWithDuckDb, LocalLakeFiles } from '../compute/duckdb-engine.ts';
import { hasSqlPlan } from '../compute/sql-plans.ts';
import { columnsReadBy } from '../compute/view-columns.ts';
import { BatchError } from '../errors.ts';
import {
  classifyTopicFiles,
  lastSealedAtOrBefore,
  type TopicListing,
  watermarkEpoch,
} from '../lake/lake-listing.ts';
import { lakeTopicsOf } from '../lake/lake-topics.ts';
import { type BatchConfig, storageOptionsOf } from '../lake/storage-options.ts';
import { readCurrentManifest } from '../publish/manifest.ts';
import { collectGarbage } from '../publish/retention.ts';
import { DUCKDB_FILE, writeViewTables } from '../publish/view-tables.ts';
import { LakeLock } from './lake-lock.ts';
import { type ProgressReporter, silentProgress } from './progress.ts';
import { newRunId } from './run-id.ts';

/** Which engine computes a view: the RDD path, DuckDB SQL, or DuckDB where a plan exists and the lake is local. */
export type BatchEngine = 'rdd' | 'duckdb' | 'auto';

/** Options of {@link runBatch}. */
export interface BatchRunOptions {
  /** Views of the project to compute (default: all). The manifest then lists only these. */
  readonly views?: readonly string[];
  /** Cap the watermark: only sealed epochs ≤ this one. */
  readonly untilEpoch?: number;
  /** Default `auto` (DuckDB for views with a SQL plan on a local lake; no view has one yet). `duckdb` fails for views without one. */
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

/**
 * How a view's definition compares with the table the current manifest holds for it: `same` fingerprint,
 * `changed` fingerprint, `new` (no table), or `unknown` (the manifest predates fingerprints). Every run recomputes
 * every view whatever this says; it is reported so a changed definition is visible.
 */
export type ViewChange = 'same' | 'changed' | 'new' | 'unknown';

/** One view's line of the summary. */
export interface ViewRunSummary {
  readonly name: string;
  /** The view definition's fingerprint, recorded in the manifest. */
  readonly fingerprint: string;
  /** Compared with the previously published manifest. */
  readonly change: ViewChange;
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
  /** The project module the views came from (a file URL). */
  readonly project: string;
  readonly watermarkEpoch?: number;
  readonly manifest?: BatchManifest;
  readonly views: readonly ViewRunSummary[];
  /** Views of the previous manifest no longer in the project: not published (GC removes their old tables). */
  readonly removedViews: readonly string[];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  /** Version directories deleted by garbage collection. */
  readonly deletedVersions: readonly string[];
  /** Tasks the RDD engine ran on worker threads. */
  readonly tasksInWorkers: number;
  readonly parallelism: number;
}

function selectViews(project: Project, names: readonly string[] | undefined): ViewDefinition<AnyEvent>[] {
  if (names === undefined || names.length === 0) return [...project.views];
  const chosen: ViewDefinition<AnyEvent>[] = [];
  for (const name of names) {
    let view: ViewDefinition<AnyEvent>;
    try {
      view = project.view(name);
    } catch (error) {
      throw new BatchError('OXBOW_BATCH_USAGE', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
    if (!chosen.includes(view)) chosen.push(view);
  }
  return chosen;
}

/** Loads the project module the configuration names; a project that cannot be loaded is a usage error. */
async function projectOf(config: BatchConfig): Promise<{ path: string; project: Project }> {
  const path = resolveProjectPath(config.project);
  try {
    return { path, project: await loadProject(path) };
  } catch (error) {
    if (!(error instanceof ViewsError)) throw error;
    throw new BatchError('OXBOW_BATCH_USAGE', error.message, { cause: error });
  }
}

/** The views of the current manifest (name → fingerprint, `undefined` when it predates fingerprints). */
async function publishedFingerprints(
  fs: FileSystem,
  progress: ProgressReporter,
): Promise<Map<string, string | undefined>> {
  try {
    const manifest = await readCurrentManifest(fs);
    return new Map((manifest?.views ?? []).map((view) => [view.name, view.fingerprint]));
  } catch (error) {
    progress.log('warning', {
      message: `the current manifest cannot be read (${error instanceof Error ? error.message : String(error)}); every view counts as new`,
    });
    return new Map();
  }
}

function changeOf(view: ViewDefinition<AnyEvent>, published: Map<string, string | undefined>): ViewChange {
  if (!published.has(view.name)) return 'new';
  const fingerprint = published.get(view.name);
  return fingerprint === undefined ? 'unknown' : fingerprint === view.fingerprint ? 'same' : 'changed';
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
 * const summary = await runBatch(config, { views: ['rides_hourly'], engine: 'auto' }); // a view of config.project
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
  const { path: projectPath, project } = await projectOf(config);
  const views = selectViews(project, options.views);
  const viewNames = views.map((view) => view.name);
  if (engine === 'duckdb') {
    const without = views.filter((view) => !hasSqlPlan(view)).map((view) => view.name);
    if (without.length > 0) {
      throw new BatchError(
        'OXBOW_BATCH_NO_SQL_PLAN',
        `no SQL plan for ${without.join(', ')}: --engine duckdb computes only views with one, and SQL plans are not yet compiled from view definitions (use --engine auto or rdd)`,
      );
    }
  }
  const lakeTopics = lakeTopicsOf(project, config.archiverTopics);
  const parallelism = options.parallelism ?? config.batchParallelism;
  const startedAtMs = now();
  const runId = newRunId(startedAtMs);
  const storage = storageOptionsOf(config);
  const fs = openFileSystem(config.lake, storage);
  const durations = { read: 0, compute: 0, write: 0 };
  const base = {
    runId,
    project: project.source,
    startedAtMs,
    parallelism,
    durationsMs: durations,
    deletedVersions: [],
    views: [],
    removedViews: [],
  };
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
    progress.log('run-started', {
      runId,
      lake: config.lake,
      project: project.source,
      views: viewNames,
      engine,
      parallelism,
    });
    const published = await publishedFingerprints(fs, progress);
    const changes = new Map(views.map((view) => [view.name, changeOf(view, published)]));
    const removedViews = [...published.keys()].filter((name) => !project.hasView(name));
    progress.log('views', {
      runId,
      views: views.map((view) => ({
        name: view.name,
        topic: view.topic,
        fingerprint: view.fingerprint,
        change: changes.get(view.name),
      })),
      removed: removedViews,
    });

    // Read: list the lake directories of the views' topics, find E and its end offsets.
    let phase = Date.now();
    const projectTopicOf = new Map<string, string>();
    for (const view of views) {
      for (const directory of lakeTopics.get(view.topic) ?? []) projectTopicOf.set(directory, view.topic);
    }
    const topics = [...projectTopicOf.keys()];
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
    const filesOf = new Map<string, string[]>();
    for (const listing of listings) {
      const topic = listing.topic;
      const projectTopic = projectTopicOf.get(topic) ?? topic;
      filesOf.set(projectTopic, [
        ...(filesOf.get(projectTopic) ?? []),
        ...listing.files.filter((file) => file.epoch <= watermark).map((file) => file.path),
      ]);
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
    const results: Array<{ view: ViewDefinition<AnyEvent>; cells: ViewCell[] }> = [];
    const summaries: ViewRunSummary[] = [];
    progress.stage('compute', views.length);
    for (const view of views) {
      const name = view.name;
      const files = filesOf.get(view.topic) ?? [];
      const useSql = engine === 'duckdb' || (engine === 'auto' && hasSqlPlan(view) && localFiles.isLocal);
      const { columns, pruned } = columnsReadBy(view);
      progress.log('view-started', {
        runId,
        view: name,
        topic: view.topic,
        lakeTopics: lakeTopics.get(view.topic) ?? [],
        files: files.length,
        columns: pruned ? columns : 'all',
        engine: useSql ? 'duckdb' : 'rdd',
      });
      const began = Date.now();
      let cells: ViewCell[];
      let rowsIn: number;
      if (useSql) {
        ({ cells, rowsIn } = await computeWithDuckDb(view, files, localFiles, parallelism));
      } else {
        const job = ctx.job(batchViewJob, {
          project: projectPath,
          lakeUrl: config.lake,
          storage,
          view: name,
          files,
          columns,
          numPartitions: parallelism,
        });
        cells = await job.cells.collect();
        rowsIn = job.rowsIn.value;
      }
      const seconds = (Date.now() - began) / 1000;
      results.push({ view, cells });
      summaries.push({
        name,
        fingerprint: view.fingerprint,
        change: changes.get(name) ?? 'new',
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
        fingerprint: view.fingerprint,
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
    progress.log('published', { runId, watermarkEpoch: watermark, views: viewNames, removed: removedViews });

    progress.stage('gc', 1);
    const deletedVersions = await collectGarbage(fs, { keepRuns: config.batchKeepRuns, currentRunId: runId });
    progress.advance(1, `${deletedVersions.length} old versions deleted`);
    return {
      ...base,
      status: 'published',
      watermarkEpoch: watermark,
      manifest,
      views: summaries,
      removedViews,
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
