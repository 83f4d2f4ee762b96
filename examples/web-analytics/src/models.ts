/**
 * The example's machine-learning models: the batch layer trains them on the lake's history and publishes them
 * beside the views, the speed layer keeps updating them per micro-batch, and the API serves them at
 * `GET /v1/models/:name`.
 */
import { defineModel } from '@oxbow/views';
import type { HttpLogEvent, SensorReadingEvent } from './schemas.ts';

/**
 * Clusters of sensor readings by (temperature, humidity): each site's climate shows as a cluster (five sites), and
 * the speed layer's centers follow the daily swing (older batches weigh less: decay 0.95 per micro-batch).
 */
export const sensorClusters = defineModel<SensorReadingEvent>({
  name: 'sensor_clusters',
  topic: 'sensor_readings',
  kind: 'kmeans',
  description: 'k-means (k = 5) of sensor readings over (temperature °C, humidity %)',
  features: (reading) => [reading.temperature, reading.humidity],
  params: { k: 5, maxIterations: 30, seed: 7, decayFactor: 0.95 },
});

/**
 * A latency predictor over request features: latencyMs ≈ intercept + w₁·[API path] + w₂·[5xx status]. The
 * generator makes API requests faster (about 20 ms against 45 ms) and server errors four times slower.
 */
export const latencyPredictor = defineModel<HttpLogEvent>({
  name: 'latency_predictor',
  topic: 'http_logs',
  kind: 'linear-regression',
  description: 'Linear regression of latencyMs on [path starts with /api/, status is 5xx], with an intercept',
  features: (log) => [log.path.startsWith('/api/') ? 1 : 0, log.status >= 500 ? 1 : 0],
  label: (log) => log.latencyMs,
  params: {
    numIterations: 200,
    stepSize: 0.5,
    intercept: true,
    streamingStepSize: 0.1,
    streamingIterations: 20,
  },
});
