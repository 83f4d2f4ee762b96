/**
 * Prometheus metrics of Oxbow's apps on `prom-client`: each app keeps its own registry (so several apps, or
 * several instances in tests, can share a process), the process and Node.js metrics are collected once per
 * process, and a scrape renders both. Metrics whose value already lives in an app's counters or status are read
 * when scraped ({@link scrapedCounter}, {@link scrapedGauge}) instead of being updated twice.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The content type of the Prometheus text exposition format (version 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

let processRegistry: Registry | undefined;

/**
 * The registry of the default process and Node.js metrics (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, `nodejs_heap_size_used_bytes`, …), created once
 * per process: they describe the process, whichever apps run in it.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * What `GET /metrics` answers: the app's metrics and the process metrics, in the Prometheus text format.
 *
 * @example
 * response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(await exposition(registry));
 */
export async function exposition(registry: Registry, withProcessMetrics = true): Promise<string> {
  if (!withProcessMetrics) return registry.metrics();
  return Registry.merge([processMetricsRegistry(), registry]).metrics();
}

/** One sample of a metric read when scraped: its label values (none for an unlabelled metric) and value. */
export interface ScrapedSample {
  readonly labels?: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** A metric whose samples are read from the app when scraped. */
export interface ScrapedMetricSpec {
  readonly name: string;
  readonly help: string;
  /** The label names of the samples (none: `read` returns one number). */
  readonly labelNames?: readonly string[];
  readonly registry: Registry;
  /** The current value (unlabelled), or one sample per label set. */
  read(): number | readonly ScrapedSample[];
}

/** What prom-client needs to register a scraped metric: its name, help, label names and registry. */
function registrationOf(spec: ScrapedMetricSpec) {
  return {
    name: spec.name,
    help: spec.help,
    labelNames: [...(spec.labelNames ?? [])],
    registers: [spec.registry],
  };
}

function samplesOf(read: ScrapedMetricSpec['read']): readonly ScrapedSample[] {
  const value = read();
  return typeof value === 'number' ? [{ value }] : value;
}

/**
 * A counter whose value is a running total the app already keeps (never decreasing while the process lives),
 * read at every scrape.
 *
 * @example
 * scrapedCounter({ name: 'oxbow_archiver_files_published_total', help: 'Parquet files published.', registry,
 *   read: () => archiver.stats.filesPublished });
 */
export function scrapedCounter(spec: ScrapedMetricSpec): Counter {
  const { read } = spec;
  return new Counter({
    ...registrationOf(spec),
    collect() {
      this.reset();
      for (const sample of samplesOf(read)) {
        const value = Math.max(0, sample.value);
        if (sample.labels === undefined) this.inc(value);
        else this.inc(sample.labels, value);
      }
    },
  });
}

/**
 * A gauge read at every scrape; label sets not returned by `read` disappear.
 *
 * @example
 * scrapedGauge({ name: 'oxbow_speed_cached_cells', help: 'Cells held in memory.', registry,
 *   read: () => status().cachedCells });
 */
export function scrapedGauge(spec: ScrapedMetricSpec): Gauge {
  const { read } = spec;
  return new Gauge({
    ...registrationOf(spec),
    collect() {
      this.reset();
      for (const sample of samplesOf(read)) {
        if (sample.labels === undefined) this.set(sample.value);
        else this.set(sample.labels, sample.value);
      }
    },
  });
}

/**
 * The consumer lag samples of `lagPerPartition` (`topic:partition` → offsets behind, as a Kafka source reports
 * it), labelled `topic` and `partition`.
 */
export function lagSamples(lagPerPartition: Readonly<Record<string, string>>): ScrapedSample[] {
  return Object.entries(lagPerPartition).map(([key, lag]) => {
    const split = key.lastIndexOf(':');
    return {
      labels: { topic: key.slice(0, split), partition: key.slice(split + 1) },
      value: Number(lag),
    };
  });
}
