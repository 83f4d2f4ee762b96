/**
 * `@oxbow/archiver`: Kafka event topics → the Parquet master dataset, exactly once (docs/design/0002).
 */
export { type ArchiverLogEvent, type ArchiverLogger, jsonLineLogger } from './archive-log.ts';
export { Archiver, type ArchiverOptions, type ArchiverStats } from './archiver.ts';
export { ArchiverMetrics, type ArchiverReadings } from './archiver-metrics.ts';
export { ARCHIVER_ERROR_CODES, ArchiverError, type ArchiverErrorCode } from './errors.ts';
export {
  archiverTopicsOf,
  type EventFields,
  type EventSchema,
  eventSchemaOf,
  type TopicSpec,
} from './event-schemas.ts';
export {
  type ArchiverConfig,
  type ArchiverOverrides,
  openLake,
  runArchiver,
  validationIn,
} from './run-archiver.ts';
export { type PartitionSealFacts, type SealInputs, sealEndOffsets } from './seal-decision.ts';
