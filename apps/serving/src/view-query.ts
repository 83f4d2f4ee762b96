/**
 * The answer of the serving layer: `batch(key, buckets) ⊕ Σ_{e > E} Σ_p realtime(view, e, p, key, buckets)`,
 * merged with the view's aggregator and presented by field name — for the views of the project the server runs,
 * and only while the batch table and the increments were computed with the view's current definition
 * (`view-status.ts`); otherwise the view answers 503 `rebuilding`, never a merge of old and new states.
 *
 * Everything is read from memory: the batch version's models (batch-model.ts), held by a lease for the whole
 * request so it answers from one version, and the mirror of the increments (realtime-mirror.ts), brought up to
 * date by a read barrier first. Answers are rendered once as bytes and cached per stamp (answer-cache.ts); `/top`
 * merges a maintained ranking with the keys realtime touched (rankings.ts).
 */
import type { BatchManifest, Freshness, ViewReconciliation } from '@oxbow/contracts';
import type { Project } from '@oxbow/views';
import { AnswerCache, type RenderedAnswer } from './answer-cache.ts';
import type { BatchViewModel } from './batch-model.ts';
import type { BatchSnapshot } from './batch-snapshot.ts';
import type { BatchViewStore } from './batch-store.ts';
import { ServingError } from './errors.ts';
import { Gate } from './gate.ts';
import { JsonBytes } from './json-bytes.ts';
import {
  AllTimeRanking,
  type BucketBounds,
  RangeRanking,
  type RankingBase,
  RankingOverlay,
} from './rankings.ts';
import type { RealtimeKey, RealtimeMirror } from './realtime-mirror.ts';
import type { SpeedReport } from './realtime-store.ts';
import { type AnyView, type PresentedValue, ViewStateOps } from './state-ops.ts';
import type { TimeRange } from './time-range.ts';
import { batchStatusOf, requireReady, speedStatusOf, type ViewStatus, viewStatusOf } from './view-status.ts';

/** Which versions an answer is made of (the contract the dashboard reads). */
export type { Freshness } from '@oxbow/contracts';
export type { AnyView, PresentedValue } from './state-ops.ts';

/** The answer of `GET /v1/views/:view`. */
export interface ViewAnswer {
  readonly view: string;
  readonly key: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly buckets: Array<{ bucket: string; value: PresentedValue }>;
  readonly total: PresentedValue;
  /** The error bound of each approximate field (absent when every field is exact). */
  readonly accuracy?: Record<string, unknown>;
  readonly freshness: Freshness;
  /** How many realtime epochs contributed (for Cache-Control). */
  readonly realtimeEpochs: number;
}

/** The answer of `GET /v1/views/:view/top`. */
export interface TopAnswer {
  readonly view: string;
  readonly by: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly limit: number;
  readonly keys: Array<{ key: string; value: PresentedValue }>;
  readonly accuracy?: Record<string, unknown>;
  readonly freshness: Freshness;
  readonly realtimeEpochs: number;
}

/** An answer as bytes, ready to send: body, strong ETag, and the realtime epochs merged (for Cache-Control). */
export interface AnswerBytes extends RenderedAnswer {
  readonly realtimeEpochs: number;
}

/** How a query is answered. */
export interface QueryOptions {
  /** Distinct counts as the raw estimate instead of the rounded integer. */
  readonly raw?: boolean;
  /** Aborted when the request's time limit is over: expensive work stops. */
  readonly signal?: AbortSignal;
}

/** Pauses that tests use to hold a request between its batch and realtime reads. */
export interface QueryHooks {
  /** Runs after the batch version was taken, while the request still holds it. */
  afterBatchRead?(view: string): Promise<void>;
}

/** The view of `project` named `name`, or a 404 naming the views. */
export function lookupView(project: Project, name: string): AnyView {
  if (project.hasView(name)) return project.view(name);
  throw new ServingError(
    'OXBOW_NOT_FOUND',
    `unknown view "${name}" (views: ${project.views.map((view) => view.name).join(', ') || 'none'})`,
  );
}

/** The names a view can be ranked by: numeric fields by name, quantile fields as `field.p50|p95|p99`. */
export function rankableFields(view: AnyView): string[] {
  return view.fields.flatMap((field) =>
    field.kind === 'quantiles' ? ['p50', 'p95', 'p99'].map((q) => `${field.name}.${q}`) : [field.name],
  );
}

/** The merge state of one view, for `GET /v1/views`. */
export interface ViewMergeState {
  readonly view: AnyView;
  /** `ready`, or `rebuilding` with the reason. */
  readonly status: ViewStatus;
  readonly batchRows: number | null;
  readonly realtimeEpochs: number[];
  readonly freshness: Freshness;
  /** The speed layer's last reconciliation of the view with a batch version, if any. */
  readonly reconciliation?: ViewReconciliation;
}

/** What {@link ViewQueries} reads from. */
export interface ViewQueriesOptions {
  /** The project whose views are answered. */
  readonly project: Project;
  readonly batch: BatchViewStore;
  /** The mirror of the speed layer's increments (of the views whose topics it consumes). */
  readonly mirror: RealtimeMirror;
  /**
   * The project topics the speed layer consumes (from `speedTopics`); views of other topics have no realtime
   * part. Default: every topic of the project.
   */
  readonly speedTopics?: ReadonlySet<string>;
  /** `Retry-After` of a rebuilding view's 503, in seconds (default 5). */
  readonly rebuildingRetryAfterS?: number;
  /** Rendered answers (default: a cache of 128 MiB). */
  readonly cache?: AnswerCache;
  /** The cap on rankings computed at once (default: 2 running, 64 waiting). */
  readonly gate?: Gate;
  /** Test hooks. */
  readonly hooks?: QueryHooks;
}

/** Bytes of rendered answers kept by default. */
export const DEFAULT_ANSWER_CACHE_BYTES = 128 * 1024 * 1024;

/** Range rankings kept per batch version and view. */
const RANGE_RANKINGS_KEPT = 4;

/** What a batch version holds for rankings: the all-time ones, range ones (most recent last), overlays. */
interface VersionRankings {
  readonly allTime: Map<string, AllTimeRanking>;
  readonly ranges: Map<string, Promise<RangeRanking>>;
  readonly overlays: Map<string, RankingOverlay>;
}

/**
 * `{"bucket":"<ISO-8601>","value":` of bucket starts, as bytes (a view has few distinct buckets, each rendered in
 * many answers).
 */
const bucketHeads = new Map<number, Buffer>();

function bucketHead(ms: number): Buffer {
  let head = bucketHeads.get(ms);
  if (head === undefined) {
    if (bucketHeads.size >= 100_000) bucketHeads.clear();
    head = Buffer.from(`{"bucket":"${new Date(ms).toISOString()}","value":`);
    bucketHeads.set(ms, head);
  }
  return head;
}

function freshnessOf(manifest: BatchManifest | undefined, report: SpeedReport): Freshness {
  return {
    batchRunId: manifest?.runId ?? null,
    batchWatermarkEpoch: manifest?.watermarkEpoch ?? null,
    ...report.status,
  };
}

/** Reads, merges and presents; every request of the API goes through one of these. */
export class ViewQueries {
  readonly project: Project;
  readonly #batch: BatchViewStore;
  readonly #mirror: RealtimeMirror;
  readonly #hooks: QueryHooks;
  readonly #speedTopics: ReadonlySet<string>;
  readonly #retryAfterS: number;
  readonly #cache: AnswerCache;
  readonly #gate: Gate;
  readonly #ops = new Map<string, ViewStateOps>();
  readonly #out = new JsonBytes();
  readonly #rankings = new WeakMap<object, VersionRankings>();
  /** Stands for "no batch version" in {@link ViewQueries.#rankings}. */
  readonly #noVersion = {};
  /** The last freshness rendered, for the (status, version) it was rendered for. */
  #freshness: { report: SpeedReport; manifest: BatchManifest | undefined; json: string } | undefined;

  constructor(options: ViewQueriesOptions) {
    this.project = options.project;
    this.#batch = options.batch;
    this.#mirror = options.mirror;
    this.#hooks = options.hooks ?? {};
    this.#speedTopics = options.speedTopics ?? new Set(options.project.topics.keys());
    this.#retryAfterS = options.rebuildingRetryAfterS ?? 5;
    this.#cache = options.cache ?? new AnswerCache(DEFAULT_ANSWER_CACHE_BYTES);
    this.#gate = options.gate ?? new Gate(2, 64);
    for (const view of options.project.views) this.#ops.set(view.name, new ViewStateOps(view));
  }

  /** The answer cache (for /metrics). */
  get cache(): AnswerCache {
    return this.#cache;
  }

  /** The rankings' concurrency cap (for /metrics). */
  get gate(): Gate {
    return this.#gate;
  }

  /** The view named `name`, or a 404 naming the views. */
  view(name: string): AnyView {
    return lookupView(this.project, name);
  }

  /** The JSON of `freshness` (one per probe and version, shared by the requests answered from them). */
  #freshnessJson(manifest: BatchManifest | undefined, report: SpeedReport): string {
    const last = this.#freshness;
    if (last !== undefined && last.report === report && last.manifest === manifest) return last.json;
    const json = JSON.stringify(freshnessOf(manifest, report));
    this.#freshness = { report, manifest, json };
    return json;
  }

  #consumed(view: AnyView): boolean {
    return this.#speedTopics.has(view.topic);
  }

  #opsOf(view: AnyView): ViewStateOps {
    return this.#ops.get(view.name) as ViewStateOps;
  }

  /**
   * Takes the batch version, checks the view is ready on both sides (the speed side from a probe issued after
   * this call, see realtime-mirror.ts), and runs `work` holding the version.
   */
  async #withVersion<T>(
    view: AnyView,
    target: { readonly key?: string } | undefined,
    work: (snapshot: BatchSnapshot | undefined, report: SpeedReport, consumed: boolean) => Promise<T> | T,
  ): Promise<T> {
    const lease = this.#batch.acquire();
    try {
      const manifest = lease.snapshot?.manifest;
      requireReady(view, batchStatusOf(view, manifest), this.#retryAfterS);
      await this.#hooks.afterBatchRead?.(view.name);
      const consumed = this.#consumed(view) && this.#mirror.mirrors(view.name);
      const { report } = await this.#mirror.sync(
        consumed
          ? { view: view.name, ...(target?.key === undefined ? {} : { key: target.key }) }
          : { statusOnly: true },
      );
      // The status was probed after the increments the mirror holds were committed: the speed layer reports a
      // definition's fingerprint before it writes increments of it, so it names the definition of every one.
      requireReady(view, speedStatusOf(view, report, this.#consumed(view)), this.#retryAfterS);
      return await work(lease.snapshot, report, consumed);
    } finally {
      lease.release();
    }
  }

  /**
   * One key's buckets in `range` and their total, merged from batch and realtime states, as the bytes of the
   * JSON answer with its ETag.
   *
   * Throws 404 for a view not in the project and 503 `OXBOW_VIEW_REBUILDING` while it is rebuilding.
   *
   * @example
   * const { body, etag } = await queries.answerBytes('page_views_hourly', '/cart', parseTimeRange(undefined, undefined, Infinity));
   */
  answerBytes(
    viewName: string,
    key: string,
    range: TimeRange,
    options: QueryOptions = {},
  ): Promise<AnswerBytes> {
    const view = this.view(viewName);
    return this.#withVersion(view, { key }, (snapshot, report, consumed) => {
      options.signal?.throwIfAborted();
      const manifest = snapshot?.manifest;
      const watermark = manifest?.watermarkEpoch;
      const realtime = consumed ? this.#mirror.view(view.name) : undefined;
      const realtimeKey = realtime?.keys.get(key);
      const raw = options.raw === true;
      const cacheKey = `a\u0000${view.name}\u0000${raw ? 1 : 0}\u0000${range.fromMs ?? ''}\u0000${range.toMs ?? ''}\u0000${key}`;
      const stamp = `${snapshot?.sequence ?? 0}:${realtimeKey?.version ?? 0}:${watermark ?? ''}`;
      const freshness = this.#freshnessJson(manifest, report);
      const answer =
        this.#cache.lookup(cacheKey, stamp, freshness) ??
        this.#cache.store(
          cacheKey,
          stamp,
          freshness,
          this.#renderAnswer(view, snapshot?.model(view.name), realtimeKey, watermark, key, range, raw),
        );
      return { ...answer, realtimeEpochs: realtime?.epochsAfter(watermark).length ?? 0 };
    });
  }

  /** The answer's JSON up to `"freshness":`. */
  #renderAnswer(
    view: AnyView,
    model: BatchViewModel | undefined,
    realtime: RealtimeKey | undefined,
    watermark: number | undefined,
    key: string,
    range: TimeRange,
    raw: boolean,
  ): Buffer {
    const ops = model?.ops ?? this.#opsOf(view);
    const allTime = range.fromMs === undefined && range.toMs === undefined;
    const inRange = (bucket: number) =>
      (range.fromMs === undefined || bucket >= range.fromMs) &&
      (range.toMs === undefined || bucket < range.toMs);
    // The realtime states in the range, per bucket.
    const realtimeBuckets = new Map<number, Uint8Array[]>();
    realtime?.forEachAfter(watermark, (bucket, state) => {
      if (!inRange(bucket)) return;
      const states = realtimeBuckets.get(bucket);
      if (states === undefined) realtimeBuckets.set(bucket, [state]);
      else states.push(state);
    });
    const keyIndex = model?.keyIndex(key) ?? -1;
    let first = 0;
    let end = 0;
    if (model !== undefined && keyIndex >= 0) {
      first =
        range.fromMs === undefined ? model.cellStart(keyIndex) : model.cellAtOrAfter(keyIndex, range.fromMs);
      end = range.toMs === undefined ? model.cellEnd(keyIndex) : model.cellAtOrAfter(keyIndex, range.toMs);
    }
    const extra = [...realtimeBuckets.keys()].sort((a, b) => a - b);
    const out = this.#out;
    out.start();
    out.text(
      `{"view":${JSON.stringify(view.name)},"key":${JSON.stringify(key)},"from":${JSON.stringify(range.from)},"to":${JSON.stringify(range.to)},"buckets":[`,
    );
    const bucketAccumulator = ops.scratch;
    let cell = first;
    let next = 0;
    let separator = false;
    while (cell < end || next < extra.length) {
      const batchBucket = cell < end ? (model as BatchViewModel).bucket(cell) : Number.POSITIVE_INFINITY;
      const realtimeBucket = extra[next] ?? Number.POSITIVE_INFINITY;
      const bucket = Math.min(batchBucket, realtimeBucket);
      if (separator) out.text(',');
      out.bytes(bucketHead(bucket));
      separator = true;
      if (realtimeBucket === bucket || raw) {
        bucketAccumulator.reset();
        if (batchBucket === bucket) bucketAccumulator.addBytes((model as BatchViewModel).cellState(cell));
        for (const state of realtimeBuckets.get(bucket) ?? []) bucketAccumulator.addBytes(state);
        out.text(ops.render(bucketAccumulator.present(), raw));
      } else {
        out.bytes((model as BatchViewModel).cellJson(cell));
      }
      out.text('}');
      if (batchBucket === bucket) cell++;
      if (realtimeBucket === bucket) next++;
    }
    out.text('],"total":');
    if (model !== undefined && keyIndex >= 0 && allTime && extra.length === 0 && !raw) {
      out.bytes(model.totalJson(keyIndex));
    } else {
      const total = bucketAccumulator;
      total.reset();
      if (model !== undefined && keyIndex >= 0) {
        if (allTime) total.addBytes(model.totalState(keyIndex));
        else for (let index = first; index < end; index++) total.addBytes(model.cellState(index));
      }
      for (const states of realtimeBuckets.values()) for (const state of states) total.addBytes(state);
      out.text(ops.render(total.present(), raw));
    }
    this.#accuracy(out, ops);
    out.text(',"freshness":');
    return out.finish();
  }

  #accuracy(out: JsonBytes, ops: ViewStateOps): void {
    if (ops.accuracyJson !== '') out.text(ops.accuracyJson);
  }

  /**
   * One key's buckets in `range` and their total, merged from batch and realtime states.
   *
   * @example
   * await queries.answer('orders_by_store_hourly', 'amsterdam-01', parseTimeRange(undefined, undefined, Infinity));
   */
  async answer(
    viewName: string,
    key: string,
    range: TimeRange,
    options: QueryOptions = {},
  ): Promise<ViewAnswer> {
    const { body, realtimeEpochs } = await this.answerBytes(viewName, key, range, options);
    return { ...(JSON.parse(body.toString('utf8')) as Omit<ViewAnswer, 'realtimeEpochs'>), realtimeEpochs };
  }

  /**
   * The `limit` keys with the largest `by` over `range` (ties by key; keys without a value last), as the bytes of
   * the JSON answer with its ETag. All time is ranked from the version's rankings and the keys realtime touched;
   * another range is ranked once per version (in slices, at most two at a time) and then kept.
   *
   * @example
   * const { body } = await queries.topBytes('page_views_hourly', 'hits', 10, range);
   */
  topBytes(
    viewName: string,
    by: string,
    limit: number,
    range: TimeRange,
    options: QueryOptions = {},
  ): Promise<AnswerBytes> {
    const view = this.view(viewName);
    const ops = this.#opsOf(view);
    const rankable = ops.rankable.findIndex((candidate) => candidate.name === by);
    if (rankable < 0) {
      throw new ServingError(
        'OXBOW_BAD_REQUEST',
        `unknown field "${by}" for view ${view.name} (fields: ${rankableFields(view).join(', ')})`,
      );
    }
    return this.#withVersion(view, undefined, async (snapshot, report, consumed) => {
      const manifest = snapshot?.manifest;
      const watermark = manifest?.watermarkEpoch;
      const realtime = consumed ? this.#mirror.view(view.name) : undefined;
      const raw = options.raw === true;
      const cacheKey = `t\u0000${view.name}\u0000${by}\u0000${limit}\u0000${raw ? 1 : 0}\u0000${range.fromMs ?? ''}\u0000${range.toMs ?? ''}`;
      const stamp = `${snapshot?.sequence ?? 0}:${realtime?.version ?? 0}:${watermark ?? ''}`;
      const freshness = this.#freshnessJson(manifest, report);
      const realtimeEpochs = realtime?.epochsAfter(watermark).length ?? 0;
      const cached = this.#cache.lookup(cacheKey, stamp, freshness);
      if (cached !== undefined) return { ...cached, realtimeEpochs };
      const data = await this.#gate.run(options.signal, async () => {
        const bounds: BucketBounds = { fromMs: range.fromMs, toMs: range.toMs };
        const model = snapshot?.model(view.name);
        const base =
          model === undefined
            ? undefined
            : await this.#base(snapshot as BatchSnapshot, model, bounds, options.signal);
        const overlay = this.#overlay(snapshot, view, base, bounds, watermark);
        await overlay.update(realtime);
        options.signal?.throwIfAborted();
        const rows = overlay.top(rankable, limit, raw);
        const out = this.#out;
        out.start();
        out.text(
          `{"view":${JSON.stringify(view.name)},"by":${JSON.stringify(by)},"from":${JSON.stringify(range.from)},"to":${JSON.stringify(range.to)},"limit":${limit},"keys":[`,
        );
        rows.forEach((row, index) => {
          out.text(`${index === 0 ? '' : ','}{"key":${JSON.stringify(row.key)},"value":`);
          out.bytes(row.json);
          out.text('}');
        });
        out.text(']');
        this.#accuracy(out, ops);
        out.text(',"freshness":');
        return out.finish();
      });
      return { ...this.#cache.store(cacheKey, stamp, freshness, data), realtimeEpochs };
    });
  }

  /**
   * The `limit` keys with the largest `by` over `range` (ties by key; keys without a value last).
   *
   * @example
   * await queries.top('orders_by_store_hourly', 'orders', 10, range);
   */
  async top(
    viewName: string,
    by: string,
    limit: number,
    range: TimeRange,
    options: QueryOptions = {},
  ): Promise<TopAnswer> {
    const { body, realtimeEpochs } = await this.topBytes(viewName, by, limit, range, options);
    return { ...(JSON.parse(body.toString('utf8')) as Omit<TopAnswer, 'realtimeEpochs'>), realtimeEpochs };
  }

  #versionRankings(snapshot: BatchSnapshot | undefined): VersionRankings {
    const owner = snapshot ?? this.#noVersion;
    let rankings = this.#rankings.get(owner);
    if (rankings === undefined) {
      rankings = { allTime: new Map(), ranges: new Map(), overlays: new Map() };
      this.#rankings.set(owner, rankings);
    }
    return rankings;
  }

  async #base(
    snapshot: BatchSnapshot,
    model: BatchViewModel,
    bounds: BucketBounds,
    signal: AbortSignal | undefined,
  ): Promise<RankingBase> {
    const rankings = this.#versionRankings(snapshot);
    if (bounds.fromMs === undefined && bounds.toMs === undefined) {
      let ranking = rankings.allTime.get(model.view.name);
      if (ranking === undefined) {
        ranking = new AllTimeRanking(model);
        rankings.allTime.set(model.view.name, ranking);
      }
      return ranking;
    }
    const key = `${model.view.name}\u0000${bounds.fromMs ?? ''}\u0000${bounds.toMs ?? ''}`;
    let building = rankings.ranges.get(key);
    if (building === undefined) {
      building = RangeRanking.build(model, bounds, signal);
      rankings.ranges.set(key, building);
      // A build that failed (stopped by its request's time limit) is not kept: the next request starts over.
      building.catch(() => {
        if (rankings.ranges.get(key) === building) rankings.ranges.delete(key);
      });
      const ofView = [...rankings.ranges.keys()].filter((name) =>
        name.startsWith(`${model.view.name}\u0000`),
      );
      for (const old of ofView.slice(0, Math.max(0, ofView.length - RANGE_RANKINGS_KEPT))) {
        rankings.ranges.delete(old);
        for (const overlay of [...rankings.overlays.keys()])
          if (overlay.startsWith(old)) rankings.overlays.delete(overlay);
      }
    } else {
      // Most recently used last.
      rankings.ranges.delete(key);
      rankings.ranges.set(key, building);
    }
    return building;
  }

  #overlay(
    snapshot: BatchSnapshot | undefined,
    view: AnyView,
    base: RankingBase | undefined,
    bounds: BucketBounds,
    watermark: number | undefined,
  ): RankingOverlay {
    const rankings = this.#versionRankings(snapshot);
    const key = `${view.name}\u0000${bounds.fromMs ?? ''}\u0000${bounds.toMs ?? ''}\u0000${watermark ?? ''}`;
    let overlay = rankings.overlays.get(key);
    if (overlay === undefined || overlay.base !== base) {
      overlay = new RankingOverlay(base?.ops ?? this.#opsOf(view), base, bounds, watermark);
      rankings.overlays.set(key, overlay);
    }
    return overlay;
  }

  /** The merge state and status of every view of the project: the batch run, its rows, the realtime epochs after it. */
  async mergeState(): Promise<ViewMergeState[]> {
    const lease = this.#batch.acquire();
    try {
      const manifest = lease.snapshot?.manifest;
      const { report } = await this.#mirror.sync();
      const reconciliations = await this.#mirror.reconciliations();
      return this.project.views.map((view): ViewMergeState => {
        const consumed = this.#consumed(view);
        const reconciliation = reconciliations.get(view.name);
        return {
          ...(reconciliation === undefined ? {} : { reconciliation }),
          view,
          status: viewStatusOf(view, manifest, report, consumed),
          batchRows: manifest?.views.find((entry) => entry.name === view.name)?.rows ?? null,
          realtimeEpochs: consumed
            ? (this.#mirror.view(view.name)?.epochsAfter(manifest?.watermarkEpoch) ?? [])
            : [],
          freshness: freshnessOf(manifest, report),
        };
      });
    } finally {
      lease.release();
    }
  }
}
