/**
 * The gateway's Prometheus metrics, on `prom-client`: records accepted, rejected, dropped and failed, requests by
 * status, and the in-flight budget, rendered with the process and Node.js metrics at `GET /metrics`.
 */
import { exposition, scrapedGauge } from '@oxbow/connectors';
import { Counter, Registry } from 'prom-client';

/** Where records come from. */
export type IngestSource = 'http' | 'syslog' | 'mqtt';

/** A gauge read when /metrics is scraped. */
export interface Gauge {
  readonly name: string;
  readonly help: string;
  read(): number;
}

const FAMILIES = {
  oxbow_ingest_records_accepted_total: {
    help: 'Records Kafka acknowledged, by source and topic.',
    labelNames: ['source', 'topic'],
  },
  oxbow_ingest_records_rejected_total: {
    help: 'Records refused by their schema (or size), by source and topic.',
    labelNames: ['source', 'topic'],
  },
  oxbow_ingest_records_dropped_total: {
    help: 'Source messages not forwarded, by source and reason (busy: in-flight budget spent; filtered: the mapping returned nothing; unmatched: no topic for the MQTT topic; lost: Kafka failed at shutdown).',
    labelNames: ['source', 'reason'],
  },
  oxbow_ingest_records_failed_total: {
    help: 'Records of produce requests Kafka failed, by topic.',
    labelNames: ['topic'],
  },
  oxbow_ingest_requests_total: {
    help: 'HTTP ingest requests answered, by topic and status.',
    labelNames: ['topic', 'status'],
  },
} as const;

/** A metric family name of the gateway. */
export type CounterName = keyof typeof FAMILIES;

/** What the in-flight gauges read when scraped (0 until {@link IngestMetrics.watchInFlight}). */
export interface InFlightReadings {
  records(): number;
  bytes(): number;
}

function seriesKey(name: CounterName, labels: Readonly<Record<string, string | number>>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}

/**
 * Counters by label set, plus gauges, in the gateway's own registry.
 *
 * @example
 * metrics.add('oxbow_ingest_records_accepted_total', { source: 'http', topic: 'http_logs' }, 250);
 * reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render());
 */
export class IngestMetrics {
  readonly registry = new Registry();
  readonly #counters = new Map<CounterName, Counter>();
  /** The value of every series added to, for {@link value}. */
  readonly #values = new Map<string, number>();
  #inFlight: InFlightReadings = { records: () => 0, bytes: () => 0 };

  constructor() {
    for (const [name, family] of Object.entries(FAMILIES)) {
      this.#counters.set(
        name as CounterName,
        new Counter({
          name,
          help: family.help,
          labelNames: [...family.labelNames],
          registers: [this.registry],
        }),
      );
    }
    this.addGauge({
      name: 'oxbow_ingest_in_flight_records',
      help: 'Records received and not yet acknowledged by Kafka.',
      read: () => this.#inFlight.records(),
    });
    this.addGauge({
      name: 'oxbow_ingest_in_flight_bytes',
      help: 'Bytes held for requests and records not yet acknowledged by Kafka.',
      read: () => this.#inFlight.bytes(),
    });
  }

  /** Reads the in-flight budget when scraped. */
  watchInFlight(readings: InFlightReadings): void {
    this.#inFlight = readings;
  }

  /** Adds a gauge to every rendering. */
  addGauge(gauge: Gauge): void {
    scrapedGauge({ name: gauge.name, help: gauge.help, registry: this.registry, read: () => gauge.read() });
  }

  /** Adds `amount` to the counter `name` with `labels`. */
  add(name: CounterName, labels: Readonly<Record<string, string | number>>, amount = 1): void {
    if (amount === 0) return;
    this.#counters.get(name)?.inc(labels, amount);
    const key = seriesKey(name, labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + amount);
  }

  /** The current value of a counter (0 when never added to). */
  value(name: CounterName, labels: Readonly<Record<string, string | number>>): number {
    return this.#values.get(seriesKey(name, labels)) ?? 0;
  }

  /** The text exposition of every counter and gauge, with the process and Node.js metrics. */
  render(): Promise<string> {
    return exposition(this.registry);
  }
}
