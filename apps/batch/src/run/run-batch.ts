/**
 * One batch run of the user's project (the `project` setting): lock, find the watermark epoch E, compute the
 * chosen views over the sealed epochs ≤ E — compiled views with DuckDB SQL and the columnar fold, the others on the
 * RDD path, each topic in one pass; an unchanged view merges only the epochs after the previous version's
 * watermark into it — write the new version (Parquet per view + a DuckDB file) under `views/v=<runId>/`, publish
 * the manifest last, delete old versions, unlock. A crash at any point before the manifest leaves the previous
 * version served.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError, type FileSystem, openFileSystem } from '@oxbow/connectors';
import {
  type BatchManifest,
  decodeSealedMarker,
  encodeManifest,
  historyManifestPath,
  MANIFEST_PATH,
  sealedPath,
  topicPrefix,
  type ViewCoverage,
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
import { batchViewJob } from '../compute/batch-view-job.ts';
import type { ComputedCell } from '../compute/columnar-fold.ts';
import { LocalLakeFiles, openRunDuckDb, type RunDuckDb } from '../compute/duckdb-engine.ts';
import { scanTopic, TupleHashCollision } from '../compute/sql-scan.ts';
import { columnsReadBy } from '../compute/view-columns.ts';
import { type PlanResult, planView, type ViewPlan } from '../compute/view-plan.ts';
import { BatchError } from '../errors.ts';
import {
  classifyTopicFiles,
  type ListedPartFile,
  lastSealedAtOrBefore,
  type TopicListing,
  watermarkEpoch,
} from '../lake/lake-listing.ts';
import { lakeTopicsOf } from '../lake/lake-topics.ts';
import { type BatchConfig, storageOptionsOf } from '../lake/storage-options.ts';
import { type TrainedModel, trainModels } from '../models/train-models.ts';
import { readCurrentManifest } from '../publish/manifest.ts';
import { mergePartialStates, readPartialStates, writePartialStates } from '../publish/partial-states.ts';
import { collectGarbage } from '../publish/retention.ts';
import { DUCKDB_FILE, type TableCell, type ViewTable, writeViewTables } from '../publish/view-tables.ts';
import {
  assertPartOf,
  decodePartMarker,
  encodePartMarker,
  PART_MARKER,
  PARTS_DIR,
  type PartMarker,
  type PartOf,
  type PartView,
  partDir,
  partsRunDir,
  partsRunIdOf,
  sliceOf,
} from './batch-parts.ts';
import { coverageOf, mergeWithPrevious, modeOf, type ViewMode } from './incremental.ts';
import { LakeLock } from './lake-lock.ts';
import { type ProgressReporter, silentProgress } from './progress.ts';
import { newRunId } from './run-id.ts';

/**
 * Which engine computes a view: `rdd` (the RDD path for every view), `duckdb` (every view compiled to DuckDB SQL
 * and the columnar fold; a view that does not compile is refused) or `auto` (compiled where the view compiles,
 * the RDD path for the others).
 */
export type BatchEngine = 'rdd' | 'duckdb' | 'auto';

/** Options of {@link runBatch}. */
export interface BatchRunOptions {
  /** Views of the project to compute (default: all). The manifest then lists only these. */
  readonly views?: readonly string[];
  /** Cap the watermark: only sealed epochs ≤ this one. */
  readonly untilEpoch?: number;
  /** Default `auto` (compiled views with DuckDB, the others on the RDD path). `duckdb` refuses views that do not compile. */
  readonly engine?: BatchEngine;
  /**
   * Recompute every view from all sealed epochs, even those whose previous table could take just the new epochs
   * (`oxbow batch run --full`). A view whose definition changed is always recomputed in full.
   */
  readonly full?: boolean;
  /** Worker threads and DuckDB threads (default: the `batchParallelism` setting). */
  readonly parallelism?: number;
  /**
   * Memory the run's engines may hold before spilling to disk: DuckDB's `memory_limit` (at least 64 MiB, which
   * DuckDB needs to work at all) and the RDD shuffle's budget (default: DuckDB's own limit, 80 % of RAM, and the
   * dataflow default of 256 MiB).
   */
  readonly memoryBudgetBytes?: number;
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
 * `changed` fingerprint, `new` (no table), or `unknown` (the manifest predates fingerprints). A view that is not
 * `same` is recomputed in full.
 */
export type ViewChange = 'same' | 'changed' | 'new' | 'unknown';

/** One view's line of the summary. */
export interface ViewRunSummary {
  readonly name: string;
  /** The view definition's fingerprint, recorded in the manifest. */
  readonly fingerprint: string;
  /** Compared with the previously published manifest. */
  readonly change: ViewChange;
  /** `duckdb`: compiled to SQL and the columnar fold; `rdd`: the RDD path. */
  readonly engine: 'rdd' | 'duckdb';
  /** `full`: from every sealed epoch; `incremental`: the new epochs merged into the previous table. */
  readonly mode: 'full' | 'incremental';
  /** Why the view was recomputed in full, or why it is not compiled; absent when neither needs saying. */
  readonly note?: string;
  /** Events read for the view (in an incremental run, those of the new epochs). */
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** Seconds of the pass that computed the view (shared by every view of its topic computed in that pass). */
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** One pass over a topic's files: the views it computed, rows and files read, and how long it took. */
export interface ScanSummary {
  readonly topic: string;
  readonly engine: 'rdd' | 'duckdb';
  readonly mode: 'full' | 'incremental';
  readonly views: readonly string[];
  readonly files: number;
  readonly rows: number;
  readonly seconds: number;
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
  /** The passes over the lake. */
  readonly scans: readonly ScanSummary[];
  /** The project's models trained and published (a run of chosen `views` trains none). */
  readonly models?: readonly { readonly name: string; readonly examples: number; readonly seconds: number }[];
  /** Views of the previous manifest no longer in the project: not published (GC removes their old tables). */
  readonly removedViews: readonly string[];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  /** Version directories deleted by garbage collection. */
  readonly deletedVersions: readonly string[];
  /** Tasks the RDD engine ran on worker threads. */
  readonly tasksInWorkers: number;
  /** Shuffle bytes (and blocks) the RDD engine spilled to disk past the memory budget. */
  readonly shuffle: { readonly bytesSpilled: number; readonly blocksSpilled: number };
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

/** The current manifest, or `undefined` (with a warning) when there is none or it cannot be read. */
async function currentManifest(
  fs: FileSystem,
  progress: ProgressReporter,
): Promise<BatchManifest | undefined> {
  try {
    return await readCurrentManifest(fs);
  } catch (error) {
    progress.log('warning', {
      message: `the current manifest cannot be read (${error instanceof Error ? error.message : String(error)}); every view counts as new`,
    });
    return undefined;
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

/** Files in lake order: by epoch, then lake topic, partition and first offset (older epochs first, always). */
function lakeOrder(a: ListedPartFile, b: ListedPartFile): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  if (a.path.split('/')[1] !== b.path.split('/')[1]) return a.path < b.path ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  return a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0;
}

/** One view's work in a run. */
interface ViewWork {
  readonly view: ViewDefinition<AnyEvent>;
  readonly plan: PlanResult;
  readonly mode: ViewMode;
  readonly lakeTopics: readonly string[];
  /** Its lake topics' files of sealed epochs ≤ E, in lake order. */
  readonly files: readonly ListedPartFile[];
}

/** What computing one view gave. */
interface ViewOutcome {
  readonly work: ViewWork;
  readonly engine: 'rdd' | 'duckdb';
  readonly cells: readonly ComputedCell[];
  readonly rowsIn: number;
  readonly seconds: number;
}

/** Runs the passes over the lake: per topic and mode, the compiled views in one DuckDB scan and the others in one RDD job. */
class ViewComputer {
  readonly outcomes: ViewOutcome[] = [];
  readonly scans: ScanSummary[] = [];
  readonly #duck: RunDuckDb;
  readonly #local: LocalLakeFiles;
  readonly #ctx: () => DataflowContext;
  readonly #job: { project: string; lakeUrl: string; storage: ReturnType<typeof storageOptionsOf> };
  readonly #progress: ProgressReporter;
  readonly #runId: string;
  /** A part of a split run: only this part's slice of each pass's files, per-file partial sums kept. */
  readonly #part: PartOf | undefined;

  constructor(options: {
    duck: RunDuckDb;
    local: LocalLakeFiles;
    ctx: () => DataflowContext;
    job: { project: string; lakeUrl: string; storage: ReturnType<typeof storageOptionsOf> };
    progress: ProgressReporter;
    runId: string;
    part?: PartOf;
  }) {
    this.#duck = options.duck;
    this.#local = options.local;
    this.#ctx = options.ctx;
    this.#job = options.job;
    this.#progress = options.progress;
    this.#runId = options.runId;
    this.#part = options.part;
  }

  /** The passes to make: views grouped by topic, mode (and first new epoch) and engine. */
  static passesOf(works: readonly ViewWork[]): ViewWork[][] {
    const passes = new Map<string, ViewWork[]>();
    for (const work of works) {
      const from = work.mode.mode === 'incremental' ? String(work.mode.fromEpoch) : 'full';
      const id = `${work.view.topic}\u0000${from}\u0000${work.plan.compiled ? 'duckdb' : 'rdd'}`;
      passes.set(id, [...(passes.get(id) ?? []), work]);
    }
    return [...passes.values()];
  }

  /** The files a pass reads: all of them, or those after the previous watermark. */
  static filesOf(works: readonly ViewWork[]): ListedPartFile[] {
    const first = works[0] as ViewWork;
    const from = first.mode.mode === 'incremental' ? first.mode.fromEpoch : Number.NEGATIVE_INFINITY;
    return first.files.filter((file) => file.epoch > from);
  }

  async run(works: readonly ViewWork[]): Promise<void> {
    const first = works[0] as ViewWork;
    const files =
      this.#part === undefined
        ? ViewComputer.filesOf(works)
        : sliceOf(ViewComputer.filesOf(works), this.#part);
    const mode = first.mode.mode;
    const topic = first.view.topic;
    if (first.plan.compiled) {
      const plans = works.map((work) => (work.plan as Extract<PlanResult, { compiled: true }>).plan);
      try {
        await this.#scan(topic, works, plans, files, mode);
        return;
      } catch (error) {
        if (!(error instanceof TupleHashCollision)) throw error;
        this.#progress.log('warning', { message: `${error.message}: computing them on the RDD path` });
      }
    }
    await this.#rdd(topic, works, files, mode);
  }

  async #scan(
    topic: string,
    works: readonly ViewWork[],
    plans: readonly ViewPlan[],
    files: readonly ListedPartFile[],
    mode: 'full' | 'incremental',
  ): Promise<void> {
    this.#started(topic, works, files, 'duckdb', mode, undefined);
    const began = performance.now();
    const paths = await this.#local.pathsOf(files.map((file) => file.path));
    const result = await scanTopic(this.#duck.connection, plans, paths, {
      keepPartials: mode === 'incremental' || this.#part !== undefined,
      keepItemCounts: this.#part !== undefined,
    });
    const seconds = (performance.now() - began) / 1000;
    for (const [index, { cells }] of result.views.entries()) {
      this.outcomes.push({
        work: works[index] as ViewWork,
        engine: 'duckdb',
        cells,
        rowsIn: result.rows,
        seconds,
      });
    }
    this.#finished(topic, works, files.length, result.rows, seconds, 'duckdb', mode);
  }

  async #rdd(
    topic: string,
    works: readonly ViewWork[],
    files: readonly ListedPartFile[],
    mode: 'full' | 'incremental',
  ): Promise<void> {
    const read = works.map((work) => columnsReadBy(work.view));
    const schema = (works[0] as ViewWork).view.schema;
    const columns = read.every((entry) => entry.pruned)
      ? schema.eventColumns.filter((column) => read.some((entry) => entry.columns.includes(column)))
      : schema.eventColumns;
    this.#started(
      topic,
      works,
      files,
      'rdd',
      mode,
      columns.length < schema.eventColumns.length ? columns : 'all',
    );
    const began = performance.now();
    const ctx = this.#ctx();
    const job = ctx.job(batchViewJob, {
      ...this.#job,
      views: works.map((work) => work.view.name),
      files: files.map((file) => file.path),
      columns,
      numPartitions: ctx.defaultParallelism,
    });
    const cells = works.map((): ComputedCell[] => []);
    for (const [index, key, bucket, state, value] of await job.cells.collect()) {
      cells[index]?.push({ key, bucket, state, value });
    }
    const seconds = (performance.now() - began) / 1000;
    const rows = job.rowsIn.value;
    works.forEach((work, index) => {
      this.outcomes.push({ work, engine: 'rdd', cells: cells[index] ?? [], rowsIn: rows, seconds });
    });
    this.#finished(topic, works, files.length, rows, seconds, 'rdd', mode);
  }

  #started(
    topic: string,
    works: readonly ViewWork[],
    files: readonly ListedPartFile[],
    engine: 'rdd' | 'duckdb',
    mode: 'full' | 'incremental',
    columns: readonly string[] | 'all' | undefined,
  ): void {
    for (const work of works) {
      const read = columnsReadBy(work.view);
      this.#progress.log('view-started', {
        runId: this.#runId,
        view: work.view.name,
        topic,
        lakeTopics: work.lakeTopics,
        files: files.length,
        columns: read.pruned ? read.columns : 'all',
        engine,
        mode,
        ...(work.plan.compiled ? {} : { reason: work.plan.reason }),
        ...(work.mode.mode === 'full'
          ? { fullBecause: work.mode.reason }
          : { fromEpoch: work.mode.fromEpoch }),
      });
    }
    this.#progress.log('scan-started', {
      runId: this.#runId,
      topic,
      engine,
      mode,
      views: works.map((work) => work.view.name),
      files: files.length,
      ...(columns === undefined ? {} : { columns }),
    });
  }

  #finished(
    topic: string,
    works: readonly ViewWork[],
    files: number,
    rows: number,
    seconds: number,
    engine: 'rdd' | 'duckdb',
    mode: 'full' | 'incremental',
  ): void {
    const views = works.map((work) => work.view.name);
    this.scans.push({ topic, engine, mode, views, files, rows, seconds });
    this.#progress.log('scan-finished', {
      runId: this.#runId,
      topic,
      engine,
      mode,
      views,
      files,
      rows,
      seconds,
    });
  }
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

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
  return (await execute(config, options, { kind: 'single' })) as BatchRunSummary;
}

/** Options of {@link runBatchPart}: those of a run (every view is computed in full), and which part. */
export interface BatchPartOptions extends Omit<BatchRunOptions, 'full' | 'afterDataWritten'> {
  /** Part `index` of `count` (a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` and completions). */
  readonly part: PartOf;
  /** The id the parts and the merge share (the `batchRunId` setting); default `w<E>`, see `partsRunIdOf`. */
  readonly partsRunId?: string;
}

/** What one part of a split run did. */
export interface BatchPartSummary {
  /** `part-written`: its states and `_part.json` are staged; `nothing-sealed`: no sealed epoch yet. */
  readonly status: 'part-written' | 'nothing-sealed';
  /** The id of this process's run (its log lines). */
  readonly runId: string;
  /** The id the parts and the merge share; undefined when nothing was sealed. */
  readonly partsRunId?: string;
  readonly index: number;
  readonly count: number;
  readonly project: string;
  readonly watermarkEpoch?: number;
  /** Where the part was staged (`views/_parts/<partsRunId>/part-<I>-of-<N>`). */
  readonly path?: string;
  readonly views: readonly PartView[];
  readonly scans: readonly ScanSummary[];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly parallelism: number;
}

/**
 * Part `index` of `count` of a batch run split across processes or machines: lists the lake as a run does, computes
 * every chosen view in full over this part's slice of each topic's sealed files (`sliceOf`: a contiguous range in
 * lake order) and stages the partial states under `views/_parts/<partsRunId>/part-<I>-of-<N>/` (one Parquet table
 * per view, then `_part.json`). It takes no lock, publishes nothing and trains no model; `mergeBatchParts` does.
 *
 * @example
 * ```ts
 * await runBatchPart(config, { part: { index: Number(process.env.JOB_COMPLETION_INDEX), count: 3 } });
 * // { status: 'part-written', partsRunId: 'w489012', path: 'views/_parts/w489012/part-1-of-3', … }
 * ```
 */
export async function runBatchPart(
  config: BatchConfig,
  options: BatchPartOptions,
): Promise<BatchPartSummary> {
  assertPartOf(options.part);
  return (await execute(config, options, {
    kind: 'part',
    part: options.part,
    partsRunId: options.partsRunId,
  })) as BatchPartSummary;
}

/** Options of {@link mergeBatchParts}: those of a run (every view is merged in full), and how many parts. */
export interface BatchMergeOptions extends Omit<BatchRunOptions, 'full'> {
  /** The parts of the run (the Indexed Job's completions). */
  readonly count: number;
  /** The id the parts were staged under (the `batchRunId` setting); default `w<E>`, see `partsRunIdOf`. */
  readonly partsRunId?: string;
}

/**
 * The final step of a split run: takes the lock and lists the lake as a run does, checks that all `count` parts of
 * the run are staged and agree with this listing (watermark, views, fingerprints, coverage), merges their states per
 * (view, key, bucket) with each view's monoid `plus` in part order, and publishes them as `runBatch` does (the same
 * tables, manifest, models and garbage collection); then deletes the staged parts. A missing or disagreeing part
 * fails with `OXBOW_BATCH_PARTS` and publishes nothing.
 *
 * @example
 * ```ts
 * const summary = await mergeBatchParts(config, { count: 3 });
 * summary.status; // 'published'
 * ```
 */
export async function mergeBatchParts(
  config: BatchConfig,
  options: BatchMergeOptions,
): Promise<BatchRunSummary> {
  if (!Number.isSafeInteger(options.count) || options.count < 1) {
    throw new BatchError('OXBOW_BATCH_USAGE', `part count ${options.count}: expected a positive integer`);
  }
  return (await execute(config, options, {
    kind: 'merge',
    count: options.count,
    partsRunId: options.partsRunId,
  })) as BatchRunSummary;
}

/** What a run does: all of it (`single`), one part of a split run, or the merge of the parts. */
type RunRole =
  | { readonly kind: 'single' }
  | { readonly kind: 'part'; readonly part: PartOf; readonly partsRunId: string | undefined }
  | { readonly kind: 'merge'; readonly count: number; readonly partsRunId: string | undefined };

/** The markers of every part of a split run, checked against the merge's own listing. */
async function readPartMarkers(
  fs: FileSystem,
  partsRunId: string,
  count: number,
  watermark: number,
  works: readonly ViewWork[],
): Promise<PartMarker[]> {
  const markers: PartMarker[] = [];
  const missing: string[] = [];
  for (let index = 0; index < count; index++) {
    const path = `${partDir(partsRunId, { index, count })}/${PART_MARKER}`;
    try {
      markers.push(decodePartMarker(await fs.read(path), path));
    } catch (error) {
      if (!ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) throw error;
      missing.push(`${index} (${path})`);
    }
  }
  if (missing.length > 0) {
    const staged = new Set<string>();
    for await (const file of fs.list(`${PARTS_DIR}/`)) {
      const match = /^views\/_parts\/([^/]+)\/part-(\d+)-of-(\d+)\/_part\.json$/.exec(file.path);
      if (match !== null) staged.add(`${match[1]} (part ${match[2]} of ${match[3]})`);
    }
    throw new BatchError(
      'OXBOW_BATCH_PARTS',
      `batch run ${partsRunId}: ${missing.length} of ${count} parts missing: ${missing.join(', ')}; nothing published` +
        (staged.size === 0 ? '' : ` (staged: ${[...staged].sort().join(', ')})`),
    );
  }
  for (const marker of markers) {
    const where = `part ${marker.index} of ${marker.count} of batch run ${partsRunId}`;
    const disagree = (what: string) =>
      new BatchError('OXBOW_BATCH_PARTS', `${where}: ${what}; nothing published (run the parts again)`);
    if (marker.count !== count) throw disagree(`computed for ${marker.count} parts, not ${count}`);
    if (marker.watermarkEpoch !== watermark) {
      throw disagree(`computed up to epoch ${marker.watermarkEpoch}, the lake is sealed up to ${watermark}`);
    }
    const names = marker.views.map((view) => view.name);
    const expected = works.map((work) => work.view.name);
    if ([...names].sort().join(',') !== [...expected].sort().join(',')) {
      throw disagree(`holds views ${names.join(', ')}, not ${expected.join(', ')}`);
    }
    for (const work of works) {
      const view = marker.views.find((candidate) => candidate.name === work.view.name) as PartView;
      if (view.fingerprint !== work.view.fingerprint) {
        throw disagree(
          `view ${view.name} was computed with definition ${view.fingerprint}, not ${work.view.fingerprint}`,
        );
      }
      const coverage = coverageOf(work.lakeTopics, work.files);
      if (view.coverage.filesDigest !== coverage.filesDigest || view.coverage.files !== coverage.files) {
        throw disagree(`view ${view.name} was computed over other lake files than those sealed now`);
      }
    }
  }
  return markers;
}

async function execute(
  config: BatchConfig,
  options: BatchRunOptions,
  role: RunRole,
): Promise<BatchRunSummary | BatchPartSummary> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? silentProgress;
  const engine = options.engine ?? 'auto';
  if (!['rdd', 'duckdb', 'auto'].includes(engine)) {
    throw new BatchError('OXBOW_BATCH_USAGE', `unknown engine "${engine}" (expected rdd, duckdb or auto)`);
  }
  const { path: projectPath, project } = await projectOf(config);
  const views = selectViews(project, options.views);
  const viewNames = views.map((view) => view.name);
  // A run of chosen views leaves the models out, as it leaves the other views out.
  const models = options.views !== undefined && options.views.length > 0 ? [] : project.models;
  const plans = new Map<string, PlanResult>(
    views.map((view) => [
      view.name,
      engine === 'rdd' ? { compiled: false, reason: '--engine rdd' } : planView(view),
    ]),
  );
  if (engine === 'duckdb') {
    const without = views.flatMap((view) => {
      const plan = plans.get(view.name);
      return plan?.compiled === false ? [`${view.name} (${plan.reason})`] : [];
    });
    if (without.length > 0) {
      throw new BatchError(
        'OXBOW_BATCH_NO_SQL_PLAN',
        `no SQL plan for ${without.join(', ')}: --engine duckdb computes only views that compile to SQL (use --engine auto or rdd)`,
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
    scans: [],
    removedViews: [],
    shuffle: { bytesSpilled: 0, blocksSpilled: 0 },
  };
  let lock: LakeLock | undefined;
  let scratch: string | undefined;
  let ctx: DataflowContext | undefined;
  let duck: RunDuckDb | undefined;
  try {
    // The parts of a split run run side by side and publish nothing: only a single run and the merge lock.
    if (role.kind !== 'part') {
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
    }
    progress.log('run-started', {
      runId,
      lake: config.lake,
      project: project.source,
      views: viewNames,
      engine,
      full: role.kind !== 'single' || options.full === true,
      parallelism,
      ...(role.kind === 'part' ? { part: role.part } : {}),
      ...(role.kind === 'merge' ? { parts: role.count } : {}),
    });
    const previous = await currentManifest(fs, progress);
    const published = new Map((previous?.views ?? []).map((view) => [view.name, view.fingerprint]));
    const changes = new Map(views.map((view) => [view.name, changeOf(view, published)]));
    const removedViews = [...published.keys()].filter((name) => !project.hasView(name));
    progress.log('views', {
      runId,
      views: views.map((view) => ({
        name: view.name,
        topic: view.topic,
        fingerprint: view.fingerprint,
        change: changes.get(view.name),
        engine: plans.get(view.name)?.compiled ? 'duckdb' : 'rdd',
        ...(plans.get(view.name)?.compiled === false
          ? { reason: (plans.get(view.name) as { reason: string }).reason }
          : {}),
      })),
      removed: removedViews,
    });

    // Read: list the lake directories of the views' topics, find E and its end offsets.
    let phase = Date.now();
    const projectTopicOf = new Map<string, string>();
    for (const topic of [...views.map((view) => view.topic), ...models.map((model) => model.topic)]) {
      for (const directory of lakeTopics.get(topic) ?? []) projectTopicOf.set(directory, topic);
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
      if (role.kind === 'part') {
        return {
          status: 'nothing-sealed',
          runId,
          index: role.part.index,
          count: role.part.count,
          project: project.source,
          views: [],
          scans: [],
          startedAtMs,
          finishedAtMs: now(),
          parallelism,
        };
      }
      return { ...base, status: 'nothing-sealed', finishedAtMs: now(), tasksInWorkers: 0 };
    }
    const partsRunId = role.kind === 'single' ? undefined : partsRunIdOf(role.partsRunId, watermark);
    const endOffsets: Record<string, Record<string, string>> = {};
    const filesOf = new Map<string, ListedPartFile[]>();
    const allFilesOf = new Map<string, ListedPartFile[]>();
    for (const listing of listings) {
      const topic = listing.topic;
      const projectTopic = projectTopicOf.get(topic) ?? topic;
      filesOf.set(projectTopic, [
        ...(filesOf.get(projectTopic) ?? []),
        ...listing.files.filter((file) => file.epoch <= watermark),
      ]);
      allFilesOf.set(projectTopic, [...(allFilesOf.get(projectTopic) ?? []), ...listing.files]);
      const sealed = lastSealedAtOrBefore(listing, watermark);
      if (sealed !== undefined) {
        const path = sealedPath(topic, sealed);
        endOffsets[topic] = { ...decodeSealedMarker(await fs.read(path), path).endOffsets };
      }
    }
    for (const files of filesOf.values()) files.sort(lakeOrder);
    progress.log('watermark', {
      runId,
      watermarkEpoch: watermark,
      files: Object.fromEntries(
        [...filesOf].map(([topic, files]) => [topic, files.map((file) => file.path)]),
      ),
    });
    durations.read += Date.now() - phase;

    // Compute: per topic and mode, one pass for the compiled views and one for the others.
    const works: ViewWork[] = views.map((view) => {
      const directories = lakeTopics.get(view.topic) ?? [];
      const files = filesOf.get(view.topic) ?? [];
      return {
        view,
        plan: plans.get(view.name) as PlanResult,
        mode: modeOf(view, directories, allFilesOf.get(view.topic) ?? [], {
          full: role.kind !== 'single' || options.full === true,
          previous,
          epochMs: config.epochMs,
          watermark,
        }),
        lakeTopics: directories,
        files,
      };
    });
    phase = Date.now();
    scratch = await mkdtemp(join(tmpdir(), 'oxbow-batch-'));
    const local = new LocalLakeFiles(fs, scratch);
    duck = await openRunDuckDb({
      threads: parallelism,
      tempDirectory: join(scratch, 'duckdb-spill'),
      ...(options.memoryBudgetBytes === undefined ? {} : { memoryLimitBytes: options.memoryBudgetBytes }),
    });
    const contextOf = () => {
      ctx ??= new DataflowContext({
        parallelism,
        appName: `oxbow-batch ${runId}`,
        onInProcessStage: (reason) => progress.log('in-process-stage', { reason }),
        ...(options.memoryBudgetBytes === undefined ? {} : { shuffleMemoryBytes: options.memoryBudgetBytes }),
      });
      return ctx;
    };
    const computer = new ViewComputer({
      duck,
      local,
      ctx: contextOf,
      job: { project: projectPath, lakeUrl: config.lake, storage },
      progress,
      runId,
      ...(role.kind === 'part' ? { part: role.part } : {}),
    });
    const passes = role.kind === 'merge' ? [] : ViewComputer.passesOf(works);
    progress.stage('compute', passes.length);
    for (const pass of passes) {
      await computer.run(pass);
      const scan = computer.scans.at(-1);
      progress.advance(
        computer.scans.length,
        scan === undefined
          ? undefined
          : `${scan.topic}: ${integer.format(scan.rows)} rows, ${scan.files} files scanned (${scan.engine}, ${scan.mode})`,
      );
    }
    if (role.kind === 'part') {
      // Stage this part's states, then its marker: the part is complete once `_part.json` is there.
      const dir = partDir(partsRunId as string, role.part);
      await fs.deletePrefix(`${dir}/`);
      const staged: PartView[] = [];
      progress.stage('write', works.length + 1);
      for (const work of works) {
        const outcome = computer.outcomes.find((candidate) => candidate.work === work) as ViewOutcome;
        const file = join(scratch, `part-${work.view.name}.parquet`);
        const cells = await writePartialStates(duck.connection, file, work.view, outcome.cells);
        const path = `${dir}/${work.view.name}.parquet`;
        await fs.writeAtomic(path, createReadStream(file));
        staged.push({
          name: work.view.name,
          fingerprint: work.view.fingerprint,
          engine: outcome.engine,
          rowsIn: outcome.rowsIn,
          cells,
          files: sliceOf(ViewComputer.filesOf([work]), role.part).length,
          seconds: outcome.seconds,
          coverage: coverageOf(work.lakeTopics, work.files),
          path,
        });
        progress.advance(staged.length, path);
      }
      const marker: PartMarker = {
        format: 'oxbow-batch-part',
        version: 1,
        partsRunId: partsRunId as string,
        index: role.part.index,
        count: role.part.count,
        watermarkEpoch: watermark,
        views: staged,
        writtenAt: new Date(now()).toISOString(),
      };
      await fs.putAtomic(`${dir}/${PART_MARKER}`, encodePartMarker(marker));
      progress.advance(works.length + 1, `${dir}/${PART_MARKER}`);
      progress.log('part-written', {
        runId,
        partsRunId,
        index: role.part.index,
        count: role.part.count,
        watermarkEpoch: watermark,
        path: dir,
      });
      return {
        status: 'part-written',
        runId,
        partsRunId: partsRunId as string,
        index: role.part.index,
        count: role.part.count,
        project: project.source,
        watermarkEpoch: watermark,
        path: dir,
        views: staged,
        scans: computer.scans,
        startedAtMs,
        finishedAtMs: now(),
        parallelism,
      };
    }
    if (role.kind === 'merge') {
      // The parts' states instead of a computation: merged per cell with each view's monoid, in part order.
      const markers = await readPartMarkers(fs, partsRunId as string, role.count, watermark, works);
      progress.stage('compute', works.length);
      for (const work of works) {
        const began = performance.now();
        const parts = [];
        let rowsIn = 0;
        let seconds = 0;
        let engine: 'rdd' | 'duckdb' = 'duckdb';
        for (const marker of markers) {
          const staged = marker.views.find((view) => view.name === work.view.name) as PartView;
          parts.push(await readPartialStates(duck.connection, await local.pathOf(staged.path), work.view));
          rowsIn += staged.rowsIn;
          seconds = Math.max(seconds, staged.seconds);
          if (staged.engine === 'rdd') engine = 'rdd';
        }
        const cells = mergePartialStates(work.view, parts);
        computer.outcomes.push({ work, engine, cells, rowsIn, seconds });
        progress.log('parts-merged', {
          runId,
          partsRunId,
          view: work.view.name,
          parts: markers.length,
          cells: cells.length,
          seconds: (performance.now() - began) / 1000,
        });
        progress.advance(computer.outcomes.length, work.view.name);
      }
    }
    // Models: trained on the same sealed files, published beside the views.
    const trainedModels: TrainedModel[] = [];
    if (models.length > 0) {
      const { trained, skipped } = await trainModels({
        fs,
        models,
        filesOf: (topic) => (filesOf.get(topic) ?? []).map((file) => file.path),
        partitions: parallelism,
      });
      for (const { model, reason } of skipped)
        progress.log('model-skipped', { runId, model: model.name, reason });
      for (const { model, examples, seconds } of trained) {
        progress.log('model-trained', { runId, model: model.name, kind: model.kind, examples, seconds });
      }
      trainedModels.push(...trained);
    }
    const tasksInWorkers = ctx?.schedulerStats.tasksInWorkers ?? 0;
    const shuffle = {
      bytesSpilled: ctx?.shuffleStats.bytesSpilled ?? 0,
      blocksSpilled: ctx?.shuffleStats.blocksSpilled ?? 0,
    };
    await ctx?.stop();
    ctx = undefined;
    // Incremental views: merge the new epochs' cells with the previous version's states.
    const tables: ViewTable[] = [];
    const outcomes = new Map(computer.outcomes.map((outcome) => [outcome.work.view.name, outcome]));
    for (const view of views) {
      const outcome = outcomes.get(view.name) as ViewOutcome;
      const mode = outcome.work.mode;
      if (mode.mode === 'incremental') {
        const previousParquet = await local.pathOf(mode.previous.parquet);
        const cells: TableCell[] = await mergeWithPrevious(
          duck.connection,
          view,
          previousParquet,
          outcome.cells,
        );
        tables.push({ view, cells, copyFrom: previousParquet });
      } else {
        tables.push({ view, cells: outcome.cells });
      }
    }
    durations.compute += Date.now() - phase;

    // Write the version, then the manifest.
    phase = Date.now();
    const localVersion = await writeViewTables(duck.connection, scratch, tables);
    duck.close();
    duck = undefined;
    const dir = versionDir(runId);
    const uploads = [
      ...localVersion.views.map((view) => ({ from: view.parquetFile, to: `${dir}/${view.name}.parquet` })),
      { from: localVersion.duckdbFile, to: `${dir}/${DUCKDB_FILE}` },
    ];
    progress.stage('write', uploads.length + 1);
    let uploaded = 0;
    for (const upload of uploads) {
      await fs.writeAtomic(upload.to, createReadStream(upload.from));
      progress.advance(++uploaded, upload.to);
    }
    for (const trained of trainedModels) {
      await fs.putAtomic(`${dir}/models/${trained.model.name}.json`, new TextEncoder().encode(trained.json));
    }
    await options.afterDataWritten?.(runId);
    await (lock as LakeLock).assertHeld();
    const finishedAtMs = now();
    durations.write += Date.now() - phase;
    const rowsOf = new Map(localVersion.views.map((view) => [view.name, view.rows]));
    const summaries: ViewRunSummary[] = views.map((view) => {
      const outcome = outcomes.get(view.name) as ViewOutcome;
      const plan = outcome.work.plan;
      const mode = outcome.work.mode;
      const note =
        mode.mode === 'full' && changes.get(view.name) === 'same' && mode.reason !== '--full'
          ? mode.reason
          : plan.compiled
            ? undefined
            : plan.reason;
      return {
        name: view.name,
        fingerprint: view.fingerprint,
        change: changes.get(view.name) ?? 'new',
        engine: outcome.engine,
        mode: mode.mode,
        ...(note === undefined ? {} : { note }),
        rowsIn: outcome.rowsIn,
        rowsOut: rowsOf.get(view.name) ?? 0,
        seconds: outcome.seconds,
        rowsPerSecond: outcome.seconds > 0 ? outcome.rowsIn / outcome.seconds : outcome.rowsIn,
      };
    });
    const coverages = new Map<string, ViewCoverage>(
      works.map((work) => [work.view.name, coverageOf(work.lakeTopics, work.files)]),
    );
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
        mode: view.mode,
        coverage: coverages.get(view.name) as ViewCoverage,
      })),
      duckdb: `${dir}/${DUCKDB_FILE}`,
      startedAt: new Date(startedAtMs).toISOString(),
      finishedAt: new Date(finishedAtMs).toISOString(),
      durationsMs: { read: durations.read, compute: Math.round(durations.compute), write: durations.write },
      ...(trainedModels.length === 0
        ? {}
        : {
            models: trainedModels.map(({ model, examples }) => ({
              name: model.name,
              kind: model.kind,
              topic: model.topic,
              path: `${dir}/models/${model.name}.json`,
              examples,
              fingerprint: model.fingerprint,
            })),
          }),
    };
    const bytes = encodeManifest(manifest);
    await fs.putAtomic(historyManifestPath(runId), bytes);
    await fs.putAtomic(MANIFEST_PATH, bytes);
    progress.advance(uploads.length + 1, MANIFEST_PATH);
    progress.log('published', { runId, watermarkEpoch: watermark, views: viewNames, removed: removedViews });

    progress.stage('gc', 1);
    const deletedVersions = await collectGarbage(fs, { keepRuns: config.batchKeepRuns, currentRunId: runId });
    progress.advance(1, `${deletedVersions.length} old versions deleted`);
    if (role.kind === 'merge') {
      const deleted = await fs.deletePrefix(`${partsRunDir(partsRunId as string)}/`);
      progress.log('parts-deleted', { runId, partsRunId, files: deleted });
    }
    return {
      ...base,
      status: 'published',
      watermarkEpoch: watermark,
      manifest,
      views: summaries,
      scans: computer.scans,
      removedViews,
      models: trainedModels.map(({ model, examples, seconds }) => ({ name: model.name, examples, seconds })),
      finishedAtMs,
      durationsMs: manifest.durationsMs,
      deletedVersions,
      tasksInWorkers,
      shuffle,
    };
  } finally {
    await ctx?.stop();
    duck?.close();
    await lock?.release().catch(() => {});
    progress.end();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    await fs.close();
  }
}
