/**
 * The web-analytics example as a package, for tests and tools that need its parts by name: the project file's
 * path, its schemas, generators, views and live-view presenters. Oxbow's apps never import it; they load the
 * project through the `project` setting.
 */
import { fileURLToPath } from 'node:url';

/** The path of the example's project module (what `--project` names). */
export const WEB_ANALYTICS_PROJECT = fileURLToPath(new URL('./oxbow.project.ts', import.meta.url));

export { generateHttpLogs, HTTP_PATHS, type HttpLog } from './src/http-log-generator.ts';
export * from './src/live-views.ts';
export { latencyPredictor, sensorClusters } from './src/models.ts';
export {
  type HttpLogEvent,
  httpLogs,
  type SensorReadingEvent,
  sensorReadings,
  TEMPERATURE_RANGE,
} from './src/schemas.ts';
export {
  generateSensorReadings,
  SENSOR_SITES,
  type SensorReading,
} from './src/sensor-reading-generator.ts';
export {
  countryDaily,
  PAGE_VIEWS_HLL_PRECISION,
  pageViewsHourly,
  sensorHourly,
  statusClass,
  statusMinutely,
} from './src/views.ts';
