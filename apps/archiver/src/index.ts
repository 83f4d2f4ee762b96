/**
 * `@oxbow/archiver`: Kafka event topics → the Parquet master dataset, exactly once (docs/design/0002).
 */
export { type ArchiverLogEvent, type ArchiverLogger, jsonLineLogger } from './archive-log.ts';
export { Archiver, type ArchiverOptions, type ArchiverStats } from './archiver.ts';
export { ARCHIVER_ERROR_CODES, ArchiverError, type ArchiverErrorCode } from './errors.ts';
export {
  EVENT_SCHEMAS,
  type EventFields,
  type EventSchema,
  HTTP_LOGS_PARQUET,
  parseTopicSpecs,
  SENSOR_READINGS_PARQUET,
  type TopicSpec,
} from './event-schemas.ts';
export { type ArchiverConfig, type ArchiverOverrides, openLake, runArchiver } from './run-archiver.ts';
export { type PartitionSealFacts, type SealInputs, sealEndOffsets } from './seal-decision.ts';
