/**
 * Oxbow's Parquet schemas: a flat list of typed, optionally nullable columns, mapped to Parquet physical
 * and logical types, with the JS value type of each column.
 */
import type { SchemaElement } from 'hyparquet';
import { ConnectorError } from '../errors.ts';

/** Column types Oxbow writes. */
export const PARQUET_TYPES = ['string', 'int32', 'int64', 'double', 'boolean', 'timestamp'] as const;

/** One of {@link PARQUET_TYPES}. */
export type ParquetType = (typeof PARQUET_TYPES)[number];

/** One column of a schema. */
export interface ParquetField {
  readonly name: string;
  readonly type: ParquetType;
  /** Nullable column: rows may hold `null`/`undefined` (read back as `null`). Default false. */
  readonly optional?: boolean;
}

/** An ordered list of columns. */
export interface ParquetSchema<Fields extends readonly ParquetField[] = readonly ParquetField[]> {
  readonly fields: Fields;
}

/**
 * The JS type of a column's values when read: `string`, `number` (int32, double), `bigint` (int64),
 * `boolean`, `Date` (timestamp, millisecond precision, UTC).
 */
export type ValueOf<T extends ParquetType> = T extends 'string'
  ? string
  : T extends 'int32' | 'double'
    ? number
    : T extends 'int64'
      ? bigint
      : T extends 'boolean'
        ? boolean
        : Date;

/** What a writer accepts for a column: timestamps also as ISO strings or epoch millis, int64 as numbers. */
export type InputOf<T extends ParquetType> = T extends 'timestamp'
  ? Date | string | number
  : T extends 'int64'
    ? bigint | number
    : ValueOf<T>;

type Required<F extends ParquetField> = F extends { optional: true } ? never : F['name'];
type Optional<F extends ParquetField> = F extends { optional: true } ? F['name'] : never;

/** A row as read: required columns always present, optional ones `null` (or `undefined` if absent from the file). */
export type RowOf<Fields extends readonly ParquetField[]> = {
  [K in Required<Fields[number]>]: ValueOf<Extract<Fields[number], { name: K }>['type']>;
} & {
  [K in Optional<Fields[number]>]?: ValueOf<Extract<Fields[number], { name: K }>['type']> | null;
};

/** A row as written. */
export type InputRowOf<Fields extends readonly ParquetField[]> = {
  [K in Required<Fields[number]>]: InputOf<Extract<Fields[number], { name: K }>['type']>;
} & {
  [K in Optional<Fields[number]>]?: InputOf<Extract<Fields[number], { name: K }>['type']> | null;
};

/**
 * Declares a schema, checking names are unique and non-empty and types known.
 *
 * @example
 * const schema = defineParquetSchema([
 *   { name: 'ts', type: 'timestamp' },
 *   { name: 'status', type: 'int32' },
 *   { name: 'userId', type: 'string', optional: true },
 * ] as const);
 */
export function defineParquetSchema<const Fields extends readonly ParquetField[]>(
  fields: Fields,
): ParquetSchema<Fields> {
  if (fields.length === 0)
    throw new ConnectorError('OXBOW_PARQUET_SCHEMA', 'a schema needs at least one column');
  const seen = new Set<string>();
  for (const field of fields) {
    if (typeof field.name !== 'string' || field.name === '' || field.name.includes('.')) {
      throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `bad column name "${String(field.name)}"`);
    }
    if (seen.has(field.name))
      throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `duplicate column "${field.name}"`);
    seen.add(field.name);
    if (!(PARQUET_TYPES as readonly string[]).includes(field.type)) {
      throw new ConnectorError(
        'OXBOW_PARQUET_SCHEMA',
        `column "${field.name}" has unknown type "${field.type}"`,
      );
    }
  }
  return { fields };
}

/** The Parquet schema elements (root first) hyparquet-writer takes for `schema`. */
export function toSchemaElements(schema: ParquetSchema): SchemaElement[] {
  const root: SchemaElement = { name: 'root', num_children: schema.fields.length };
  return [root, ...schema.fields.map(toSchemaElement)];
}

function toSchemaElement(field: ParquetField): SchemaElement {
  const repetition_type = field.optional ? 'OPTIONAL' : 'REQUIRED';
  switch (field.type) {
    case 'string':
      return {
        name: field.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type,
      };
    case 'int32':
      return { name: field.name, type: 'INT32', repetition_type };
    case 'int64':
      return { name: field.name, type: 'INT64', repetition_type };
    case 'double':
      return { name: field.name, type: 'DOUBLE', repetition_type };
    case 'boolean':
      return { name: field.name, type: 'BOOLEAN', repetition_type };
    case 'timestamp':
      return {
        name: field.name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
  }
}

/** The Oxbow type of a file's schema element, or undefined if it is not one Oxbow writes. */
export function parquetTypeOf(element: SchemaElement): ParquetType | undefined {
  const logical = element.logical_type;
  const converted = element.converted_type;
  // Plain, or annotated as a signed integer of the physical width (DuckDB writes INT_32/INT_64 + INTEGER).
  const signedInteger = (bits: number) =>
    (converted === undefined || converted === `INT_${bits}`) &&
    (logical === undefined || (logical.type === 'INTEGER' && logical.bitWidth === bits && logical.isSigned));
  switch (element.type) {
    case 'BYTE_ARRAY':
      return converted === 'UTF8' || logical?.type === 'STRING' ? 'string' : undefined;
    case 'INT32':
      return signedInteger(32) ? 'int32' : undefined;
    case 'INT64':
      if (
        logical?.type === 'TIMESTAMP' ||
        converted === 'TIMESTAMP_MILLIS' ||
        converted === 'TIMESTAMP_MICROS'
      ) {
        return 'timestamp';
      }
      return signedInteger(64) ? 'int64' : undefined;
    case 'DOUBLE':
      return 'double';
    case 'BOOLEAN':
      return 'boolean';
    default:
      return undefined;
  }
}

/**
 * Turns the values of one column into what the encoder takes (typed arrays for required numeric columns,
 * bigint millis for timestamps), validating each value against the column's type.
 */
export function encodeColumn(
  field: ParquetField,
  values: readonly unknown[],
): unknown[] | ArrayLike<unknown> {
  const optional = field.optional === true;
  const convert = converterFor(field);
  if (!optional) {
    switch (field.type) {
      case 'int32':
        return Int32Array.from(values, (value, row) => convert(value, row) as number);
      case 'double':
        return Float64Array.from(values, (value, row) => convert(value, row) as number);
      case 'int64':
      case 'timestamp':
        return BigInt64Array.from(values, (value, row) => convert(value, row) as bigint);
      default:
        break;
    }
  }
  return values.map((value, row) => {
    if (value === null || value === undefined) {
      if (optional) return null;
      throw new ConnectorError(
        'OXBOW_PARQUET_SCHEMA',
        `row ${row}: required column "${field.name}" is ${value}`,
      );
    }
    return convert(value, row);
  });
}

function converterFor(field: ParquetField): (value: unknown, row: number) => unknown {
  const fail = (value: unknown, row: number): never => {
    throw new ConnectorError(
      'OXBOW_PARQUET_SCHEMA',
      `row ${row}: column "${field.name}" (${field.type}) cannot hold ${describeValue(value)}`,
    );
  };
  switch (field.type) {
    case 'string':
      return (value, row) => (typeof value === 'string' ? value : fail(value, row));
    case 'boolean':
      return (value, row) => (typeof value === 'boolean' ? value : fail(value, row));
    case 'double':
      return (value, row) => (typeof value === 'number' ? value : fail(value, row));
    case 'int32':
      return (value, row) =>
        typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31
          ? value
          : fail(value, row);
    case 'int64':
      return (value, row) => {
        if (typeof value === 'bigint' && value >= -(2n ** 63n) && value < 2n ** 63n) return value;
        if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
        return fail(value, row);
      };
    case 'timestamp':
      return (value, row) => {
        const millis =
          value instanceof Date
            ? value.getTime()
            : typeof value === 'string'
              ? Date.parse(value)
              : typeof value === 'number'
                ? value
                : Number.NaN;
        return Number.isSafeInteger(millis) ? BigInt(millis) : fail(value, row);
      };
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date)
    return `the date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
