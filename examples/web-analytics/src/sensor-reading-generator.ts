/**
 * A deterministic generator of IoT sensor readings: sensors at a few sites, temperatures and humidity that follow
 * the time of day with per-sensor offsets and noise, and a few percent of late readings.
 */
import { ArrivalProcess, checkGeneratorOptions, type GeneratorOptions, SeededRandom } from '@oxbow/views';

/**
 * One sensor reading as produced to Kafka (what {@link generateSensorReadings} yields). A type alias, not an
 * interface, so that it is a `Record<string, unknown>` as the project's `EventGenerator` yields.
 */
export type SensorReading = {
  readonly ts: string;
  readonly sensorId: string;
  readonly site: string;
  readonly temperature: number;
  readonly humidity: number;
};

/** Options of {@link generateSensorReadings}. */
export interface SensorReadingGeneratorOptions extends GeneratorOptions {
  /** How many sensors report (default 40), spread over the sites round-robin. */
  readonly sensors?: number;
}

/** The sites and their base temperature in °C. */
export const SENSOR_SITES: ReadonlyArray<readonly [site: string, baseCelsius: number]> = [
  ['ams-1', 18],
  ['ams-2', 19],
  ['fra-1', 21],
  ['lon-1', 17],
  ['sgp-1', 29],
];

const DAY_MS = 86_400_000;

/**
 * Generates `count` sensor readings in production order. Same options, same readings. Each reading comes from a
 * uniformly chosen sensor; temperature swings ±4 °C over the day around its site's base plus a per-sensor offset.
 *
 * @example
 * ```ts
 * const readings = [...generateSensorReadings({ count: 500, seed: 1, startMs: Date.UTC(2026, 10, 24) })];
 * ```
 */
export function* generateSensorReadings(
  options: SensorReadingGeneratorOptions,
): Generator<SensorReading, void, undefined> {
  const checked = checkGeneratorOptions(options);
  const random = new SeededRandom(checked.seed);
  const arrivals = new ArrivalProcess(new SeededRandom(checked.seed ^ 0x68e31da4), checked);
  const sensorCount = options.sensors ?? 40;
  const sensors = Array.from({ length: sensorCount }, (_, index) => {
    const [site, base] = SENSOR_SITES[index % SENSOR_SITES.length] as readonly [string, number];
    return {
      sensorId: `${site}-s${String(index + 1).padStart(3, '0')}`,
      site,
      base: base + random.normal(0, 1),
    };
  });
  for (let index = 0; index < checked.count; index++) {
    const tsMs = arrivals.nextEventTime();
    const sensor = sensors[random.int(sensors.length)] as (typeof sensors)[number];
    const phase = 2 * Math.PI * ((((tsMs % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS) - Math.PI / 2;
    const temperature = sensor.base + 4 * Math.sin(phase - Math.PI / 3) + random.normal(0, 0.3);
    const humidity = Math.min(
      100,
      Math.max(0, 60 - 15 * Math.sin(phase - Math.PI / 3) + random.normal(0, 3)),
    );
    yield {
      ts: new Date(tsMs).toISOString(),
      sensorId: sensor.sensorId,
      site: sensor.site,
      temperature: Math.round(temperature * 100) / 100,
      humidity: Math.round(humidity * 10) / 10,
    };
  }
}
