/**
 * `@oxbow/views`: the views shared by the batch and speed layers, their event schemas and validators, and a
 * deterministic event generator.
 */
export { requireArgument, VIEWS_ERROR_CODES, ViewsError, type ViewsErrorCode } from './errors.ts';
export { HTTP_LOGS_TOPIC, type HttpLog, type HttpLogEvent, parseHttpLog } from './events/http-log.ts';
export type { ParseOptions, ParseResult } from './events/parse-result.ts';
export {
  parseSensorReading,
  SENSOR_READINGS_TOPIC,
  type SensorReading,
  type SensorReadingEvent,
  TEMPERATURE_RANGE,
} from './events/sensor-reading.ts';
export { EARLIEST_EVENT_MS, MAX_FUTURE_MS, parseIsoTimestamp } from './events/timestamp.ts';
export {
  diurnalFactor,
  type GeneratorOptions,
  MAX_LATENESS_MS,
  MIN_LATENESS_MS,
} from './generator/arrivals.ts';
export { generateHttpLogs, HTTP_PATHS, type HttpLogGeneratorOptions } from './generator/http-logs.ts';
export { SeededRandom } from './generator/random.ts';
export {
  generateSensorReadings,
  SENSOR_SITES,
  type SensorReadingGeneratorOptions,
} from './generator/sensor-readings.ts';
export {
  HTTP_LOG_LAKE_COLUMNS,
  KAFKA_METADATA_COLUMNS,
  SENSOR_READING_LAKE_COLUMNS,
} from './lake/lake-columns.ts';
export { aggregateView, presentViewRows, type ViewKey, type ViewRow } from './views/aggregate-view.ts';
export {
  countryDaily,
  PAGE_VIEWS_HLL_PRECISION,
  pageViewsHourly,
  statusClass,
  statusMinutely,
} from './views/http-views.ts';
export {
  type ActiveSessionsPart,
  type ActiveSessionsValue,
  activeSessions,
  LIVE_VIEW_DEFAULTS,
  LIVE_VIEW_NAMES,
  type LiveRequestsValue,
  type LiveViewName,
  type LiveViewOptions,
  liveRequestsByPath,
  presentActiveSessions,
  presentLiveRequests,
  presentSensorAnomalies,
  type SensorAnomaliesValue,
  type SensorAnomaly,
  type SensorAnomalyState,
  type SessionUpdate,
  sensorAnomalies,
  sessionize,
  type UserSession,
  updateSensorAnomalies,
} from './views/live-views.ts';
export {
  type HttpLogViewName,
  isViewName,
  type SensorReadingViewName,
  VIEW_NAMES,
  VIEWS,
  type ViewName,
  viewByName,
} from './views/registry.ts';
export { sensorHourly } from './views/sensor-views.ts';
export {
  bucketStart,
  type TimedEvent,
  type ViewDefinition,
  type ViewField,
  type ViewFieldKind,
  type ViewTopic,
} from './views/view-definition.ts';
export { type ViewJobInput, viewJob } from './views/view-job.ts';
