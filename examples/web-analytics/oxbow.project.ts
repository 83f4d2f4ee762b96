/**
 * The web-analytics example: HTTP access logs and IoT sensor readings, four views, three live views and two models. This is
 * what `npm start` runs when no `project` setting is given; it is written exactly as a user writes a project.
 */
import { defineProject } from '@oxbow/views';
import { generateHttpLogs } from './src/http-log-generator.ts';
import { activeSessionsView, liveRequests5m, sensorAnomaliesView } from './src/live-views.ts';
import { latencyPredictor, sensorClusters } from './src/models.ts';
import { httpLogs, sensorReadings } from './src/schemas.ts';
import { generateSensorReadings } from './src/sensor-reading-generator.ts';
import { countryDaily, pageViewsHourly, sensorHourly, statusMinutely } from './src/views.ts';

export default defineProject({
  description: 'Web analytics (HTTP access logs) and IoT sensor readings',
  topics: { http_logs: httpLogs, sensor_readings: sensorReadings },
  views: [pageViewsHourly, countryDaily, statusMinutely, sensorHourly],
  live: [liveRequests5m, activeSessionsView, sensorAnomaliesView],
  models: [sensorClusters, latencyPredictor],
  generators: { http_logs: generateHttpLogs, sensor_readings: generateSensorReadings },
});
