/**
 * `@oxbow/batch`: the batch layer. `runBatch` recomputes the views of the user's project (the `project` setting)
 * from the sealed epochs of the lake and publishes a new batch-view version with its manifest; `scheduleBatch`
 * does it on a cron schedule.
 */

export {
  type BatchManifest,
  decodeManifest,
  type ManifestView,
  type ViewCoverage,
} from '@oxbow/contracts';
export {
  type BatchViewJobInput,
  type BatchViewJobOutput,
  batchViewJob,
  type ViewCell,
} from './compute/batch-view-job.ts';
export { type ComputedCell, TopicFold } from './compute/columnar-fold.ts';
export {
  LocalLakeFiles,
  openRunDuckDb,
  type RunDuckDb,
  type RunDuckDbOptions,
} from './compute/duckdb-engine.ts';
export { parseViewFunction, type SourceExpression } from './compute/function-source.ts';
export { compileViewFunction, type TypedSql } from './compute/sql-expression.ts';
export { scanTopic, type TopicScanResult, TupleHashCollision } from './compute/sql-scan.ts';
export { columnsReadBy, fieldsReadBy, type ViewColumns } from './compute/view-columns.ts';
export { type FieldPlan, type PlanResult, planView, type ViewPlan } from './compute/view-plan.ts';
export { BATCH_ERROR_CODES, BatchError, type BatchErrorCode, type BatchErrorOptions } from './errors.ts';
export {
  classifyTopicFiles,
  completeThrough,
  type ListedPartFile,
  lastSealedAtOrBefore,
  type TopicListing,
  watermarkEpoch,
} from './lake/lake-listing.ts';
export { lakeTopicsOf } from './lake/lake-topics.ts';
export { type BatchConfig, storageOptionsOf } from './lake/storage-options.ts';
export { listManifestHistory, readCurrentManifest } from './publish/manifest.ts';
export {
  mergePartialStates,
  type PartialCell,
  readPartialStates,
  writePartialStates,
} from './publish/partial-states.ts';
export { collectGarbage, type RetentionOptions } from './publish/retention.ts';
export {
  DUCKDB_FILE,
  type PresentedColumn,
  presentedColumns,
  type TableCell,
  type ViewTable,
  writeViewTables,
} from './publish/view-tables.ts';
export { BatchMetrics, type BatchRunOutcome } from './run/batch-metrics.ts';
export {
  isPartsRunId,
  PART_MARKER,
  PARTS_DIR,
  type PartMarker,
  type PartOf,
  type PartView,
  partDir,
  partsRunDir,
  partsRunIdOf,
  sliceOf,
} from './run/batch-parts.ts';
export { coverageOf, mergeWithPrevious, modeOf, type ViewMode } from './run/incremental.ts';
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
  type BatchMergeOptions,
  type BatchPartOptions,
  type BatchPartSummary,
  type BatchRunOptions,
  type BatchRunSummary,
  mergeBatchParts,
  runBatch,
  runBatchPart,
  type ScanSummary,
  type ViewChange,
  type ViewRunSummary,
} from './run/run-batch.ts';
export { isRunId, newRunId } from './run/run-id.ts';
export { formatSummaryTable } from './run/summary-table.ts';
export { type BatchSchedule, type BatchScheduleOptions, scheduleBatch } from './schedule/schedule-batch.ts';
