/**
 * The rides example's live view, `city_surge`: per city, rides over the last few minutes against the same
 * city's rate over the last hour (processing time), with the DStream API — two incremental windows
 * (`reduceByKeyAndWindow` with its inverse) joined by city. A surge of 2 means rides come in twice as fast as
 * over the hour. The speed layer keeps its latest value; the batch layer never recomputes it.
 */
import type { DStream } from '@oxbow/dataflow';
import { defineLiveView, type LiveViewSettings, requireArgument } from '@oxbow/views';
import type { Ride } from './schema.ts';

/** Durations of `city_surge`, read from the speed layer's live-view settings; every one has a default. */
export interface CitySurgeOptions {
  /** The recent window. Default 300 000 ms (5 minutes). A multiple of the slide. */
  readonly surgeWindowMs?: number;
  /** The baseline window. Default 3 600 000 ms (an hour). A multiple of the slide, longer than the window. */
  readonly surgeBaselineMs?: number;
  /** How often the value is recomputed. Default 60 000 ms. A multiple of the batch interval. */
  readonly surgeSlideMs?: number;
}

/** The defaults of {@link CitySurgeOptions}. */
export const CITY_SURGE_DEFAULTS = {
  surgeWindowMs: 300_000,
  surgeBaselineMs: 3_600_000,
  surgeSlideMs: 60_000,
} as const;

/** One city's rides in the recent and the baseline window, and its surge. */
export interface CitySurge {
  readonly city: string;
  readonly recentRides: number;
  readonly baselineRides: number;
  /** Recent rides per ms over baseline rides per ms: 1 is the usual rate, 2 twice as fast. */
  readonly surge: number;
}

const add = (a: number, b: number) => a + b;
const subtract = (a: number, b: number) => a - b;

/**
 * Every slide, each city with a ride in the recent window: its rides there and in the baseline window (which
 * holds the recent one), and the ratio of the two rates.
 *
 * @example
 * ```ts
 * citySurge(rides, { surgeWindowMs: 300_000, surgeBaselineMs: 3_600_000, surgeSlideMs: 60_000 })
 *   .foreachRDD(async (rdd) => console.log(presentCitySurge(await rdd.collect())));
 * ```
 */
export function citySurge(events: DStream<Ride>, options: CitySurgeOptions = {}): DStream<CitySurge> {
  const windowMs = options.surgeWindowMs ?? CITY_SURGE_DEFAULTS.surgeWindowMs;
  const baselineMs = options.surgeBaselineMs ?? CITY_SURGE_DEFAULTS.surgeBaselineMs;
  const slideMs = options.surgeSlideMs ?? CITY_SURGE_DEFAULTS.surgeSlideMs;
  requireArgument(
    slideMs > 0 &&
      windowMs > 0 &&
      windowMs % slideMs === 0 &&
      baselineMs % slideMs === 0 &&
      baselineMs > windowMs,
    `city_surge: the window (${windowMs} ms) and the longer baseline (${baselineMs} ms) must be positive multiples of the slide (${slideMs} ms)`,
  );
  const perCity = events.map((event): [string, number] => [event.city, 1]);
  const positive = ([, rides]: [string, number]) => rides > 0;
  // Incremental windows: the previous window plus the batches entering minus those leaving (checkpointed).
  const recent = perCity.reduceByKeyAndWindow(add, subtract, windowMs, slideMs, undefined, positive);
  const baseline = perCity.reduceByKeyAndWindow(add, subtract, baselineMs, slideMs, undefined, positive);
  return recent.join(baseline).map(
    ([city, [recentRides, baselineRides]]): CitySurge => ({
      city,
      recentRides,
      baselineRides,
      surge: recentRides / windowMs / (baselineRides / baselineMs),
    }),
  );
}

/** The served value of `city_surge`. */
export interface CitySurgeValue {
  /** Cities with a ride in the recent window. */
  readonly cities: number;
  /** Rides in the recent window, over every city. */
  readonly rides: number;
  /** The cities with the highest surge (ties: more recent rides first, then by name). */
  readonly top: readonly CitySurge[];
}

/** Presents one slide of `city_surge`: the totals and the `limit` cities with the highest surge. */
export function presentCitySurge(cities: readonly CitySurge[], limit = 20): CitySurgeValue {
  const sorted = [...cities].sort(
    (a, b) =>
      b.surge - a.surge || b.recentRides - a.recentRides || (a.city < b.city ? -1 : a.city > b.city ? 1 : 0),
  );
  return {
    cities: cities.length,
    rides: cities.reduce((total, city) => total + city.recentRides, 0),
    top: sorted.slice(0, limit),
  };
}

function optionsOf(settings: LiveViewSettings): Required<CitySurgeOptions> {
  const read = (name: keyof CitySurgeOptions) => {
    const value = settings[name];
    return typeof value === 'number' ? value : CITY_SURGE_DEFAULTS[name];
  };
  return {
    surgeWindowMs: read('surgeWindowMs'),
    surgeBaselineMs: read('surgeBaselineMs'),
    surgeSlideMs: read('surgeSlideMs'),
  };
}

/** `city_surge`: per city, the recent ride rate against the last hour's. */
export const citySurgeView = defineLiveView({
  name: 'city_surge',
  topic: 'ride_events',
  description:
    "Rides per city over the last 5 minutes against the city's rate over the last hour, every minute",
  build: (events: DStream<Ride>, settings) => citySurge(events, optionsOf(settings)),
  present: (cities: CitySurge[]) => presentCitySurge(cities),
});
