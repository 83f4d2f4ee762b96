/**
 * fast-check arbitraries of whole schemas: random field declarations (every kind, optional or not, bounds of every
 * size), the schema they define, valid records for it with the event each must parse to, and a value each field
 * must reject. Used by the schema parser's and the schema generator's properties.
 */
import fc from 'fast-check';
import { defineSchema, type FieldType, f, type Schema } from '../../src/index.ts';

/** The parsers' injected `now` in these properties: 2026-11-24T12:00Z. */
export const PROPERTY_NOW = Date.UTC(2026, 10, 24, 12);

/** One field declaration as plain data (what the arbitraries shrink), turned into a field type by {@link fieldTypeOf}. */
export type FieldDeclaration =
  | {
      readonly kind: 'string';
      readonly optional: boolean;
      readonly minLength: number;
      readonly maxLength: number;
    }
  | {
      readonly kind: 'int' | 'double';
      readonly optional: boolean;
      readonly min: number;
      readonly max: number;
    }
  | { readonly kind: 'boolean'; readonly optional: boolean }
  | {
      readonly kind: 'timestamp';
      readonly optional: boolean;
      /** Not after {@link PROPERTY_NOW}, so valid values exist. */
      readonly min: number;
      readonly maxFutureMs: number;
    }
  | { readonly kind: 'enum'; readonly optional: boolean; readonly values: readonly string[] };

/** A schema's declarations: field name → declaration, and the event-time field. */
export interface SchemaDeclaration {
  readonly fields: ReadonlyArray<readonly [name: string, declaration: FieldDeclaration]>;
  readonly eventTime: string;
}

/** The field type a declaration stands for. */
export function fieldTypeOf(declaration: FieldDeclaration): FieldType<unknown> {
  let type: FieldType<unknown>;
  switch (declaration.kind) {
    case 'string':
      type = f.string({ minLength: declaration.minLength, maxLength: declaration.maxLength });
      break;
    case 'int':
      type = f.int({ min: declaration.min, max: declaration.max });
      break;
    case 'double':
      type = f.double({ min: declaration.min, max: declaration.max });
      break;
    case 'boolean':
      type = f.boolean();
      break;
    case 'timestamp':
      type = f.timestamp({ min: declaration.min, maxFutureMs: declaration.maxFutureMs });
      break;
    case 'enum':
      type = f.enum(declaration.values);
      break;
  }
  return declaration.optional ? type.optional() : type;
}

/** The schema a declaration defines (named `random`). */
export function schemaOf(declaration: SchemaDeclaration): Schema {
  return defineSchema(
    'random',
    Object.fromEntries(declaration.fields.map(([name, d]) => [name, fieldTypeOf(d)])),
    {
      eventTime: declaration.eventTime,
    },
  ) as unknown as Schema;
}

const EARLIEST = Date.UTC(2000, 0, 1);

/** An interval `[min, max]` of whole numbers: small, around zero, wholly beyond ±1e9, or the full safe range. */
const intRange: fc.Arbitrary<readonly [number, number]> = fc.oneof(
  fc
    .tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 50 }))
    .map(([a, w]) => [a, a + w] as const),
  fc
    .tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 1e13 }))
    .map(([a, w]) => [a, a + w] as const),
  fc.integer({ min: 2e9, max: 1e15 }).map((a) => [a, a + 1000] as const),
  fc.integer({ min: -1e15, max: -2e9 }).map((a) => [a - 1000, a] as const),
  fc.constant([Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const),
);

/** An interval of doubles: narrow and not on thousandths, around zero, wide, or beyond ±1e9. */
const doubleRange: fc.Arbitrary<readonly [number, number]> = fc.oneof(
  fc
    .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.001, noNaN: true }))
    .map(([a, w]) => [a + 0, a + w + 0] as const),
  fc
    .tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e7, noNaN: true }))
    .map(([a, w]) => [a + 0, a + w + 0] as const),
  fc.double({ min: 2e9, max: 1e14, noNaN: true }).map((a) => [a, a * 2] as const),
  fc.constant([-1e15, 1e15] as const),
);

/** Any field declaration, optional or not. */
export const fieldDeclaration: fc.Arbitrary<FieldDeclaration> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 40 }), fc.boolean())
    .map(([minLength, extra, optional]) => ({
      kind: 'string' as const,
      optional,
      minLength,
      maxLength: minLength + extra,
    })),
  fc
    .tuple(fc.constantFrom('int' as const, 'double' as const), fc.boolean())
    .chain(([kind, optional]) =>
      (kind === 'int' ? intRange : doubleRange).map(([min, max]) => ({ kind, optional, min, max })),
    ),
  fc.boolean().map((optional) => ({ kind: 'boolean' as const, optional })),
  fc
    .tuple(
      fc.integer({ min: EARLIEST, max: PROPERTY_NOW }),
      fc.integer({ min: 0, max: 7 * 86_400_000 }),
      fc.boolean(),
    )
    .map(([min, maxFutureMs, optional]) => ({ kind: 'timestamp' as const, optional, min, maxFutureMs })),
  fc
    .tuple(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 6 }), fc.boolean())
    .map(([values, optional]) => ({ kind: 'enum' as const, optional, values })),
);

/** Field names: identifiers, including names of `Object.prototype` members (which records must not inherit). */
const fieldName = fc
  .oneof(
    fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,12}$/),
    fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'),
  )
  .filter((name) => !['kafkaPartition', 'kafkaOffset', 'appendTimeMs'].includes(name));

/** A schema of 1–8 fields, one of them the required timestamp that is the event time. */
export const schemaDeclaration: fc.Arbitrary<SchemaDeclaration> = fc
  .uniqueArray(fc.tuple(fieldName, fieldDeclaration), {
    minLength: 1,
    maxLength: 8,
    selector: ([name]) => name,
  })
  .chain((fields) =>
    fc.tuple(
      fc.constant(fields),
      fc.nat(fields.length - 1),
      fc.integer({ min: EARLIEST, max: Date.UTC(2026, 0, 1) }),
    ),
  )
  .map(([fields, index, min]) => {
    const time: FieldDeclaration = { kind: 'timestamp', optional: false, min, maxFutureMs: 86_400_000 };
    const eventTime = fields[index]?.[0] as string;
    return {
      fields: fields.map(([name, d]) => [name, name === eventTime ? time : d] as const),
      eventTime,
    };
  });

/** A valid JSON value of a field, and the value the parsed event holds for it (`undefined`: absent). */
export type ValidValue = readonly [json: unknown, parsed: unknown];

/** Valid values of a field (with their parsed form), at `now` = {@link PROPERTY_NOW}. */
export function validValue(declaration: FieldDeclaration): fc.Arbitrary<ValidValue> {
  let present: fc.Arbitrary<ValidValue>;
  switch (declaration.kind) {
    case 'string':
      present = fc
        .string({ minLength: declaration.minLength, maxLength: declaration.maxLength })
        .map((text) => [text, text] as const);
      break;
    case 'int':
      present = fc.integer({ min: declaration.min, max: declaration.max }).map((n) => [n, n] as const);
      break;
    case 'double':
      present = fc
        .double({ min: declaration.min, max: declaration.max, noNaN: true })
        .map((x) => [x, x + 0] as const); // JSON has no −0
      break;
    case 'boolean':
      present = fc.boolean().map((b) => [b, b] as const);
      break;
    case 'timestamp': {
      const latest = PROPERTY_NOW + declaration.maxFutureMs;
      present = fc
        .tuple(fc.integer({ min: declaration.min, max: latest }), fc.boolean())
        .map(([ms, iso]) => [iso ? new Date(ms).toISOString() : ms, ms] as const);
      break;
    }
    case 'enum':
      present = fc.constantFrom(...declaration.values).map((value) => [value, value] as const);
      break;
  }
  if (!declaration.optional) return present;
  return fc.oneof(present, fc.constantFrom<ValidValue>([undefined, undefined], [null, undefined]));
}

/** Values a field must reject (`undefined` stands for a missing field, only for required fields). */
export function invalidValue(declaration: FieldDeclaration): fc.Arbitrary<unknown> {
  const common: unknown[] = [{ nested: true }, [1]];
  if (!declaration.optional) common.push(undefined, null);
  switch (declaration.kind) {
    case 'string':
      return fc.constantFrom(...common, 7, true, 'x'.repeat(declaration.maxLength + 1));
    case 'int':
      return fc.constantFrom(
        ...common,
        '12',
        0.5,
        false,
        ...(declaration.max < Number.MAX_SAFE_INTEGER ? [declaration.max + 1] : [2 ** 60]),
      );
    case 'double':
      return fc.constantFrom(
        ...common,
        '1.5',
        true,
        declaration.max + Math.max(1, Math.abs(declaration.max)),
      );
    case 'boolean':
      return fc.constantFrom(...common, 'true', 1, 0);
    case 'timestamp':
      return fc.constantFrom(
        ...common,
        'noon',
        '2026-11-24',
        '2026-11-24T13:00:00',
        '2026-02-30T00:00:00Z',
        1.5,
        declaration.min - 1,
        new Date(PROPERTY_NOW + declaration.maxFutureMs + 1).toISOString(),
      );
    case 'enum':
      return fc.constantFrom(...common, 'NOT-A-VALUE', 3, declaration.values[0]?.toUpperCase());
  }
}
