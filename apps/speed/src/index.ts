/**
 * `@oxbow/speed`: the speed layer. `startSpeed(config)` runs the views of `@oxbow/views` on the Kafka direct
 * streams and keeps their increments per (view, epoch, partition, key, bucket) in Redis, exactly once, plus the
 * live views; `oxbow speed` runs it until SIGTERM.
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
export { ensureGeneration, readGeneration } from './generation.ts';
export { computeIncrements, type Increment, incrementView } from './increments.ts';
export {
  defaultCheckpointDir,
  resolveSpeedSettings,
  type SpeedOptions,
  type SpeedSettings,
} from './speed-options.ts';
export { type SpeedHandle, startSpeed } from './speed-service.ts';
export type { SpeedState, SpeedStatus } from './speed-status.ts';
