/**
 * `@oxbow/speed`: the speed layer. `startSpeed(config)` runs the user's project (setting `project`) on the Kafka
 * direct streams: the increments of its views per (view, epoch, partition, key, bucket) in Redis, exactly once,
 * and its live views' latest values; `oxbow speed` runs it until SIGTERM.
 */
export { type ManifestRead, readManifest } from './batch-manifest.ts';
export {
  COMMIT_LUA,
  type CommitRange,
  type CommitRequest,
  type CommitResult,
  commitBatch,
} from './commit-script.ts';
export { type ExpiryOutcome, expireEpochs } from './epoch-expiry.ts';
export { SPEED_ERROR_CODES, SpeedError, type SpeedErrorCode } from './errors.ts';
export {
  type EnsureGenerationOptions,
  ensureGeneration,
  type GenerationOutcome,
  type GenerationReason,
  type GenerationViews,
  type PartitionOffsets,
  readGeneration,
} from './generation.ts';
export { computeIncrements, type Increment, incrementView } from './increments.ts';
export { SpeedMetrics, type SpeedReadings } from './speed-metrics.ts';
export {
  defaultCheckpointDir,
  liveViewSettings,
  resolveSpeedSettings,
  type SpeedOptions,
  type SpeedSettings,
} from './speed-options.ts';
export { type SpeedHandle, startSpeed } from './speed-service.ts';
export { SPEED_HEALTH_PATHS, type SpeedState, type SpeedStatus } from './speed-status.ts';
export { type FingerprintedView, viewFingerprintsOf, viewSetFingerprint } from './view-set.ts';
