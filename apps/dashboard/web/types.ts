/**
 * The answers of the serving API the page reads (see apps/serving/README.md). Those of the dashboard and model
 * routes are the serving app's own, from `@oxbow/contracts` (types only: nothing of it is bundled).
 */

import type { Freshness } from '@oxbow/contracts';

export type {
  ModelNotTrained,
  ModelsAnswer,
  ModelVersion,
  PublishedRunsAnswer as ManifestsAnswer,
  RecentDeadLetter,
  ServedModel as ModelAnswer,
  SpeedOverview as SpeedAnswer,
} from '@oxbow/contracts';

export interface FieldInfo {
  readonly name: string;
  readonly kind: string;
  readonly description: string;
}

export interface MergeState {
  readonly batchRunId: string | null;
  readonly batchWatermarkEpoch: number | null;
  readonly batchRows: number;
  readonly realtimeEpochs: readonly number[];
  readonly realtimeThrough: string | null;
  readonly speedLagMs: number | null;
}

export interface ViewInfo {
  readonly name: string;
  readonly description: string;
  readonly topic: string;
  readonly bucketMs: number;
  readonly key: string;
  readonly keyMaxLength: number;
  readonly fields: readonly FieldInfo[];
  readonly rankBy: readonly string[];
  readonly fingerprint: string;
  readonly status: 'ready' | 'rebuilding';
  readonly rebuilding?: string;
  readonly merge: MergeState;
}

export interface LiveViewInfo {
  readonly name: string;
  readonly description: string;
  readonly topic: string;
  readonly personal: boolean;
}

export interface ViewsAnswer {
  readonly views: readonly ViewInfo[];
  readonly liveViews: readonly LiveViewInfo[];
}

/** A view's value: field name → number, null, quantiles, or another JSON value. */
export type ViewValue = Readonly<Record<string, unknown>>;

export interface ViewAnswer {
  readonly view: string;
  readonly key: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly buckets: readonly { readonly bucket: string; readonly value: ViewValue }[];
  readonly total: ViewValue;
  readonly freshness: Freshness;
}

export interface TopAnswer {
  readonly view: string;
  readonly by: string;
  readonly keys: readonly { readonly key: string; readonly value: ViewValue }[];
  readonly freshness: Freshness;
}

export interface LiveAnswer {
  readonly view: string;
  readonly value: unknown;
}

export interface ReadinessAnswer {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly message?: string }>>;
}
