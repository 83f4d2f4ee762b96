/**
 * `@oxbow/batch`: the batch layer. `runBatch` recomputes the views from the sealed epochs of the lake and
 * publishes a new batch-view version with its manifest; `scheduleBatch` does it on a cron schedule.
 */
export {
  type BatchViewJobInput,
  type BatchViewJobOutput,
  batchViewJob,
  type ViewCell,
} from './compute/batch-view-job.ts';
export { computeWithDuckDb, LocalLakeFiles } from './compute/duckdb-engine.ts';
export { hasSqlPlan, SQL_PLANS, type SqlPlan } from './compute/sql-plans.ts';
export { BATCH_ERROR_CODES, BatchError, type BatchErrorCode, type BatchErrorOptions } from './errors.ts';
export {
  EVENT_COLUMNS,
  HTTP_LOG_ROW_SCHEMA,
  type HttpLogRow,
  httpLogEventOf,
  SENSOR_READING_ROW_SCHEMA,
  type SensorReadingRow,
  sensorReadingEventOf,
} from './lake/event-schemas.ts';
export {
  classifyTopicFiles,
  completeThrough,
  type ListedPartFile,
  lastSealedAtOrBefore,
  type TopicListing,
  watermarkEpoch,
} from './lake/lake-listing.ts';
export { type BatchConfig, storageOptionsOf } from './lake/storage-options.ts';
export { listManifestHistory, readCurrentManifest } from './publish/manifest.ts';
export { collectGarbage, type RetentionOptions } from './publish/retention.ts';
export { DUCKDB_FILE, presentedColumns } from './publish/view-tables.ts';
export { LakeLock, type LakeLockOptions, type LockRecord } from './run/lake-lock.ts';
export {
  jsonLinesProgress,
  type ProgressReporter,
  type ProgressSink,
  progressFor,
  silentProgress,
  terminalProgress,
} from './run/progress.ts';
export {
  type BatchEngine,
  type BatchRunOptions,
  type BatchRunSummary,
  runBatch,
  type ViewRunSummary,
} from './run/run-batch.ts';
export { isRunId, newRunId } from './run/run-id.ts';
export { formatSummaryTable } from './run/summary-table.ts';
export { type BatchSchedule, type BatchScheduleOptions, scheduleBatch } from './schedule/schedule-batch.ts';
