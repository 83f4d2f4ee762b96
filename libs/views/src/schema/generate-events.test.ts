import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROPERTY_NOW, schemaDeclaration, schemaOf } from '../../test/support/schema-arbitraries.ts';
import { MAX_LATENESS_MS } from '../generator/arrivals.ts';
import { defineSchema } from './define-schema.ts';
import { f } from './field-types.ts';
import { generateEvents } from './generate-events.ts';

const rides = defineSchema(
  'rides',
  {
    time: f.timestamp(),
    city: f.string({ maxLength: 64 }),
    fareCents: f.int({ min: 0 }),
    durationS: f.double({ min: 0 }),
    promo: f.string().optional(),
  },
  { eventTime: 'time' },
);

const START_MS = Date.UTC(2026, 10, 24, 6);
const options = { count: 2000, seed: 5, startMs: START_MS, ratePerSec: 2 };

describe('generateEvents', () => {
  it('makes only records that parse, for any schema without patterns', () => {
    fc.assert(
      fc.property(
        schemaDeclaration,
        fc.record({
          seed: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          startMs: fc.integer({ min: Date.UTC(2000, 0, 1) + MAX_LATENESS_MS, max: PROPERTY_NOW }),
          ratePerSec: fc.double({ min: 0.01, max: 1000, noNaN: true }),
          lateFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          distinctStrings: fc.integer({ min: 1, max: 50 }),
          missingFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        (declaration, generatorOptions) => {
          const schema = schemaOf(declaration);
          // Long after every production time, so no event is in the future.
          const now = PROPERTY_NOW + 365 * 86_400_000;
          for (const record of generateEvents(schema, { ...generatorOptions, count: 40 })) {
            const result = schema.parse(JSON.stringify(record), { now });
            if (!result.ok) {
              throw new Error(`${JSON.stringify(record)} is invalid: ${result.reasons.join('; ')}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic per seed and writes the event time as ISO-8601 following the arrival process', () => {
    const records = [...generateEvents(rides, options)];
    expect(records).toHaveLength(2000);
    expect([...generateEvents(rides, options)]).toEqual(records);
    expect([...generateEvents(rides, { ...options, seed: 6 })].slice(0, 50)).not.toEqual(
      records.slice(0, 50),
    );
    const times = records.map((record) => Date.parse(record.time as string));
    expect(records.every((record) => typeof record.time === 'string' && /Z$/.test(record.time))).toBe(true);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(START_MS - MAX_LATENESS_MS);
    const onTime = times.filter((ms, index) => index === 0 || ms >= (times[index - 1] ?? 0));
    expect(onTime.length / times.length).toBeGreaterThan(0.9);
  });

  it('draws strings Zipf-like from a pool, numbers within bounds, and leaves optional fields out at the given rate', () => {
    const records = [...generateEvents(rides, { ...options, distinctStrings: 30, missingFraction: 0.25 })];
    const cities = new Map<string, number>();
    for (const record of records)
      cities.set(record.city as string, (cities.get(record.city as string) ?? 0) + 1);
    expect(cities.size).toBeLessThanOrEqual(30);
    expect(cities.size).toBeGreaterThan(15);
    const ranked = [...cities.values()].sort((a, b) => b - a);
    expect(ranked[0]).toBeGreaterThan(4 * (ranked[ranked.length - 1] ?? 0));
    for (const record of records) {
      expect((record.city as string).length).toBeLessThanOrEqual(64);
      expect(Number.isSafeInteger(record.fareCents) && (record.fareCents as number) >= 0).toBe(true);
      expect(record.durationS as number).toBeGreaterThanOrEqual(0);
    }
    const missing = records.filter((record) => !('promo' in record)).length / records.length;
    expect(missing).toBeGreaterThan(0.2);
    expect(missing).toBeLessThan(0.3);
    expect(records.filter((record) => !('city' in record))).toEqual([]);
  });

  it('keeps numbers inside bounds that lie beyond ±1e9 or are finer than thousandths', () => {
    const odd = defineSchema(
      'odd',
      {
        t: f.timestamp({ min: START_MS }),
        epochMs: f.int({ min: 1.7e12, max: 1.8e12 }),
        negative: f.int({ min: -(2 ** 50), max: -(2 ** 40) }),
        tiny: f.double({ min: 0.0001, max: 0.0002 }),
        exact: f.double({ min: 7.0005, max: 7.0005 }),
      },
      { eventTime: 't' },
    );
    for (const record of generateEvents(odd, { ...options, count: 500, lateFraction: 0.5 })) {
      expect(odd.parse(JSON.stringify(record), { now: START_MS + 86_400_000 })).toMatchObject({ ok: true });
    }
  });

  it('refuses a string field with a pattern (the project must give that topic a generator)', () => {
    const patterned = defineSchema(
      'p',
      { t: f.timestamp(), code: f.string({ pattern: /^[A-Z]{3}$/ }) },
      { eventTime: 't' },
    );
    expect(() => [...generateEvents(patterned, options)]).toThrow(
      /schema "p": field "code" has a pattern; give the project a generator for its topic/,
    );
  });

  it('checks the shared generator options', () => {
    expect(() => [...generateEvents(rides, { ...options, count: -1 })]).toThrow(
      /count must be a non-negative integer/,
    );
    expect(() => [...generateEvents(rides, { ...options, startMs: 0 })]).toThrow(/startMs must be/);
    expect([...generateEvents(rides, { ...options, count: 0 })]).toEqual([]);
  });
});
