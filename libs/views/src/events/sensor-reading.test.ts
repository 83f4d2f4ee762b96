import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSensorReading, type SensorReading } from './sensor-reading.ts';

const NOW = Date.UTC(2026, 10, 24, 12);

const validReading: fc.Arbitrary<SensorReading> = fc.record({
  ts: fc
    .integer({ min: Date.UTC(2000, 0, 1), max: NOW + 86_400_000 })
    .map((ms) => new Date(ms).toISOString()),
  sensorId: fc.string({ minLength: 1, maxLength: 30 }),
  site: fc.string({ minLength: 1, maxLength: 30 }),
  temperature: fc.double({ min: -100, max: 200, noNaN: true }).map((x) => x + 0), // JSON has no -0
  humidity: fc.double({ min: 0, max: 100, noNaN: true }),
});

const invalidValues: Record<keyof SensorReading, fc.Arbitrary<unknown>> = {
  ts: fc.constantFrom('2026-11-24T13:00', '1970-01-01T00:00:00Z', 1_795_957_200_000, null),
  sensorId: fc.constantFrom('', 7, null),
  site: fc.constantFrom('', false, null),
  temperature: fc.oneof(
    fc.double({ min: 200.001, max: 1e6, noNaN: true }),
    fc.double({ min: -1e6, max: -100.001, noNaN: true }),
    fc.constantFrom('21.5', null),
  ),
  humidity: fc.oneof(fc.double({ min: 100.001, max: 1e6, noNaN: true }), fc.constantFrom(-1, '50', null)),
};

describe('parseSensorReading', () => {
  it('parses every valid reading back equal, with tsMs', () => {
    fc.assert(
      fc.property(validReading, (reading) => {
        expect(parseSensorReading(JSON.stringify(reading), { now: NOW })).toEqual({
          ok: true,
          event: { ...reading, tsMs: Date.parse(reading.ts) },
        });
      }),
    );
  });

  it('gives exactly one reason, naming the field, when one field is invalid or missing', () => {
    const field = fc.constantFrom(...(Object.keys(invalidValues) as Array<keyof SensorReading>));
    fc.assert(
      fc.property(
        validReading,
        field.chain((name) =>
          fc.tuple(fc.constant(name), fc.option(invalidValues[name], { nil: undefined })),
        ),
        (reading, [name, value]) => {
          const mutated: Record<string, unknown> = { ...reading, [name]: value };
          if (value === undefined) delete mutated[name];
          const result = parseSensorReading(JSON.stringify(mutated), { now: NOW });
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.reasons).toHaveLength(1);
            expect(result.reasons[0]).toMatch(new RegExp(`^${name}: `));
          }
        },
      ),
    );
  });

  it('names the range a temperature must lie in', () => {
    const reading = { ts: '2026-11-24T10:00:00Z', sensorId: 's', site: 'x', temperature: 451, humidity: 10 };
    expect(parseSensorReading(JSON.stringify(reading), { now: NOW })).toEqual({
      ok: false,
      reasons: ['temperature: expected a number of °C from -100 to 200, got 451'],
    });
  });
});
