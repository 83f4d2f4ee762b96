/**
 * The serving layer's Prometheus metrics, kept by hand (counters and a latency histogram) and rendered in the
 * text exposition format.
 */

const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface RouteSeries {
  readonly labels: string;
  count: number;
}

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A gauge read when /metrics is scraped. */
export interface Gauge {
  readonly name: string;
  readonly help: string;
  read(): number;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/**
 * Request counters by route/method/status, a latency histogram by route, and gauges.
 *
 * @example
 * metrics.observe('GET', '/v1/views/:view', 200, 0.004);
 * reply.type('text/plain; version=0.0.4').send(metrics.render());
 */
export class ServingMetrics {
  readonly #requests = new Map<string, RouteSeries>();
  /** The series of each (method, status, route), found without escaping the labels again. */
  readonly #series = new Map<string, RouteSeries>();
  readonly #latency = new Map<string, Histogram>();
  readonly #gauges: Gauge[] = [];

  /** Adds a gauge to every rendering. */
  addGauge(gauge: Gauge): void {
    this.#gauges.push(gauge);
  }

  /** Records one finished request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let series = this.#series.get(id);
    if (series === undefined) {
      const labels = `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`;
      series = this.#requests.get(labels) ?? { labels, count: 0 };
      this.#requests.set(labels, series);
      this.#series.set(id, series);
    }
    series.count++;
    let histogram = this.#latency.get(route);
    if (!histogram) {
      histogram = { counts: LATENCY_BUCKETS_S.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(route, histogram);
    }
    const counts = histogram.counts;
    for (let index = 0; index < LATENCY_BUCKETS_S.length; index++) {
      if (seconds <= (LATENCY_BUCKETS_S[index] as number)) counts[index] = (counts[index] ?? 0) + 1;
    }
    histogram.sum += seconds;
    histogram.count++;
  }

  /** The metrics in Prometheus text format. */
  render(): string {
    const lines = [
      '# HELP oxbow_http_requests_total HTTP requests answered, by method, route and status.',
      '# TYPE oxbow_http_requests_total counter',
    ];
    for (const { labels, count } of this.#requests.values())
      lines.push(`oxbow_http_requests_total{${labels}} ${count}`);
    lines.push(
      '# HELP oxbow_http_request_duration_seconds Time to answer a request, by route.',
      '# TYPE oxbow_http_request_duration_seconds histogram',
    );
    for (const [route, histogram] of this.#latency) {
      const label = `route="${escapeLabel(route)}"`;
      LATENCY_BUCKETS_S.forEach((bound, index) => {
        lines.push(
          `oxbow_http_request_duration_seconds_bucket{${label},le="${bound}"} ${histogram.counts[index]}`,
        );
      });
      lines.push(`oxbow_http_request_duration_seconds_bucket{${label},le="+Inf"} ${histogram.count}`);
      lines.push(`oxbow_http_request_duration_seconds_sum{${label}} ${histogram.sum}`);
      lines.push(`oxbow_http_request_duration_seconds_count{${label}} ${histogram.count}`);
    }
    for (const gauge of this.#gauges) {
      lines.push(
        `# HELP ${gauge.name} ${gauge.help}`,
        `# TYPE ${gauge.name} gauge`,
        `${gauge.name} ${gauge.read()}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
