/**
 * The answer of the serving layer: `batch(key, buckets) ⊕ Σ_{e > E} Σ_p realtime(view, e, p, key, buckets)`,
 * merged with the view's aggregator and presented by field name — for the views of the project the server runs,
 * and only while the batch table and the increments were computed with the view's current definition
 * (`view-status.ts`); otherwise the view answers 503 `rebuilding`, never a merge of old and new states.
 */
import type { Aggregator } from '@oxbow/dataflow';
import type { AnyEvent, Project, ViewDefinition } from '@oxbow/views';
import type { StoredState } from './batch-snapshot.ts';
import type { BatchLease, BatchViewStore } from './batch-store.ts';
import { ServingError } from './errors.ts';
import type { RealtimeRead, RealtimeStore, SpeedStatus } from './realtime-store.ts';
import type { TimeRange } from './time-range.ts';
import { batchStatusOf, requireReady, speedStatusOf, type ViewStatus, viewStatusOf } from './view-status.ts';

/** A view of the project, as the API handles any of them. */
export type AnyView = ViewDefinition<AnyEvent>;

/** Which versions an answer is made of. */
export interface Freshness extends SpeedStatus {
  readonly batchRunId: string | null;
  readonly batchWatermarkEpoch: number | null;
}

/** A presented value with `undefined` (an empty mean or quantile) shown as `null`. */
export type PresentedValue = Record<string, unknown>;

/** The answer of `GET /v1/views/:view`. */
export interface ViewAnswer {
  readonly view: string;
  readonly key: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly buckets: Array<{ bucket: string; value: PresentedValue }>;
  readonly total: PresentedValue;
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
  readonly freshness: Freshness;
  readonly realtimeEpochs: number;
}

/** Pauses that tests use to hold a request between its batch and realtime reads. */
export interface QueryHooks {
  /** Runs after the batch states were read, while the request still holds its snapshot. */
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

function presentValue(view: AnyView, state: unknown): PresentedValue {
  return nullify(aggregatorOf(view).present(state)) as PresentedValue;
}

function nullify(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, nullify(inner)]));
}

function aggregatorOf(view: AnyView): Aggregator<AnyEvent, unknown, Record<string, unknown>> {
  return view.aggregator as Aggregator<AnyEvent, unknown, Record<string, unknown>>;
}

/** The merge state of one view, for `GET /v1/views`. */
export interface ViewMergeState {
  readonly view: AnyView;
  /** `ready`, or `rebuilding` with the reason. */
  readonly status: ViewStatus;
  readonly batchRows: number | null;
  readonly realtimeEpochs: number[];
  readonly freshness: Freshness;
}

/** What {@link ViewQueries} reads from. */
export interface ViewQueriesOptions {
  /** The project whose views are answered. */
  readonly project: Project;
  readonly batch: BatchViewStore;
  readonly realtime: RealtimeStore;
  /**
   * The project topics the speed layer consumes (from `speedTopics`); views of other topics have no realtime
   * part. Default: every topic of the project.
   */
  readonly speedTopics?: ReadonlySet<string>;
  /** `Retry-After` of a rebuilding view's 503, in seconds (default 5). */
  readonly rebuildingRetryAfterS?: number;
  /** Test hooks. */
  readonly hooks?: QueryHooks;
}

/** Reads, merges and presents; every request of the API goes through one of these. */
export class ViewQueries {
  readonly project: Project;
  readonly #batch: BatchViewStore;
  readonly #realtime: RealtimeStore;
  readonly #hooks: QueryHooks;
  readonly #speedTopics: ReadonlySet<string>;
  readonly #retryAfterS: number;

  constructor(options: ViewQueriesOptions) {
    this.project = options.project;
    this.#batch = options.batch;
    this.#realtime = options.realtime;
    this.#hooks = options.hooks ?? {};
    this.#speedTopics = options.speedTopics ?? new Set(options.project.topics.keys());
    this.#retryAfterS = options.rebuildingRetryAfterS ?? 5;
  }

  /** The view named `name`, or a 404 naming the views. */
  view(name: string): AnyView {
    return lookupView(this.project, name);
  }

  #consumed(view: AnyView): boolean {
    return this.#speedTopics.has(view.topic);
  }

  async #read(
    view: AnyView,
    keys: readonly string[] | undefined,
    range: TimeRange,
  ): Promise<{ states: StoredState[]; realtimeEpochs: number; freshness: Freshness }> {
    const lease: BatchLease = this.#batch.acquire();
    try {
      const manifest = lease.snapshot?.manifest;
      requireReady(view, batchStatusOf(view, manifest), this.#retryAfterS);
      const bucketRange = { fromMs: range.fromMs, toMs: range.toMs };
      const batchStates = lease.snapshot
        ? keys === undefined
          ? await lease.snapshot.states(view.name, undefined, bucketRange)
          : (
              await Promise.all(keys.map((key) => lease.snapshot?.states(view.name, key, bucketRange) ?? []))
            ).flat()
        : [];
      await this.#hooks.afterBatchRead?.(view.name);
      const watermark = manifest?.watermarkEpoch;
      const consumed = this.#consumed(view);
      const realtime: RealtimeRead = consumed
        ? await this.#realtime.read(view.name, view.topic, keys, watermark, bucketRange)
        : { states: [], epochs: [] };
      // The status is read after the increments: the speed layer reports a definition's fingerprint before it
      // writes increments of it, so a status read afterwards names the definition of every increment read.
      const report = await this.#realtime.speedReport();
      requireReady(view, speedStatusOf(view, report, consumed), this.#retryAfterS);
      return {
        states: [...batchStates, ...realtime.states],
        realtimeEpochs: realtime.epochs.length,
        freshness: {
          batchRunId: manifest?.runId ?? null,
          batchWatermarkEpoch: watermark ?? null,
          ...report.status,
        },
      };
    } finally {
      lease.release();
    }
  }

  /**
   * One key's buckets in `range` and their total, merged from batch and realtime states.
   *
   * Throws 404 for a view not in the project and 503 `OXBOW_VIEW_REBUILDING` while it is rebuilding.
   *
   * @example
   * await queries.answer('orders_by_store_hourly', 'amsterdam-01', parseTimeRange(undefined, undefined, Infinity));
   */
  async answer(viewName: string, key: string, range: TimeRange): Promise<ViewAnswer> {
    const view = this.view(viewName);
    const aggregator = aggregatorOf(view);
    const { states, realtimeEpochs, freshness } = await this.#read(view, [key], range);
    const byBucket = new Map<number, unknown>();
    for (const { bucket, bytes } of states) {
      const state = aggregator.codec.deserialize(bytes);
      const previous = byBucket.get(bucket);
      byBucket.set(bucket, previous === undefined ? state : aggregator.plus(previous, state));
    }
    const ordered = [...byBucket.entries()].sort(([a], [b]) => a - b);
    let total = aggregator.zero;
    for (const [, state] of ordered) total = aggregator.plus(total, state);
    return {
      view: view.name,
      key,
      from: range.from,
      to: range.to,
      buckets: ordered.map(([bucket, state]) => ({
        bucket: new Date(bucket).toISOString(),
        value: presentValue(view, state),
      })),
      total: presentValue(view, total),
      freshness,
      realtimeEpochs,
    };
  }

  /**
   * The `limit` keys with the largest `by` over `range` (ties by key; keys without a value last).
   *
   * @example
   * await queries.top('orders_by_store_hourly', 'orders', 10, range);
   */
  async top(viewName: string, by: string, limit: number, range: TimeRange): Promise<TopAnswer> {
    const view = this.view(viewName);
    const fields = rankableFields(view);
    if (!fields.includes(by)) {
      throw new ServingError(
        'OXBOW_BAD_REQUEST',
        `unknown field "${by}" for view ${view.name} (fields: ${fields.join(', ')})`,
      );
    }
    const aggregator = aggregatorOf(view);
    const { states, realtimeEpochs, freshness } = await this.#read(view, undefined, range);
    const byKey = new Map<string, unknown>();
    for (const { key, bytes } of states) {
      const state = aggregator.codec.deserialize(bytes);
      const previous = byKey.get(key);
      byKey.set(key, previous === undefined ? state : aggregator.plus(previous, state));
    }
    const [field, quantile] = by.split('.');
    const rankOf = (value: PresentedValue): number | null => {
      const raw = value[field ?? ''];
      const picked = quantile === undefined ? raw : (raw as Record<string, unknown> | null)?.[quantile];
      return typeof picked === 'number' ? picked : null;
    };
    const ranked = [...byKey.entries()]
      .map(([key, state]) => {
        const value = presentValue(view, state);
        return { key, value, rank: rankOf(value) };
      })
      .sort((a, b) => {
        if (a.rank === null || b.rank === null)
          return a.rank === b.rank ? cmp(a.key, b.key) : a.rank === null ? 1 : -1;
        return b.rank - a.rank || cmp(a.key, b.key);
      })
      .slice(0, limit);
    return {
      view: view.name,
      by,
      from: range.from,
      to: range.to,
      limit,
      keys: ranked.map(({ key, value }) => ({ key, value })),
      freshness,
      realtimeEpochs,
    };
  }

  /** The merge state and status of every view of the project: the batch run, its rows, the realtime epochs after it. */
  async mergeState(): Promise<ViewMergeState[]> {
    const lease = this.#batch.acquire();
    try {
      const manifest = lease.snapshot?.manifest;
      const report = await this.#realtime.speedReport();
      return await Promise.all(
        this.project.views.map(async (view): Promise<ViewMergeState> => {
          const consumed = this.#consumed(view);
          return {
            view,
            status: viewStatusOf(view, manifest, report, consumed),
            batchRows: manifest?.views.find((entry) => entry.name === view.name)?.rows ?? null,
            realtimeEpochs: consumed
              ? await this.#realtime.epochsAfter(view.name, manifest?.watermarkEpoch)
              : [],
            freshness: {
              batchRunId: manifest?.runId ?? null,
              batchWatermarkEpoch: manifest?.watermarkEpoch ?? null,
              ...report.status,
            },
          };
        }),
      );
    } finally {
      lease.release();
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
