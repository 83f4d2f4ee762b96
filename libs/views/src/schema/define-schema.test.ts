import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  invalidValue,
  PROPERTY_NOW,
  type SchemaDeclaration,
  schemaDeclaration,
  schemaOf,
  type ValidValue,
  validValue,
} from '../../test/support/schema-arbitraries.ts';
import { ViewsError } from '../errors.ts';
import { defineSchema, type EventOf, KAFKA_METADATA_COLUMNS } from './define-schema.ts';
import { f } from './field-types.ts';

const NOW = PROPERTY_NOW;

/** The schema. */
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

/** One field of each kind, with bounds. */
const everyKind = defineSchema(
  'every_kind',
  {
    at: f.timestamp(),
    name: f.string({ minLength: 2, maxLength: 4, pattern: /^[a-z]+$/ }),
    small: f.int({ min: -5, max: 5 }),
    big: f.int({ min: 0, max: 2 ** 40 }),
    ratio: f.double({ min: 0, max: 1 }),
    flag: f.boolean(),
    color: f.enum(['red', 'green']),
    note: f.string({ maxLength: 8 }).optional(),
    seenAt: f.timestamp({ min: Date.UTC(2020, 0, 1), maxFutureMs: 0 }).optional(),
  },
  { eventTime: 'at', description: 'one of each' },
);

const VALID = {
  at: '2026-11-24T10:00:00Z',
  name: 'abc',
  small: -5,
  big: 2 ** 40,
  ratio: 0.25,
  flag: false,
  color: 'green',
};

function reasonsOf(record: object, schema = everyKind): string[] {
  const result = schema.parse(JSON.stringify(record), { now: NOW });
  return result.ok ? [] : result.reasons;
}

/** A valid record of a random schema: field values (absent optional fields left out) and the expected event. */
function recordArbitrary(declaration: SchemaDeclaration) {
  return fc.tuple(...declaration.fields.map(([, d]) => validValue(d))).map((values: ValidValue[]) => {
    const record: Record<string, unknown> = {};
    const event: Record<string, unknown> = {};
    declaration.fields.forEach(([name], index) => {
      const [json, parsed] = values[index] as ValidValue;
      if (json !== undefined) record[name] = json;
      if (parsed !== undefined) event[name] = parsed;
    });
    return { record, event };
  });
}

describe('defineSchema: parsing records', () => {
  it('parses every valid record of any schema back to its event, from a string or UTF-8 bytes, dropping unknown fields', () => {
    fc.assert(
      fc.property(
        schemaDeclaration.chain((declaration) =>
          fc.tuple(fc.constant(declaration), recordArbitrary(declaration), fc.boolean()),
        ),
        ([declaration, { record, event }, asBytes]) => {
          const schema = schemaOf(declaration);
          const text = JSON.stringify({ ...record, 'not-a-field': 1, extra_field_zz: 'x' });
          const result = schema.parse(asBytes ? new TextEncoder().encode(text) : text, { now: NOW });
          expect(result).toEqual({ ok: true, event });
          if (result.ok) expect(Object.keys(result.event).sort()).toEqual(Object.keys(event).sort());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives exactly one reason per bad field, each naming its field, in the order of the schema', () => {
    fc.assert(
      fc.property(
        schemaDeclaration.chain((declaration) =>
          fc.tuple(
            fc.constant(declaration),
            recordArbitrary(declaration),
            fc.tuple(
              ...declaration.fields.map(([, d]) =>
                fc.option(invalidValue(d), { freq: 2, nil: Symbol.for('ok') }),
              ),
            ),
          ),
        ),
        ([declaration, { record }, mutations]) => {
          const mutated: Record<string, unknown> = { ...record };
          const bad: string[] = [];
          declaration.fields.forEach(([name], index) => {
            const value = mutations[index];
            if (value === Symbol.for('ok')) return;
            bad.push(name);
            if (value === undefined) delete mutated[name];
            else mutated[name] = value;
          });
          const result = schemaOf(declaration).parse(JSON.stringify(mutated), { now: NOW });
          if (bad.length === 0) {
            expect(result.ok).toBe(true);
            return;
          }
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.reasons.map((reason) => reason.slice(0, reason.indexOf(': ')))).toEqual(bad);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says what each kind expected and what it got', () => {
    expect(reasonsOf({ ...VALID, name: 'a' })).toEqual([
      'name: expected a string of 2–4 characters matching /^[a-z]+$/, got "a"',
    ]);
    expect(reasonsOf({ ...VALID, name: 'ABC' })).toEqual([
      'name: expected a string of 2–4 characters matching /^[a-z]+$/, got "ABC"',
    ]);
    expect(reasonsOf({ ...VALID, small: 6, big: 1.5 })).toEqual([
      'small: expected an integer from -5 to 5, got 6',
      'big: expected an integer from 0 to 1099511627776, got 1.5',
    ]);
    expect(reasonsOf({ ...VALID, ratio: '0.5', flag: 'false', color: 'blue' })).toEqual([
      'ratio: expected a number from 0 to 1, got "0.5"',
      'flag: expected true or false, got "false"',
      'color: expected one of "red", "green", got "blue"',
    ]);
    expect(reasonsOf({ ...VALID, at: 'noon', note: 'too long a note' })).toEqual([
      'at: expected an ISO-8601 timestamp with a time zone, or epoch milliseconds, got "noon"',
      'note: expected a string of at most 8 characters, got "too long a note"',
    ]);
    const { small: _small, ...withoutSmall } = VALID;
    expect(reasonsOf({ ...withoutSmall, color: null })).toEqual([
      'small: missing (expected an integer from -5 to 5)',
      'color: expected one of "red", "green", got null',
    ]);
    expect(reasonsOf({ ...VALID, small: Number.MAX_SAFE_INTEGER + 2 })).toEqual([
      'small: expected an integer from -5 to 5, got 9007199254740992',
    ]);
  });

  it('takes timestamps as ISO-8601 with a zone or as integer epoch milliseconds, and holds them as epoch ms', () => {
    const at = Date.UTC(2026, 10, 24, 8);
    for (const written of [
      '2026-11-24T08:00:00Z',
      '2026-11-24T10:00:00+02:00',
      '2026-11-24T08:00:00.000Z',
      at,
    ]) {
      const result = everyKind.parse(JSON.stringify({ ...VALID, at: written }), { now: NOW });
      expect(result.ok && result.event.at, String(written)).toBe(at);
    }
    expect(reasonsOf({ ...VALID, at: '2026-11-24T08:00:00' })).toEqual([
      'at: expected an ISO-8601 timestamp with a time zone, or epoch milliseconds, got "2026-11-24T08:00:00"',
    ]);
    expect(reasonsOf({ ...VALID, at: at + 0.5 })).toHaveLength(1);
    expect(reasonsOf({ ...VALID, at: '1999-12-31T23:59:59.999Z' })).toEqual([
      'at: "1999-12-31T23:59:59.999Z" is before 2000-01-01T00:00:00.000Z',
    ]);
    expect(reasonsOf({ ...VALID, at: NOW + 86_400_001 })).toEqual([
      `at: ${NOW + 86_400_001} is more than 86400000 ms after now (2026-11-24T12:00:00.000Z)`,
    ]);
    expect(reasonsOf({ ...VALID, at: NOW + 86_400_000 })).toEqual([]);
    // A field's own bounds: not before 2020, not after now at all.
    expect(reasonsOf({ ...VALID, seenAt: '2019-12-31T23:59:59Z' })).toEqual([
      'seenAt: "2019-12-31T23:59:59Z" is before 2020-01-01T00:00:00.000Z',
    ]);
    expect(reasonsOf({ ...VALID, seenAt: NOW + 1 })).toHaveLength(1);
    expect(reasonsOf({ ...VALID, seenAt: NOW })).toEqual([]);
  });

  it('leaves optional fields out of the event when absent or null, and keeps them when set', () => {
    const parse = (record: object) => rides.parse(JSON.stringify(record), { now: NOW });
    const base = { time: '2026-11-24T08:00:00Z', city: 'Utrecht', fareCents: 1250, durationS: 600.5 };
    const expected = { time: Date.UTC(2026, 10, 24, 8), city: 'Utrecht', fareCents: 1250, durationS: 600.5 };
    expect(parse(base)).toEqual({ ok: true, event: expected });
    expect(parse({ ...base, promo: null })).toEqual({ ok: true, event: expected });
    const withPromo = parse({ ...base, promo: 'SPRING' });
    expect(withPromo).toEqual({ ok: true, event: { ...expected, promo: 'SPRING' } });
    expect(withPromo.ok && 'promo' in withPromo.event).toBe(true);
    const without = parse(base);
    expect(without.ok && 'promo' in without.event).toBe(false);
    expect(parse({ ...base, promo: 5 })).toEqual({
      ok: false,
      reasons: ['promo: expected a string of at most 1024 characters, got 5'],
    });
  });

  it('types events by the schema: required fields set, optional ones possibly absent, timestamps as numbers', () => {
    type Ride = EventOf<typeof rides>;
    expectTypeOf<Ride>().toEqualTypeOf<{
      readonly time: number;
      readonly city: string;
      readonly fareCents: number;
      readonly durationS: number;
      readonly promo?: string;
    }>();
    expectTypeOf<EventOf<typeof everyKind>['color']>().toEqualTypeOf<'red' | 'green'>();
  });

  it('does not read fields from Object.prototype: a field named "constructor" is missing when absent', () => {
    const odd = defineSchema(
      'odd',
      { at: f.timestamp(), constructor: f.string().optional(), toString: f.string() },
      { eventTime: 'at' },
    );
    expect(odd.parse('{"at":0,"toString":"x"}', { now: NOW })).toEqual({
      ok: false,
      reasons: ['at: 0 is before 2000-01-01T00:00:00.000Z'],
    });
    expect(odd.parse(`{"at":${NOW}}`, { now: NOW })).toEqual({
      ok: false,
      reasons: ['toString: missing (expected a string of at most 1024 characters)'],
    });
    expect(odd.parse(`{"at":${NOW},"toString":"x"}`, { now: NOW })).toEqual({
      ok: true,
      event: { at: NOW, toString: 'x' },
    });
    expect(odd.eventOfRow({ at: BigInt(NOW), toString: 'x' })).toEqual({ at: NOW, toString: 'x' });
  });

  it('rejects what is not one JSON object: not JSON, not an object, not UTF-8', () => {
    expect(rides.parse('{"time":')).toMatchObject({
      ok: false,
      reasons: [expect.stringMatching(/^record: not JSON \(/)],
    });
    expect(rides.parse('')).toMatchObject({
      ok: false,
      reasons: [expect.stringMatching(/^record: not JSON/)],
    });
    expect(rides.parse('[1,2]')).toEqual({
      ok: false,
      reasons: ['record: expected a JSON object, got [1,2]'],
    });
    expect(rides.parse('null')).toEqual({ ok: false, reasons: ['record: expected a JSON object, got null'] });
    expect(rides.parse('"text"')).toEqual({
      ok: false,
      reasons: ['record: expected a JSON object, got "text"'],
    });
    expect(rides.parse(new Uint8Array([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      reasons: ['record: not valid UTF-8'],
    });
    expect(rides.validate(42)).toEqual({ ok: false, reasons: ['record: expected a JSON object, got 42'] });
    expect(rides.validate([])).toEqual({ ok: false, reasons: ['record: expected a JSON object, got []'] });
    // Multi-byte UTF-8 decodes: the length bound counts characters (UTF-16 code units).
    const city = 'Zürich 東京';
    const bytes = new TextEncoder().encode(JSON.stringify({ time: NOW, city, fareCents: 1, durationS: 1 }));
    expect(rides.parse(bytes, { now: NOW })).toMatchObject({ ok: true, event: { city } });
  });

  it('uses Date.now() when no now is given', () => {
    const record = { time: Date.now() + 3_600_000, city: 'x', fareCents: 0, durationS: 0 };
    expect(rides.parse(JSON.stringify(record)).ok).toBe(true);
    expect(rides.parse(JSON.stringify({ ...record, time: Date.now() + 2 * 86_400_000 })).ok).toBe(false);
  });
});

describe('defineSchema: the lake, rows and JSON Schema', () => {
  it('declares one Parquet column per field (int32 only when the bounds fit), then the Kafka metadata', () => {
    expect(everyKind.lakeColumns).toEqual([
      { name: 'at', type: 'int64' },
      { name: 'name', type: 'string' },
      { name: 'small', type: 'int32' },
      { name: 'big', type: 'int64' },
      { name: 'ratio', type: 'double' },
      { name: 'flag', type: 'boolean' },
      { name: 'color', type: 'string' },
      { name: 'note', type: 'string', optional: true },
      { name: 'seenAt', type: 'int64', optional: true },
      ...KAFKA_METADATA_COLUMNS,
    ]);
    expect(everyKind.eventColumns).toEqual([
      'at',
      'name',
      'small',
      'big',
      'ratio',
      'flag',
      'color',
      'note',
      'seenAt',
    ]);
    expect(
      defineSchema(
        'b',
        { t: f.timestamp(), n: f.int({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
        { eventTime: 't' },
      ).lakeColumns[1],
    ).toEqual({ name: 'n', type: 'int32' });
    expect(
      defineSchema('b', { t: f.timestamp(), n: f.int({ min: 0, max: 2 ** 31 }) }, { eventTime: 't' })
        .lakeColumns[1],
    ).toEqual({ name: 'n', type: 'int64' });
  });

  it('maps a lake row back to the event: int64 as bigint or number, nulls as absent, Kafka columns dropped', () => {
    const row = {
      at: BigInt(Date.UTC(2026, 10, 24)),
      name: 'abc',
      small: 3,
      big: 2n ** 40n,
      ratio: 0.5,
      flag: true,
      color: 'red',
      note: null,
      seenAt: null,
      kafkaPartition: 1,
      kafkaOffset: 99n,
      appendTimeMs: 5n,
    };
    const event = everyKind.eventOfRow(row);
    expect(event).toEqual({
      at: Date.UTC(2026, 10, 24),
      name: 'abc',
      small: 3,
      big: 2 ** 40,
      ratio: 0.5,
      flag: true,
      color: 'red',
    });
    expect(typeof event.at).toBe('number');
    expect(everyKind.eventOfRow({ ...row, at: Date.UTC(2026, 10, 24), note: 'n', seenAt: 7n })).toMatchObject(
      {
        note: 'n',
        seenAt: 7,
      },
    );
    expect(everyKind.timeOf(event)).toBe(Date.UTC(2026, 10, 24));
  });

  it('round-trips: a parsed event written as a row reads back as the same event', () => {
    const parsed = everyKind.parse(JSON.stringify({ ...VALID, note: 'hi' }), { now: NOW });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const row: Record<string, unknown> = {};
    for (const column of everyKind.lakeColumns) {
      const value = (parsed.event as Record<string, unknown>)[column.name];
      row[column.name] =
        column.type === 'int64' && typeof value === 'number' ? BigInt(value) : (value ?? null);
    }
    expect(everyKind.eventOfRow(row)).toEqual(parsed.event);
  });

  it('describes the records it accepts as a JSON Schema', () => {
    expect(everyKind.jsonSchema()).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'every_kind',
      description: 'one of each',
      type: 'object',
      properties: {
        at: {
          oneOf: [
            { type: 'string', format: 'date-time' },
            { type: 'integer', minimum: Date.UTC(2000, 0, 1), description: 'epoch milliseconds' },
          ],
        },
        name: { type: 'string', minLength: 2, maxLength: 4, pattern: '^[a-z]+$' },
        small: { type: 'integer', minimum: -5, maximum: 5 },
        big: { type: 'integer', minimum: 0, maximum: 2 ** 40 },
        ratio: { type: 'number', minimum: 0, maximum: 1 },
        flag: { type: 'boolean' },
        color: { type: 'string', enum: ['red', 'green'] },
        note: { anyOf: [{ type: 'string', minLength: 0, maxLength: 8 }, { type: 'null' }] },
        seenAt: {
          anyOf: [
            {
              oneOf: [
                { type: 'string', format: 'date-time' },
                { type: 'integer', minimum: Date.UTC(2020, 0, 1), description: 'epoch milliseconds' },
              ],
            },
            { type: 'null' },
          ],
        },
      },
      required: ['at', 'name', 'small', 'big', 'ratio', 'flag', 'color'],
    });
    expect(rides.jsonSchema()).not.toHaveProperty('description');
    expect(JSON.parse(JSON.stringify(rides.jsonSchema()))).toEqual(rides.jsonSchema());
  });
});

describe('defineSchema: definitions it refuses', () => {
  const time = { t: f.timestamp() };
  it.each([
    [
      'a bad schema name',
      () => defineSchema('no spaces', time, { eventTime: 't' }),
      /schema "no spaces": a schema name is/,
    ],
    ['no fields', () => defineSchema('s', {}, { eventTime: 't' as never }), /schema "s": no fields/],
    [
      'a field name that is no identifier',
      () => defineSchema('s', { ...time, 'a-b': f.int() }, { eventTime: 't' }),
      /field "a-b" is not an identifier/,
    ],
    [
      'a reserved name',
      () => defineSchema('s', { ...time, kafkaOffset: f.int() }, { eventTime: 't' }),
      /field "kafkaOffset" is reserved/,
    ],
    [
      'something not made by f',
      () => defineSchema('s', { ...time, n: 5 as never }, { eventTime: 't' }),
      /field "n" is not an f\.\*\(\) field type/,
    ],
    [
      'an eventTime that is not a field',
      () => defineSchema('s', time, { eventTime: 'u' as never }),
      /eventTime "u" must name a required f\.timestamp\(\) field/,
    ],
    [
      'an eventTime that is no timestamp',
      () => defineSchema('s', { ...time, n: f.int() }, { eventTime: 'n' }),
      /eventTime "n" must name/,
    ],
    [
      'an optional eventTime',
      () => defineSchema('s', { t: f.timestamp().optional() }, { eventTime: 't' }),
      /eventTime "t" must name a required/,
    ],
    [
      'a messageKey that is not a field',
      () => defineSchema('s', time, { eventTime: 't', messageKey: 'user' }),
      /schema "s": messageKey "user" is not a field/,
    ],
  ])('refuses %s', (_what, define, message) => {
    expect(define).toThrow(message);
    try {
      define();
    } catch (error) {
      expect(ViewsError.is(error, 'OXBOW_INVALID_PROJECT')).toBe(true);
    }
  });

  it.each([
    [
      'f.string with min above max',
      () => f.string({ minLength: 5, maxLength: 4 }),
      /f\.string length: min \(5\) must not exceed max \(4\)/,
    ],
    [
      'f.string with a fractional length',
      () => f.string({ maxLength: 2.5 }),
      /f\.string length: bounds must be whole numbers ≥ 0, got 2\.5/,
    ],
    [
      'f.string with a negative length',
      () => f.string({ minLength: -1 }),
      /bounds must be whole numbers ≥ 0, got -1/,
    ],
    [
      'f.int with fractional bounds',
      () => f.int({ min: 0.5 }),
      /f\.int: bounds must be whole numbers, got 0\.5/,
    ],
    ['f.int beyond safe integers', () => f.int({ max: 2 ** 60 }), /f\.int: bounds must be whole numbers/],
    [
      'f.int with min above max',
      () => f.int({ min: 3, max: 2 }),
      /f\.int: min \(3\) must not exceed max \(2\)/,
    ],
    ['f.double with NaN', () => f.double({ min: Number.NaN }), /f\.double: min \(NaN\)/],
    ['an empty f.enum', () => f.enum([]), /f\.enum needs at least one value/],
    ['an f.enum with duplicates', () => f.enum(['a', 'a']), /no duplicates/],
  ])('refuses %s', (_what, make, message) => {
    expect(make).toThrow(message);
    expect(() => make()).toThrow(ViewsError);
  });

  it('names the field that keys Kafka messages, when given one', () => {
    expect(rides.messageKey).toBeUndefined();
    const keyed = defineSchema(
      'k',
      { t: f.timestamp(), user: f.string() },
      { eventTime: 't', messageKey: 'user' },
    );
    expect(keyed.messageKey).toBe('user');
  });

  it('leaves the original field type required when .optional() is taken', () => {
    const required = f.int();
    const optional = required.optional();
    expect(required.spec.optional).toBe(false);
    expect(optional.spec.optional).toBe(true);
    expect(optional.spec).toMatchObject({
      kind: 'int',
      min: required.spec.kind === 'int' ? required.spec.min : 0,
    });
  });
});
