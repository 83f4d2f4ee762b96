export {
  DEFAULT_HEALTH_PATHS,
  type OperationsServer,
  type OperationsServerOptions,
  serveOperations,
} from './operations-server.ts';
export {
  exposition,
  lagSamples,
  PROMETHEUS_CONTENT_TYPE,
  processMetricsRegistry,
  type ScrapedMetricSpec,
  type ScrapedSample,
  scrapedCounter,
  scrapedGauge,
} from './prometheus.ts';
export { writeMetricsTextfile } from './textfile.ts';
