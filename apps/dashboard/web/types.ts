/** The answers of the serving API the page reads (see apps/serving/README.md). */

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

export interface Freshness {
  readonly batchRunId: string | null;
  readonly batchWatermarkEpoch: number | null;
  readonly realtimeThrough: string | null;
  readonly speedLagMs: number | null;
}

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

export interface PublishedRun {
  readonly runId: string;
  readonly watermarkEpoch: number;
  readonly epochMs: number;
  readonly watermarkThrough: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  readonly views: readonly {
    readonly name: string;
    readonly rows: number;
    readonly computeMs: number | null;
  }[];
}

export interface ManifestsAnswer {
  readonly current: PublishedRun | null;
  readonly runs: readonly PublishedRun[];
}

export interface SpeedAnswer {
  readonly reported: boolean;
  readonly state: string | null;
  readonly lagMs: number | null;
  readonly lagRecords: number | null;
  readonly realtimeThrough: string | null;
  readonly lastBatchTime: string | null;
  readonly lastBatchMs: number | null;
  readonly batches: number | null;
  readonly records: number | null;
  readonly refusedBatches: number | null;
  readonly rebuilding: boolean;
  readonly watermarkEpoch: number | null;
  readonly deadLettered: number;
  readonly topics: readonly {
    readonly topic: string;
    readonly records: number;
    readonly deadLettered: number;
  }[];
  readonly lastError: string | null;
  readonly updatedAt: string | null;
}

export interface ReadinessAnswer {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly message?: string }>>;
}

/** A model's latest version as `GET /v1/models` lists it (without the model itself). */
export interface ModelVersion {
  readonly name: string;
  readonly kind: string;
  readonly topic: string;
  readonly source: 'batch' | 'speed';
  readonly version: string;
  readonly runId: string | null;
  readonly watermarkEpoch?: number;
  readonly updatedAt: string;
  readonly examples: number;
  readonly fingerprint: string;
  readonly current: boolean;
}

/** A model of the project no layer has trained yet. */
export interface ModelNotTrained {
  readonly name: string;
  readonly kind: string;
  readonly topic: string;
  readonly trained: false;
}

export interface ModelsAnswer {
  readonly models: readonly (ModelVersion | ModelNotTrained)[];
}

/** `GET /v1/models/:name`: the latest version with the model as `@oxbow/ml` saves it. */
export interface ModelAnswer extends ModelVersion {
  readonly model: Readonly<Record<string, unknown>>;
}
