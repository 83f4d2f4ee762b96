/**
 * `@oxbow/serving`: the fastify query API answering `batch(key, buckets) ⊕ realtime(epochs > E)` for every view.
 */

export {
  ADMIN_KEY_FILE,
  type AdminKeyCreated,
  isLoopbackHost,
  type StartRefusedCode,
  StartRefusedError,
} from './access.ts';
export { AnswerCache, type AnswerCacheStats, type RenderedAnswer } from './answer-cache.ts';
export { type ApiKeys, parseApiKeys, type Scope } from './api-keys.ts';
export {
  type BatchModelStats,
  BatchViewModel,
  type LoadModelOptions,
  loadBatchModel,
} from './batch-model.ts';
export { type BatchRunRecord, BatchRuns, type TriggerBatchRun } from './batch-runs.ts';
export { BatchSnapshot, type BucketRange, type StoredState } from './batch-snapshot.ts';
export { type BatchLease, BatchViewStore, type BatchViewStoreOptions } from './batch-store.ts';
export { httpStatusOf, SERVING_ERROR_STATUS, ServingError, type ServingErrorCode } from './errors.ts';
export { Gate, withTimeLimit, withWaitLimit } from './gate.ts';
export { type ReadManifestOptions, readCurrentManifest } from './manifest.ts';
export { type Gauge, ServingMetrics, type ServingReadings } from './metrics.ts';
export {
  type MirrorStats,
  RealtimeMirror,
  type RealtimeMirrorOptions,
  type SyncPoint,
  type SyncTarget,
} from './realtime-mirror.ts';
export {
  parseSpeedReport,
  type RealtimeRead,
  RealtimeStore,
  type SpeedReport,
  type SpeedStatus,
} from './realtime-store.ts';
export {
  FUNCTION_KEY_MAX_LENGTH,
  fieldValueSchema,
  keyLimitsOf,
  valueSchemaOf,
} from './routes/schemas.ts';
export { buildServer, type ServingConfig, type ServingDependencies, type ServingServer } from './server.ts';
export { type RunningServer, type StartServingOptions, startServing } from './start-serving.ts';
export { type Accuracy, type RankableField, ViewAccumulator, ViewStateOps } from './state-ops.ts';
export { parseTimeRange, type TimeRange } from './time-range.ts';
export {
  type AnswerBytes,
  type AnyView,
  DEFAULT_ANSWER_CACHE_BYTES,
  type Freshness,
  type QueryHooks,
  type QueryOptions,
  type ViewMergeState,
  ViewQueries,
  type ViewQueriesOptions,
} from './view-query.ts';
export {
  batchStatusOf,
  speedStatusOf,
  ViewRebuildingError,
  type ViewStatus,
  viewStatusOf,
} from './view-status.ts';
