/**
 * `@oxbow/contracts`: the contracts between Oxbow's layers, written once (docs/design/0002-layer-contracts.md):
 * the lake layout, the `_sealed` marker and batch manifest codecs, epochs, the Redis key layout, topic bindings,
 * the answers of the serving routes the dashboard reads, and the `OxbowError` base of every error. It depends on no other workspace package and does no I/O, so every project may import it.
 */
export type {
  Freshness,
  ModelNotTrained,
  ModelsAnswer,
  ModelVersion,
  PublishedRun,
  PublishedRunsAnswer,
  RecentDeadLetter,
  ServedModel,
  SpeedOverview,
  SpeedTopicCounts,
} from './api/serving-answers.ts';
export { CONTRACT_ERROR_CODES, ContractError, type ContractErrorCode } from './errors/contract-error.ts';
export { OxbowError, type OxbowErrorOptions } from './errors/oxbow-error.ts';
export { epochOf } from './lake/epochs.ts';
export {
  EVENTS_DIR,
  epochDir,
  epochPrefix,
  historyManifestPath,
  type LakeEntry,
  LOCK_PATH,
  MANIFEST_HISTORY_DIR,
  MANIFEST_PATH,
  type PartFile,
  parseLakePath,
  parsePartFileName,
  partFileName,
  partFilePath,
  runIdOfHistoryManifest,
  runIdOfVersionPath,
  SEALED_MARKER_NAME,
  sealedPath,
  topicPrefix,
  VIEWS_DIR,
  versionDir,
} from './lake/lake-layout.ts';
export { decodeSealedMarker, encodeSealedMarker, type SealedMarker } from './lake/sealed-marker.ts';
export {
  type BatchManifest,
  decodeManifest,
  encodeManifest,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ManifestModel,
  type ManifestView,
  type ViewCoverage,
} from './manifest/batch-manifest.ts';
export { type ManifestHistorySource, newestHistoryManifest } from './manifest/manifest-history.ts';
export {
  DEFAULT_REDIS_PREFIX,
  escapeGlob,
  type IncrementsKeyParts,
  RedisLayout,
  type RedisLayoutOptions,
} from './redis/redis-layout.ts';
export {
  decodeSpeedModel,
  encodeSpeedModel,
  SPEED_MODEL_FORMAT,
  type SpeedModelRecord,
} from './redis/speed-model.ts';
export {
  decodeReconciliation,
  encodeReconciliation,
  RECONCILIATION_FORMAT,
  type ViewReconciliation,
} from './redis/view-reconciliation.ts';
export { formatTopicBindings, parseTopicBindings, type TopicBinding } from './topics/topic-bindings.ts';
