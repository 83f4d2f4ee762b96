/**
 * `@oxbow/ingest`: the ingest gateway into Kafka — `POST /v1/ingest/:topic` (JSON lines or a JSON array, checked by
 * the topic's schema, acknowledged only after Kafka), and the syslog (UDP/TCP) and MQTT sources mapped to project
 * topics.
 */
export { type BudgetLimits, InFlightBudget, Reservation } from './budget.ts';
export { httpStatusOf, INGEST_ERROR_STATUS, IngestError, type IngestErrorCode } from './errors.ts';
export { KafkaWriter, type KafkaWriterOptions } from './kafka-writer.ts';
export {
  defaultMqttRecord,
  defaultSyslogRecord,
  type MappedRecord,
  type MqttMapping,
  type MqttRoute,
  mqttTopicMatches,
  parseMqttRoutes,
  routeOf,
  type SyslogMapping,
} from './mappings.ts';
export {
  type CounterName,
  type Gauge,
  type InFlightReadings,
  IngestMetrics,
  type IngestSource,
} from './metrics.ts';
export {
  type BodyFormat,
  type CheckedBody,
  type CheckOptions,
  checkBody,
  checkRecord,
  type IngestMessage,
  JSON_LINES_TYPES,
  messageKeyOf,
  type RejectedRecord,
} from './records.ts';
export {
  bodyFormatOf,
  buildIngestServer,
  createKafka,
  type IngestAnswer,
  type IngestConfig,
  type IngestDependencies,
  type IngestServer,
  MAX_LISTED_REJECTIONS,
} from './server.ts';
export { type IngestSources, type SourceDependencies, sourcePlan, startSources } from './sources.ts';
export { type RunningIngest, type StartIngestOptions, startIngest } from './start-ingest.ts';
