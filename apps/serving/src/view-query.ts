/**
 * The answer of the serving layer: `batch(key, buckets) ⊕ Σ_{e > E} Σ_p realtime(view, e, p, key, buckets)`,
 * merged with the view's aggregator and presented by field name.
 */
import type { Aggregator } from '@oxbow/dataflow';
import { VIEWS, type ViewDefinition, type ViewName, viewByName } from '@oxbow/views';
import type { StoredState } from './batch-snapshot.ts';
import type { BatchLease, BatchViewStore } from './batch-store.ts';
import { ServingError } from './errors.ts';
import type { RealtimeStore, SpeedStatus } from './realtime-store.ts';
import type { TimeRange } from './time-range.ts';

/** A view with its types erased, as the API handles any of them. */
export type AnyView = ViewDefinition<never, unknown, Record<string, unknown>>;

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

/** The view named `name`, or a 404 naming the views. */
export function lookupView(name: string): AnyView {
  try {
    return viewByName(name) as unknown as AnyView;
  } catch {
    throw new ServingError(
      'OXBOW_NOT_FOUND',
      `unknown view "${name}" (views: ${Object.keys(VIEWS).join(', ')})`,
    );
  }
}

/** The names a view can be ranked by: numeric fields by name, quantile fields as `field.p50|p95|p99`. */
export function rankableFields(view: AnyView): string[] {
  return view.fields.flatMap((field) =>
    field.kind === 'quantiles' ? ['p50', 'p95', 'p99'].map((q) => `${field.name}.${q}`) : [field.name],
  );
}

function presentValue(view: AnyView, state: unknown): PresentedValue {
  return nullify(view.aggregator.present(state)) as PresentedValue;
}

function nullify(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, nullify(inner)]));
}

function aggregatorOf(view: AnyView): Aggregator<never, unknown, Record<string, unknown>> {
  return view.aggregator;
}

/** Reads, merges and presents; every request of the API goes through one of these. */
export class ViewQueries {
  readonly #batch: BatchViewStore;
  readonly #realtime: RealtimeStore;
  readonly #hooks: QueryHooks;

  constructor(batch: BatchViewStore, realtime: RealtimeStore, hooks: QueryHooks = {}) {
    this.#batch = batch;
    this.#realtime = realtime;
    this.#hooks = hooks;
  }

  async #read(
    view: AnyView,
    keys: readonly string[] | undefined,
    range: TimeRange,
  ): Promise<{ states: StoredState[]; realtimeEpochs: number; freshness: Freshness }> {
    const lease: BatchLease = this.#batch.acquire();
    try {
      const manifest = lease.snapshot?.manifest;
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
      const [realtimeStates, epochs, status] = await Promise.all([
        this.#realtime.states(view.name, view.topic, keys, watermark, bucketRange),
        this.#realtime.epochsAfter(view.name, watermark),
        this.#realtime.speedStatus(),
      ]);
      return {
        states: [...batchStates, ...realtimeStates],
        realtimeEpochs: epochs.length,
        freshness: {
          batchRunId: manifest?.runId ?? null,
          batchWatermarkEpoch: watermark ?? null,
          ...status,
        },
      };
    } finally {
      lease.release();
    }
  }

  /**
   * One key's buckets in `range` and their total, merged from batch and realtime states.
   *
   * @example
   * await queries.answer('page_views_hourly', '/checkout', parseTimeRange(undefined, undefined, Infinity));
   */
  async answer(viewName: string, key: string, range: TimeRange): Promise<ViewAnswer> {
    const view = lookupView(viewName);
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
   * await queries.top('page_views_hourly', 'hits', 10, range);
   */
  async top(viewName: string, by: string, limit: number, range: TimeRange): Promise<TopAnswer> {
    const view = lookupView(viewName);
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

  /** The merge state of every view: the batch run, its rows, and the realtime epochs after it. */
  async mergeState(): Promise<
    Array<{ view: AnyView; batchRows: number | null; realtimeEpochs: number[]; freshness: Freshness }>
  > {
    const lease = this.#batch.acquire();
    try {
      const manifest = lease.snapshot?.manifest;
      const status = await this.#realtime.speedStatus();
      return await Promise.all(
        (Object.keys(VIEWS) as ViewName[]).map(async (name) => {
          const view = lookupView(name);
          return {
            view,
            batchRows: manifest?.views.find((entry) => entry.name === name)?.rows ?? null,
            realtimeEpochs: await this.#realtime.epochsAfter(name, manifest?.watermarkEpoch),
            freshness: {
              batchRunId: manifest?.runId ?? null,
              batchWatermarkEpoch: manifest?.watermarkEpoch ?? null,
              ...status,
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
