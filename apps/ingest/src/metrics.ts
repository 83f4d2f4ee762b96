/**
 * The gateway's counters, kept by hand and rendered in the Prometheus text exposition format at `GET /metrics`.
 */

/** Where records come from. */
export type IngestSource = 'http' | 'syslog' | 'mqtt';

/** A gauge read when /metrics is scraped. */
export interface Gauge {
  readonly name: string;
  readonly help: string;
  read(): number;
}

interface Family {
  readonly help: string;
  readonly series: Map<string, number>;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function labelText(labels: Readonly<Record<string, string | number>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeLabel(String(value))}"`)
    .join(',');
}

const HELP = {
  oxbow_ingest_records_accepted_total: 'Records Kafka acknowledged, by source and topic.',
  oxbow_ingest_records_rejected_total: 'Records refused by their schema (or size), by source and topic.',
  oxbow_ingest_records_dropped_total:
    'Source messages not forwarded, by source and reason (busy: in-flight budget spent; filtered: the mapping returned nothing; unmatched: no topic for the MQTT topic; lost: Kafka failed at shutdown).',
  oxbow_ingest_records_failed_total: 'Records of produce requests Kafka failed, by topic.',
  oxbow_ingest_requests_total: 'HTTP ingest requests answered, by topic and status.',
} as const;

/** A metric family name of the gateway. */
export type CounterName = keyof typeof HELP;

/**
 * Counters by label set, plus gauges.
 *
 * @example
 * metrics.add('oxbow_ingest_records_accepted_total', { source: 'http', topic: 'http_logs' }, 250);
 * reply.type('text/plain; version=0.0.4').send(metrics.render());
 */
export class IngestMetrics {
  readonly #families = new Map<CounterName, Family>();
  readonly #gauges: Gauge[] = [];

  /** Adds a gauge to every rendering. */
  addGauge(gauge: Gauge): void {
    this.#gauges.push(gauge);
  }

  /** Adds `amount` to the counter `name` with `labels`. */
  add(name: CounterName, labels: Readonly<Record<string, string | number>>, amount = 1): void {
    if (amount === 0) return;
    let family = this.#families.get(name);
    if (!family) {
      family = { help: HELP[name], series: new Map() };
      this.#families.set(name, family);
    }
    const key = labelText(labels);
    family.series.set(key, (family.series.get(key) ?? 0) + amount);
  }

  /** The current value of a counter (0 when never added to). */
  value(name: CounterName, labels: Readonly<Record<string, string | number>>): number {
    return this.#families.get(name)?.series.get(labelText(labels)) ?? 0;
  }

  /** The text exposition of every counter and gauge. */
  render(): string {
    const lines: string[] = [];
    for (const [name, family] of this.#families) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} counter`);
      for (const [labels, value] of family.series) lines.push(`${name}{${labels}} ${value}`);
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
