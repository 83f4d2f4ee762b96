/**
 * The streaming benchmark's events: HTTP access logs of the web-analytics example (its generator and schema),
 * spread over a day and a half of event time, thousands of paths (Zipf) and hundreds of thousands of users (Zipf),
 * as the JSON texts a producer sends, and a few sensor readings so the example's sensor views run too. Same
 * options, same events.
 */
import { generateHttpLogs, generateSensorReadings, HTTP_PATHS } from '@oxbow/example-web-analytics';
import { SeededRandom, WeightedIndex } from '@oxbow/views';

/** What {@link benchEvents} generates. */
export interface BenchDatasetOptions {
  /** How many events. */
  readonly count: number;
  /** Distinct paths (Zipf-distributed, exponent 1.05). Default 5 000. */
  readonly paths?: number;
  /** The user population (Zipf-distributed, exponent 1.05, as the example's generator). Default 400 000. */
  readonly users?: number;
  /** Event time spanned, ending now. Default 36 h. */
  readonly spanMs?: number;
  /** Same seed, same events. Default 42. */
  readonly seed?: number;
  /** The end of the event-time span (default: now). */
  readonly endMs?: number;
}

/** One produced message: its key (the schema's `messageKey`, `userId`) and JSON text. */
export interface BenchMessage {
  readonly key: string;
  readonly value: string;
}

/** The path of Zipf rank `rank`: the example's catalogue first, then generated product pages. */
export function benchPath(rank: number): string {
  return HTTP_PATHS[rank] ?? `/products/${1000 + rank}`;
}

/**
 * The events of the benchmark, in production order, as Kafka messages.
 *
 * @example
 * ```ts
 * for (const message of benchEvents({ count: 1000 })) await producer.send({ topic, messages: [message] });
 * ```
 */
export function* benchEvents(options: BenchDatasetOptions): Generator<BenchMessage, void, undefined> {
  const spanMs = options.spanMs ?? 36 * 3_600_000;
  const endMs = options.endMs ?? Date.now();
  const seed = options.seed ?? 42;
  const random = new SeededRandom(seed ^ 0x2545f491);
  const paths = WeightedIndex.zipf(options.paths ?? 5_000, 1.05);
  // The generator's arrivals cover the span on average (its rate swings ±60 % over the day); late events reach
  // up to two hours before their production time, so the first events start that much later.
  const ratePerSec = options.count / (spanMs / 1000);
  const startMs = endMs - spanMs;
  for (const log of generateHttpLogs({
    count: options.count,
    seed,
    startMs,
    ratePerSec,
    users: options.users ?? 400_000,
  })) {
    const tsMs = Math.min(Date.parse(log.ts), endMs);
    const event = { ...log, ts: new Date(tsMs).toISOString(), path: benchPath(paths.draw(random)) };
    yield { key: event.userId, value: JSON.stringify(event) };
  }
}

/**
 * Sensor readings of the example over the same span (its generator, 40 sensors), as Kafka messages keyed by
 * sensor.
 */
export function* benchSensorReadings(
  options: Pick<BenchDatasetOptions, 'count' | 'spanMs' | 'seed' | 'endMs'>,
): Generator<BenchMessage, void, undefined> {
  const spanMs = options.spanMs ?? 36 * 3_600_000;
  const endMs = options.endMs ?? Date.now();
  for (const reading of generateSensorReadings({
    count: options.count,
    seed: (options.seed ?? 42) + 1,
    startMs: endMs - spanMs,
    ratePerSec: options.count / (spanMs / 1000),
  })) {
    const tsMs = Math.min(Date.parse(reading.ts), endMs);
    const event = { ...reading, ts: new Date(tsMs).toISOString() };
    yield { key: event.sensorId, value: JSON.stringify(event) };
  }
}
