/**
 * The answers of the serving API's dashboard and model routes, written once: the serving app builds them and the
 * dashboard reads them (`GET /v1/speed/status`, `GET /v1/batch/manifests`, `GET /v1/models`,
 * `GET /v1/models/:name`, and the `freshness` of the view answers). Types only: importing them (`import type`) adds nothing to a bundle.
 */

/** Which versions a view answer (`GET /v1/views/:view`, `…/top`) is made of: its `freshness`. */
export interface Freshness {
  /** The run id of the batch version used (`null` before the first published run). */
  readonly batchRunId: string | null;
  /** E: the batch part covers epochs ≤ E. */
  readonly batchWatermarkEpoch: number | null;
  /** The largest Kafka append time the speed layer processed (ISO-8601), if reported. */
  readonly realtimeThrough: string | null;
  /** The speed layer's lag behind Kafka in ms, if reported. */
  readonly speedLagMs: number | null;
}

/** Records and dead-lettered records of one Kafka topic since the speed layer's first commit. */
export interface SpeedTopicCounts {
  readonly topic: string;
  readonly records: number;
  readonly deadLettered: number;
}

/**
 * One of the last records the speed layer dead-lettered: where it came from, why it was refused (the
 * `oxbow-error` header of its dead letter, cut to 300 characters) and when. The record itself is in the
 * dead-letter Kafka topic.
 */
export interface RecentDeadLetter {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, a decimal string (exact int64). */
  readonly offset: string;
  readonly reason: string;
  /** When it was dead-lettered, ISO-8601. */
  readonly at: string;
}

/**
 * What `GET /v1/speed/status` answers: the speed layer's status hash (`<prefix>speed:status`, written after every
 * committed micro-batch) — state, lag, throughput counters and dead-lettered records per Kafka topic.
 */
export interface SpeedOverview {
  /** False when the speed layer never reported (then every other field is null or empty). */
  readonly reported: boolean;
  readonly state: string | null;
  /** 0 when caught up, else now − realtimeThrough at the last commit (ms). */
  readonly lagMs: number | null;
  /** Offsets between the last cut and the partitions' high watermarks. */
  readonly lagRecords: number | null;
  /** The largest Kafka append time processed, ISO-8601. */
  readonly realtimeThrough: string | null;
  /** When the last micro-batch was committed, ISO-8601. */
  readonly lastBatchTime: string | null;
  /** How long computing and committing the last micro-batch took (ms). */
  readonly lastBatchMs: number | null;
  /** Micro-batches and records committed by the running speed process. */
  readonly batches: number | null;
  readonly records: number | null;
  readonly refusedBatches: number | null;
  /** True while a new generation replays Kafka (merged answers incomplete). */
  readonly rebuilding: boolean;
  /** The batch watermark epoch the speed layer last saw (−1 without a manifest). */
  readonly watermarkEpoch: number | null;
  /** Dead-lettered records of every topic since the first commit (the records and reasons are in Kafka). */
  readonly deadLettered: number;
  readonly topics: readonly SpeedTopicCounts[];
  /**
   * The last records the running speed process dead-lettered (at most 20 over its topics), newest first; empty
   * when there were none since it started, or when the speed layer predates this field.
   */
  readonly recentDeadLetters: readonly RecentDeadLetter[];
  readonly lastError: string | null;
  /** When the status was last written, ISO-8601. */
  readonly updatedAt: string | null;
}

/** One published batch run as `GET /v1/batch/manifests` lists it (a summary of its manifest). */
export interface PublishedRun {
  readonly runId: string;
  /** The watermark epoch E of the version. */
  readonly watermarkEpoch: number;
  readonly epochMs: number;
  /** The end of epoch E, `(E + 1) · epochMs`, as ISO-8601: events appended before it are in the batch part. */
  readonly watermarkThrough: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** `finishedAt − startedAt` in ms. */
  readonly durationMs: number;
  /** The manifest's phase durations (ms). */
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  readonly views: readonly {
    readonly name: string;
    readonly rows: number;
    readonly computeMs: number | null;
  }[];
}

/** What `GET /v1/batch/manifests` answers: the run served now and the last published runs, newest first. */
export interface PublishedRunsAnswer {
  readonly current: PublishedRun | null;
  readonly runs: readonly PublishedRun[];
}

/** A model's latest version as `GET /v1/models` lists it (without the model itself). */
export interface ModelVersion {
  readonly name: string;
  readonly kind: string;
  readonly topic: string;
  /** Which layer's model this is. */
  readonly source: 'batch' | 'speed';
  /**
   * The model's version: `batch:<runId>` for a published model, `speed:<baseRunId|none>:<batchTime>` for the speed
   * layer's.
   */
  readonly version: string;
  /** The batch run the model is (or started from); `null` for a speed model that started without one. */
  readonly runId: string | null;
  /** The batch version's watermark epoch (batch models). */
  readonly watermarkEpoch?: number;
  /** When it was published (the batch run's end) or last updated (the speed layer's micro-batch). */
  readonly updatedAt: string;
  /** Examples it learnt from: the batch history, or the micro-batches since the speed layer started from it. */
  readonly examples: number;
  /** The definition's fingerprint it was trained with, and whether it is the one the server's project declares. */
  readonly fingerprint: string;
  readonly current: boolean;
}

/** What `GET /v1/models/:name` answers: the latest version with the model. */
export interface ServedModel extends ModelVersion {
  /** The model as `@oxbow/ml` saves it: read it back with `modelFromJSON`. */
  readonly model: Readonly<Record<string, unknown>>;
}

/** A model of the project no layer has trained yet (an entry of `GET /v1/models`). */
export interface ModelNotTrained {
  readonly name: string;
  readonly kind: string;
  readonly topic: string;
  readonly trained: false;
}

/** What `GET /v1/models` answers: each project model's latest version, or `trained: false`. */
export interface ModelsAnswer {
  readonly models: readonly (ModelVersion | ModelNotTrained)[];
}
