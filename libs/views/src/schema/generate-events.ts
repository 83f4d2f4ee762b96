/**
 * Events for any schema, generated from its field types and constraints (seeded): what `oxbow produce` sends for a
 * topic whose project gives no hand-tuned generator. Strings are drawn Zipf-like from a pool of distinct values
 * per field, numbers uniformly within their bounds (log-uniformly over wide ranges), the event time from the
 * shared arrival process (diurnal rate, a fraction of late events).
 */

import { ViewsError } from '../errors.ts';
import { ArrivalProcess, checkGeneratorOptions, type GeneratorOptions } from '../generator/arrivals.ts';
import { SeededRandom, WeightedIndex } from '../generator/random.ts';
import type { Schema } from './define-schema.ts';
import type { FieldSpec } from './field-types.ts';

/** Options of {@link generateEvents}. */
export interface SchemaGeneratorOptions extends GeneratorOptions {
  /** Distinct values of each string field (default 1,000). */
  readonly distinctStrings?: number;
  /** Fraction of optional fields left out (default 0.2). */
  readonly missingFraction?: number;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

function word(random: SeededRandom, length: number): string {
  let text = '';
  for (let index = 0; index < length; index++) text += ALPHABET[random.int(ALPHABET.length)];
  return text;
}

/** How far from zero generated numbers go, so sums of many stay exact and values stay readable. */
const DRAWN_MAGNITUDE = 1e9;

/**
 * The interval numbers of a field are drawn from: its bounds within ±{@link DRAWN_MAGNITUDE}, or, when the
 * bounds lie wholly beyond that, the {@link DRAWN_MAGNITUDE}-wide stretch of them nearest zero.
 */
function drawnRange(min: number, max: number): [number, number] {
  if (min > DRAWN_MAGNITUDE) return [min, Math.min(max, min + DRAWN_MAGNITUDE)];
  if (max < -DRAWN_MAGNITUDE) return [Math.max(min, max - DRAWN_MAGNITUDE), max];
  return [Math.max(min, -DRAWN_MAGNITUDE), Math.min(max, DRAWN_MAGNITUDE)];
}

type ValueMaker = (random: SeededRandom, eventTimeMs: number) => unknown;

function makerOf(
  schemaName: string,
  name: string,
  spec: FieldSpec,
  distinct: number,
  seed: number,
): ValueMaker {
  switch (spec.kind) {
    case 'string': {
      if (spec.pattern !== undefined) {
        throw new ViewsError(
          'OXBOW_INVALID_ARGUMENT',
          `schema "${schemaName}": field "${name}" has a pattern; give the project a generator for its topic`,
        );
      }
      const poolRandom = new SeededRandom(seed ^ 0x5bd1e995);
      const length = Math.max(spec.minLength, Math.min(spec.maxLength, 8));
      const pool = Array.from({ length: distinct }, (_, index) =>
        `${word(poolRandom, Math.max(0, length - String(index).length - 1))}-${index}`.slice(
          0,
          spec.maxLength,
        ),
      ).filter((value) => value.length >= spec.minLength);
      if (pool.length === 0) pool.push('x'.repeat(spec.minLength));
      const ranks = WeightedIndex.zipf(pool.length, 1.05);
      return (random) => pool[ranks.draw(random)];
    }
    case 'enum': {
      const ranks = WeightedIndex.zipf(spec.values.length, 1.1);
      return (random) => spec.values[ranks.draw(random)];
    }
    case 'int':
    case 'double': {
      const [low, high] = drawnRange(spec.min, spec.max);
      const integer = spec.kind === 'int';
      return (random) => {
        const wide = low >= 0 && high - low > 1e4;
        const value = wide
          ? low + Math.expm1(random.next() * Math.log1p(high - low))
          : low + random.next() * (high - low);
        const bounded = Math.min(high, Math.max(low, value));
        // Rounding (to whole numbers, or to thousandths) must not leave the bounds: clamp again after it.
        const rounded = integer ? Math.round(bounded) : Math.round(bounded * 1000) / 1000;
        return Math.min(high, Math.max(low, rounded));
      };
    }
    case 'boolean':
      return (random) => random.chance(0.5);
    case 'timestamp':
      // Not before the field's earliest accepted instant (late events of an early `startMs` could be).
      return (_random, eventTimeMs) => new Date(Math.max(eventTimeMs, spec.min)).toISOString();
  }
}

/**
 * Generates `count` records of `schema` in production order, deterministically from the seed. Records are JSON
 * objects as a producer would send them (timestamps as ISO-8601 strings); every record passes `schema.parse`.
 *
 * @example
 * ```ts
 * for (const record of generateEvents(rides, { count: 1000, seed: 7, startMs: Date.UTC(2026, 10, 24) })) send(record);
 * ```
 */
export function* generateEvents(
  schema: Schema<unknown>,
  options: SchemaGeneratorOptions,
): Generator<Readonly<Record<string, unknown>>, void, undefined> {
  const checked = checkGeneratorOptions(options);
  const distinct = options.distinctStrings ?? 1000;
  const missing = options.missingFraction ?? 0.2;
  const random = new SeededRandom(checked.seed);
  const arrivals = new ArrivalProcess(new SeededRandom(checked.seed ^ 0x68e31da4), checked);
  const makers = schema.fields.map((field, index) => ({
    name: field.name,
    optional: field.spec.optional,
    make: makerOf(schema.name, field.name, field.spec, distinct, checked.seed + index * 7919),
  }));
  for (let index = 0; index < checked.count; index++) {
    const eventTimeMs = arrivals.nextEventTime();
    const record: Record<string, unknown> = {};
    for (const maker of makers) {
      if (maker.name !== schema.eventTime && maker.optional && random.chance(missing)) continue;
      record[maker.name] = maker.make(random, eventTimeMs);
    }
    yield record;
  }
}
