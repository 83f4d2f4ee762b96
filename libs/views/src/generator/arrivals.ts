/**
 * When generated events are produced and which event time they carry: a Poisson process whose rate follows the
 * time of day, with a fraction of events arriving late (event time before production time).
 */
import { requireArgument } from '../errors.ts';
import { EARLIEST_EVENT_MS } from '../events/timestamp.ts';
import type { SeededRandom } from './random.ts';

/** Options every generator takes. */
export interface GeneratorOptions {
  /** How many events to generate. */
  readonly count: number;
  /** Same seed, same events. */
  readonly seed: number;
  /** Production time of the first event, epoch milliseconds. */
  readonly startMs: number;
  /** Mean production rate in events per second, before the time-of-day swing (default 100). */
  readonly ratePerSec?: number;
  /** Fraction of events whose event time is 30 s to 2 h before their production time (default 0.03). */
  readonly lateFraction?: number;
}

/** The longest a late event lags its production time: two hours. */
export const MAX_LATENESS_MS = 2 * 3_600_000;
/** The shortest lag of a late event: 30 seconds (on-time events have none). */
export const MIN_LATENESS_MS = 30_000;

const DAY_MS = 86_400_000;

/**
 * The time-of-day factor of the rate: 1 ± 0.6, lowest at 02:00 UTC and highest at 14:00 UTC, averaging 1
 * over a day.
 */
export function diurnalFactor(ms: number): number {
  const hourOfDay = (((ms % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
  return 1 + 0.6 * Math.sin((2 * Math.PI * (hourOfDay - 8)) / 24);
}

/** Checks generator options, throwing `OXBOW_INVALID_ARGUMENT` with a one-line message. */
export function checkGeneratorOptions(options: GeneratorOptions): Required<GeneratorOptions> {
  const { count, seed, startMs, ratePerSec = 100, lateFraction = 0.03 } = options;
  requireArgument(
    Number.isSafeInteger(count) && count >= 0,
    `count must be a non-negative integer, got ${count}`,
  );
  requireArgument(Number.isSafeInteger(seed), `seed must be an integer, got ${seed}`);
  requireArgument(
    Number.isSafeInteger(startMs) && startMs >= EARLIEST_EVENT_MS + MAX_LATENESS_MS,
    `startMs must be an integer epoch-milliseconds time after 2000-01-01T02:00:00Z, got ${startMs}`,
  );
  requireArgument(
    Number.isFinite(ratePerSec) && ratePerSec > 0,
    `ratePerSec must be a positive number, got ${ratePerSec}`,
  );
  requireArgument(
    lateFraction >= 0 && lateFraction <= 1,
    `lateFraction must be a number from 0 to 1, got ${lateFraction}`,
  );
  return { count, seed, startMs, ratePerSec, lateFraction };
}

/** Production times and event times of generated events, drawn from one random source. */
export class ArrivalProcess {
  private readonly random: SeededRandom;
  private readonly ratePerSec: number;
  private readonly lateFraction: number;
  private productionMs: number;

  constructor(random: SeededRandom, options: Required<GeneratorOptions>) {
    this.random = random;
    this.ratePerSec = options.ratePerSec;
    this.lateFraction = options.lateFraction;
    this.productionMs = options.startMs;
  }

  /** Advances to the next event and returns its event time in epoch milliseconds (an integer). */
  nextEventTime(): number {
    const production = Math.floor(this.productionMs);
    this.productionMs += this.random.exponential(1000 / (this.ratePerSec * diurnalFactor(this.productionMs)));
    if (!this.random.chance(this.lateFraction)) return production;
    const lateness = MIN_LATENESS_MS + this.random.next() * (MAX_LATENESS_MS - MIN_LATENESS_MS);
    return production - Math.floor(lateness);
  }
}
