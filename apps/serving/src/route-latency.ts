/**
 * The request latency histogram by route, counted on the request path with a few array increments (no label
 * hashing per request) and handed to `prom-client` as a metric of its registry when scraped.
 */
import type { Metric, Registry } from 'prom-client';

interface RouteSeries {
  /** Observations per bucket (not cumulative), then those above the last bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One sample of the exposition, as `prom-client` formats it. */
interface Sample {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName: string;
}

/**
 * A histogram labelled by `route`, registered in `registry`: `observe` is what a request costs; the cumulative
 * `_bucket`, `_sum` and `_count` series are built when the registry renders it.
 *
 * @example
 * const latency = new RouteLatencyHistogram(registry, 'oxbow_http_request_duration_seconds', 'Time to answer.', [0.01, 0.1, 1]);
 * latency.observe('/v1/views/:view', 0.004);
 */
export class RouteLatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, RouteSeries>();

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.#bounds = [...bounds].sort((a, b) => a - b);
    // prom-client renders any registered object with get(); its types only name its own classes.
    registry.registerMetric(this as unknown as Metric);
  }

  /** Records one request of `route` that took `seconds`. */
  observe(route: string, seconds: number): void {
    let series = this.#series.get(route);
    if (series === undefined) {
      series = { counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.#series.set(route, series);
    }
    const bounds = this.#bounds;
    let index = 0;
    while (index < bounds.length && seconds > (bounds[index] as number)) index++;
    series.counts[index] = (series.counts[index] ?? 0) + 1;
    series.sum += seconds;
    series.count++;
  }

  /** The samples, as prom-client's registry reads a metric. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const [route, series] of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += series.counts[index] ?? 0;
        values.push({ value: cumulative, labels: { route, le: bound }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: series.count, labels: { route, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: series.sum, labels: { route }, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels: { route }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every observation (`registry.resetMetrics()`). */
  reset(): void {
    this.#series.clear();
  }
}
