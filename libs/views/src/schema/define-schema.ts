/**
 * `defineSchema`: one definition of an event type that yields everything each layer needs — the TypeScript
 * type, the validating parser the speed layer and the archiver use (one `JSON.parse`, one reason per rejected
 * field), the Parquet columns of the master dataset and the row-to-event mapping of the batch layer, and a JSON
 * Schema for the docs.
 */
import { ViewsError } from '../errors.ts';
import { decodeJsonObject, describeValue, fieldReason, type JsonRecord } from '../events/fields.ts';
import type { ParseOptions, ParseResult } from '../events/parse-result.ts';
import { parseIsoTimestamp } from '../events/timestamp.ts';
import type { FieldSpec, FieldType, ValueOfField } from './field-types.ts';

/** The fields of a schema: name → field type. */
export type SchemaFields = Readonly<Record<string, FieldType<unknown>>>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F extends SchemaFields> = {
  [K in keyof F]: undefined extends ValueOfField<F[K]> ? K : never;
}[keyof F];
type RequiredKeys<F extends SchemaFields> = Exclude<keyof F, OptionalKeys<F>>;

/** The parsed event of a schema's fields: required fields always set, optional ones possibly absent. */
export type EventOfFields<F extends SchemaFields> = Simplify<
  { readonly [K in RequiredKeys<F>]: ValueOfField<F[K]> } & {
    readonly [K in OptionalKeys<F>]?: Exclude<ValueOfField<F[K]>, undefined>;
  }
>;

/** The event type of a schema: `EventOf<typeof rides>`. */
export type EventOf<S> = S extends Schema<infer E> ? E : never;

/** Parquet column types of the master dataset (a subset of `@oxbow/connectors`' `ParquetType`). */
export type LakeColumnType = 'string' | 'int32' | 'int64' | 'double' | 'boolean';

/** One column of the master dataset. */
export interface LakeColumn {
  readonly name: string;
  readonly type: LakeColumnType;
  readonly optional?: boolean;
}

/** Kafka metadata columns appended to every archived row, after the schema's fields. */
export const KAFKA_METADATA_COLUMNS = [
  { name: 'kafkaPartition', type: 'int32' },
  { name: 'kafkaOffset', type: 'int64' },
  { name: 'appendTimeMs', type: 'int64' },
] as const satisfies readonly LakeColumn[];

const RESERVED_NAMES = new Set<string>([...KAFKA_METADATA_COLUMNS.map((column) => column.name), '__proto__']);
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Options of {@link defineSchema}. */
export interface SchemaOptions<K extends string> {
  /** The timestamp field that is the event time views bucket by. */
  readonly eventTime: K;
  /** What the events are, for the docs. */
  readonly description?: string;
  /**
   * The field whose value keys the Kafka messages producers send (`oxbow produce`, the ingest gateway), so one
   * entity's events keep their order in one partition. Default: no key.
   */
  readonly messageKey?: K | (string & {});
}

/** A JSON Schema (draft 2020-12) object, as plain data. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** An event schema: see {@link defineSchema}. */
export interface Schema<E = Readonly<Record<string, unknown>>> {
  readonly name: string;
  readonly description: string;
  /** The field name of the event time (a timestamp field; epoch milliseconds in events). */
  readonly eventTime: string;
  /** The field that keys Kafka messages of this schema, if any. */
  readonly messageKey?: string;
  /** The resolved fields, in declaration order. */
  readonly fields: ReadonlyArray<{ readonly name: string; readonly spec: FieldSpec }>;
  /**
   * Parses and validates one record (UTF-8 JSON bytes or a string): one `JSON.parse`, then each field; every
   * bad field gives one reason naming it. Fields not in the schema are ignored and not kept.
   */
  parse(input: Uint8Array | string, options?: ParseOptions): ParseResult<E>;
  /** Validates an already decoded JSON value (what {@link Schema.parse} does after `JSON.parse`). */
  validate(value: unknown, options?: ParseOptions): ParseResult<E>;
  /** The Parquet columns of an archived record: the fields, then {@link KAFKA_METADATA_COLUMNS}. */
  readonly lakeColumns: readonly LakeColumn[];
  /** The fields' columns only (what views read). */
  readonly eventColumns: readonly string[];
  /** The event of a row read back from the lake (int64 columns as `bigint` or number, nulls as absent). */
  eventOfRow(row: Readonly<Record<string, unknown>>): E;
  /** A JSON Schema describing the records this schema accepts. */
  jsonSchema(): JsonSchema;
  /** The event time of an event, epoch milliseconds. */
  timeOf(event: E): number;
}

function lakeTypeOf(spec: FieldSpec): LakeColumnType {
  switch (spec.kind) {
    case 'string':
    case 'enum':
      return 'string';
    case 'int':
      return spec.min >= INT32_MIN && spec.max <= INT32_MAX ? 'int32' : 'int64';
    case 'double':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'int64';
  }
}

function expectedText(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'string': {
      const pattern = spec.pattern === undefined ? '' : ` matching ${spec.pattern}`;
      return spec.minLength > 0
        ? `a string of ${spec.minLength}–${spec.maxLength} characters${pattern}`
        : `a string of at most ${spec.maxLength} characters${pattern}`;
    }
    case 'int':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'double':
      return `a number from ${spec.min} to ${spec.max}`;
    case 'boolean':
      return 'true or false';
    case 'timestamp':
      return 'an ISO-8601 timestamp with a time zone, or epoch milliseconds';
    case 'enum':
      return `one of ${spec.values.map((value) => JSON.stringify(value)).join(', ')}`;
  }
}

/** Reads one field; returns the value, `undefined` for an absent optional field, or pushes a reason. */
function readField(
  name: string,
  spec: FieldSpec,
  value: unknown,
  now: number,
  reasons: string[],
): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || value === null) {
    if (spec.optional) return { ok: true, value: undefined };
    reasons.push(fieldReason(name, expectedText(spec), value === null ? null : undefined));
    return { ok: false };
  }
  switch (spec.kind) {
    case 'string':
      if (
        typeof value === 'string' &&
        value.length >= spec.minLength &&
        value.length <= spec.maxLength &&
        (spec.pattern === undefined || spec.pattern.test(value))
      ) {
        return { ok: true, value };
      }
      break;
    case 'enum':
      if (typeof value === 'string' && spec.values.includes(value)) return { ok: true, value };
      break;
    case 'int':
      if (
        typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        value >= spec.min &&
        value <= spec.max
      ) {
        return { ok: true, value };
      }
      break;
    case 'double':
      if (typeof value === 'number' && Number.isFinite(value) && value >= spec.min && value <= spec.max) {
        return { ok: true, value: value === 0 ? 0 : value };
      }
      break;
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      break;
    case 'timestamp': {
      const ms =
        typeof value === 'string'
          ? parseIsoTimestamp(value)
          : typeof value === 'number' && Number.isSafeInteger(value)
            ? value
            : undefined;
      if (ms === undefined) break;
      if (ms < spec.min) {
        reasons.push(`${name}: ${describeValue(value)} is before ${new Date(spec.min).toISOString()}`);
        return { ok: false };
      }
      if (ms > now + spec.maxFutureMs) {
        reasons.push(
          `${name}: ${describeValue(value)} is more than ${spec.maxFutureMs} ms after now (${new Date(now).toISOString()})`,
        );
        return { ok: false };
      }
      return { ok: true, value: ms };
    }
  }
  reasons.push(fieldReason(name, expectedText(spec), value));
  return { ok: false };
}

function jsonSchemaOf(spec: FieldSpec): Record<string, unknown> {
  switch (spec.kind) {
    case 'string':
      return {
        type: 'string',
        minLength: spec.minLength,
        maxLength: spec.maxLength,
        ...(spec.pattern === undefined ? {} : { pattern: spec.pattern.source }),
      };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
    case 'int':
      return { type: 'integer', minimum: spec.min, maximum: spec.max };
    case 'double':
      return { type: 'number', minimum: spec.min, maximum: spec.max };
    case 'boolean':
      return { type: 'boolean' };
    case 'timestamp':
      return {
        oneOf: [
          { type: 'string', format: 'date-time' },
          { type: 'integer', minimum: spec.min, description: 'epoch milliseconds' },
        ],
      };
  }
}

function numberOf(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

/**
 * Defines an event schema. The returned object parses records, describes the lake columns and maps rows
 * back to events; `EventOf<typeof schema>` is its event type (no hand-written interface needed).
 *
 * Throws `OXBOW_INVALID_PROJECT` for a bad field name, a name reserved for the lake's Kafka columns, or an
 * `eventTime` that is not a required timestamp field.
 *
 * @example
 * ```ts
 * const rides = defineSchema('rides', {
 *   time: f.timestamp(), city: f.string({ maxLength: 64 }), fareCents: f.int({ min: 0 }),
 * }, { eventTime: 'time' });
 * const result = rides.parse('{"time":"2026-11-24T13:05:12Z","city":"Utrecht","fareCents":1250}');
 * if (result.ok) result.event.fareCents; // 1250 (result.event.time is epoch milliseconds)
 * ```
 */
export function defineSchema<const F extends SchemaFields, K extends keyof F & string>(
  name: string,
  fields: F,
  options: SchemaOptions<K>,
): Schema<EventOfFields<F>> {
  type E = EventOfFields<F>;
  const where = `schema "${name}"`;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(name)) {
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: a schema name is 1–128 of A–Z a–z 0–9 . _ -`);
  }
  const resolved = Object.entries(fields).map(([fieldName, type]) => {
    if (!FIELD_NAME.test(fieldName)) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: field "${fieldName}" is not an identifier (letters, digits, _; at most 63)`,
      );
    }
    if (RESERVED_NAMES.has(fieldName)) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: field "${fieldName}" is reserved for the lake's Kafka metadata`,
      );
    }
    if (typeof type !== 'object' || type === null || !('spec' in type)) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: field "${fieldName}" is not an f.*() field type`,
      );
    }
    return { name: fieldName, spec: type.spec };
  });
  if (resolved.length === 0) throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: no fields`);
  const timeField = resolved.find((field) => field.name === options.eventTime);
  if (timeField === undefined || timeField.spec.kind !== 'timestamp' || timeField.spec.optional) {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${where}: eventTime "${String(options.eventTime)}" must name a required f.timestamp() field`,
    );
  }
  const eventTime = options.eventTime;
  const messageKey = options.messageKey;
  if (messageKey !== undefined && !resolved.some((field) => field.name === messageKey)) {
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: messageKey "${messageKey}" is not a field`);
  }
  const lakeColumns: LakeColumn[] = [
    ...resolved.map(({ name: column, spec }) => ({
      name: column,
      type: lakeTypeOf(spec),
      ...(spec.optional ? { optional: true } : {}),
    })),
    ...KAFKA_METADATA_COLUMNS,
  ];
  const count = resolved.length;
  const names = resolved.map((field) => field.name);
  const specs = resolved.map((field) => field.spec);

  const validate = (value: unknown, parseOptions: ParseOptions = {}): ParseResult<E> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, reasons: [`record: expected a JSON object, got ${describeValue(value)}`] };
    }
    const record = value as JsonRecord;
    const now = parseOptions.now ?? Date.now();
    const reasons: string[] = [];
    const event: Record<string, unknown> = {};
    for (let index = 0; index < count; index++) {
      const fieldName = names[index] as string;
      // Own properties only: a field named like an Object.prototype member ("constructor") is not inherited.
      const raw = Object.hasOwn(record, fieldName) ? record[fieldName] : undefined;
      const read = readField(fieldName, specs[index] as FieldSpec, raw, now, reasons);
      if (read.ok && read.value !== undefined) event[fieldName] = read.value;
    }
    return reasons.length > 0 ? { ok: false, reasons } : { ok: true, event: event as E };
  };

  return {
    name,
    description: options.description ?? '',
    eventTime,
    ...(messageKey === undefined ? {} : { messageKey }),
    fields: resolved,
    lakeColumns,
    eventColumns: names,
    validate,
    parse(input, parseOptions) {
      const reasons: string[] = [];
      const record = decodeJsonObject(input, reasons);
      if (record === undefined) return { ok: false, reasons };
      return validate(record, parseOptions);
    },
    eventOfRow(row) {
      const event: Record<string, unknown> = {};
      for (let index = 0; index < count; index++) {
        const fieldName = names[index] as string;
        const value = Object.hasOwn(row, fieldName) ? row[fieldName] : undefined;
        if (value === null || value === undefined) continue;
        const kind = (specs[index] as FieldSpec).kind;
        event[fieldName] =
          kind === 'int' || kind === 'timestamp' || kind === 'double' ? numberOf(value) : value;
      }
      return event as E;
    },
    jsonSchema() {
      const properties: Record<string, unknown> = {};
      for (const field of resolved) {
        const described = jsonSchemaOf(field.spec);
        // The parser takes `null` for an absent optional field.
        properties[field.name] = field.spec.optional ? { anyOf: [described, { type: 'null' }] } : described;
      }
      return {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        title: name,
        ...(options.description === undefined ? {} : { description: options.description }),
        type: 'object',
        properties,
        required: resolved.filter((field) => !field.spec.optional).map((field) => field.name),
      };
    },
    timeOf: (event) => (event as Record<string, number>)[eventTime] as number,
  };
}
