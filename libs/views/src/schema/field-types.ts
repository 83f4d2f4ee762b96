/**
 * The field types of a schema (`f.string()`, `f.int({ min: 0 })`, …): what a field accepts in the JSON of a
 * record, the TypeScript type it has in a parsed event, and the Parquet column it is archived as.
 */
import { ViewsError } from '../errors.ts';
import { EARLIEST_EVENT_MS, MAX_FUTURE_MS } from '../events/timestamp.ts';

/** The kinds of field a schema can declare. */
export type FieldKind = 'string' | 'int' | 'double' | 'boolean' | 'timestamp' | 'enum';

/** Constraints of `f.string()`. */
export interface StringConstraints {
  /** Shortest accepted length in UTF-16 code units. Default 0. */
  readonly minLength?: number;
  /** Longest accepted length. Default 1,024. */
  readonly maxLength?: number;
  /** A pattern the whole value must match (anchor it yourself). */
  readonly pattern?: RegExp;
}

/** Constraints of `f.int()` and `f.double()`. */
export interface NumberConstraints {
  /** Smallest accepted value. Default: −(2^53 − 1) for ints, −1e15 for doubles. */
  readonly min?: number;
  /** Largest accepted value. Default: 2^53 − 1 for ints, 1e15 for doubles. */
  readonly max?: number;
}

/** Constraints of `f.timestamp()`. */
export interface TimestampConstraints {
  /** Earliest accepted instant, epoch milliseconds. Default 2000-01-01T00:00:00Z. */
  readonly min?: number;
  /** How far after the parser's `now` an instant may be, in milliseconds. Default one day. */
  readonly maxFutureMs?: number;
}

/** Default longest string. */
export const DEFAULT_MAX_STRING_LENGTH = 1024;
/** Default bound of doubles: large enough for any real measurement, small enough that sums stay exact-ish. */
export const DEFAULT_MAX_DOUBLE = 1e15;

/** The resolved description of one field: plain data, hashed into view fingerprints. */
export type FieldSpec =
  | {
      readonly kind: 'string';
      readonly optional: boolean;
      readonly minLength: number;
      readonly maxLength: number;
      readonly pattern?: RegExp;
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
      readonly min: number;
      readonly maxFutureMs: number;
    }
  | { readonly kind: 'enum'; readonly optional: boolean; readonly values: readonly string[] };

/**
 * A field type: `T` is the value a parsed event holds (timestamps as epoch milliseconds).
 * `.optional()` makes it nullable: an absent or `null` value becomes `undefined` in the event.
 */
export interface FieldType<T> {
  readonly spec: FieldSpec;
  /** The same field, optional. */
  optional(): FieldType<T | undefined>;
  /** Phantom member carrying the value type; never set. */
  readonly __value?: T;
}

function fieldType<T>(spec: FieldSpec): FieldType<T> {
  return {
    spec,
    optional: () => fieldType<T | undefined>({ ...spec, optional: true }),
  };
}

function requireRange(what: string, min: number, max: number): void {
  if (Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new ViewsError('OXBOW_INVALID_ARGUMENT', `${what}: min (${min}) must not exceed max (${max})`);
  }
}

function requireWhole(what: string, values: readonly number[], least: number): void {
  for (const value of values) {
    if (!Number.isSafeInteger(value) || value < least) {
      throw new ViewsError(
        'OXBOW_INVALID_ARGUMENT',
        `${what}: bounds must be whole numbers${least === 0 ? ' ≥ 0' : ''}, got ${value}`,
      );
    }
  }
}

/**
 * The field types. Each accepts a JSON value of its kind and rejects anything else with a reason.
 *
 * @example
 * ```ts
 * const rides = defineSchema('rides', {
 *   time: f.timestamp(), city: f.string({ maxLength: 64 }), fareCents: f.int({ min: 0 }),
 *   kind: f.enum(['pool', 'solo']), promo: f.string().optional(),
 * }, { eventTime: 'time' });
 * ```
 */
export const f = {
  /** A JSON string; `minLength`, `maxLength` (default 1,024) and an optional `pattern`. */
  string(constraints: StringConstraints = {}): FieldType<string> {
    const minLength = constraints.minLength ?? 0;
    const maxLength = constraints.maxLength ?? DEFAULT_MAX_STRING_LENGTH;
    requireWhole('f.string length', [minLength, maxLength], 0);
    requireRange('f.string length', minLength, maxLength);
    return fieldType<string>({
      kind: 'string',
      optional: false,
      minLength,
      maxLength,
      ...(constraints.pattern === undefined ? {} : { pattern: constraints.pattern }),
    });
  },
  /** A JSON number that is a safe integer in `[min, max]` (whole-number bounds, default ±(2^53 − 1)). */
  int(constraints: NumberConstraints = {}): FieldType<number> {
    const min = constraints.min ?? -Number.MAX_SAFE_INTEGER;
    const max = constraints.max ?? Number.MAX_SAFE_INTEGER;
    requireWhole('f.int', [min, max], Number.MIN_SAFE_INTEGER);
    requireRange('f.int', min, max);
    return fieldType<number>({ kind: 'int', optional: false, min, max });
  },
  /** A finite JSON number in `[min, max]` (default ±1e15). */
  double(constraints: NumberConstraints = {}): FieldType<number> {
    const min = constraints.min ?? -DEFAULT_MAX_DOUBLE;
    const max = constraints.max ?? DEFAULT_MAX_DOUBLE;
    requireRange('f.double', min, max);
    return fieldType<number>({ kind: 'double', optional: false, min, max });
  },
  /** `true` or `false`. */
  boolean(): FieldType<boolean> {
    return fieldType<boolean>({ kind: 'boolean', optional: false });
  },
  /**
   * An instant: an ISO-8601 string with a time zone (`2026-11-24T13:05:12.345Z`, `…+01:00`) or integer epoch
   * milliseconds. Held in events as epoch milliseconds; not before `min` (2000) nor a day after now.
   */
  timestamp(constraints: TimestampConstraints = {}): FieldType<number> {
    return fieldType<number>({
      kind: 'timestamp',
      optional: false,
      min: constraints.min ?? EARLIEST_EVENT_MS,
      maxFutureMs: constraints.maxFutureMs ?? MAX_FUTURE_MS,
    });
  },
  /** One of the listed strings. */
  enum<const V extends string>(values: readonly V[]): FieldType<V> {
    if (values.length === 0 || new Set(values).size !== values.length) {
      throw new ViewsError('OXBOW_INVALID_ARGUMENT', 'f.enum needs at least one value and no duplicates');
    }
    return fieldType<V>({ kind: 'enum', optional: false, values: [...values] });
  },
} as const;

/** The value type of a field type. */
export type ValueOfField<F> = F extends FieldType<infer T> ? T : never;
