/**
 * How the elements of an RDD become the rows of a SQL table: which columns (an object's fields, a tuple's
 * `_1`, `_2`, …, or one `value`), of which DuckDB types (given by a schema, or inferred from the values), and
 * each element's cells in the form DuckDB's appender takes. Pure functions; the DuckDB side is in `sql-context.ts`.
 */
import { SqlError } from './errors.ts';

/** The column types a table of RDD contents may have. */
export const SQL_COLUMN_TYPES = [
  'BOOLEAN',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'DOUBLE',
  'VARCHAR',
  'TIMESTAMP',
  'BLOB',
  'JSON',
] as const;

/** One of {@link SQL_COLUMN_TYPES}. */
export type SqlColumnType = (typeof SQL_COLUMN_TYPES)[number];

/**
 * The columns of a table, in order, with their types: `{ user: 'VARCHAR', ms: 'BIGINT' }`. Objects fill the
 * columns by field name; tuples by position (the first column is element 0, whatever its name); plain values
 * fill a single column.
 */
export type SqlTableSchema = Readonly<Record<string, SqlColumnType>>;

/** How elements map to rows: objects by field, tuples by position, anything else as one `value` column. */
export type RowShape = 'object' | 'tuple' | 'value';

/** The columns of a table and how its elements fill them. */
export interface TableLayout {
  readonly shape: RowShape;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: SqlColumnType }>;
}

/** A cell as the appender's JS converter takes it. */
export type Cell = null | boolean | number | bigint | string | Date | Uint8Array;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT128_MIN = -(2n ** 127n);
const INT128_MAX = 2n ** 127n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** What kind of value an element or a field holds, for inference. */
type ValueKind = 'boolean' | 'int' | 'float' | 'bigint' | 'hugeint' | 'string' | 'date' | 'bytes' | 'json';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function shapeOf(element: unknown): RowShape | undefined {
  if (element === null || element === undefined) return undefined;
  if (Array.isArray(element)) return 'tuple';
  if (isPlainObject(element)) return 'object';
  return 'value';
}

function kindOf(value: unknown): ValueKind | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isSafeInteger(value) ? 'int' : 'float';
    case 'bigint':
      return value >= INT64_MIN && value <= INT64_MAX ? 'bigint' : 'hugeint';
    case 'string':
      return 'string';
    case 'object':
      if (value === null) return undefined;
      if (value instanceof Date) return 'date';
      if (value instanceof Uint8Array) return 'bytes';
      return 'json';
    default:
      return undefined; // undefined, functions and symbols read as NULL
  }
}

const KIND_NAMES: Readonly<Record<ValueKind, string>> = {
  boolean: 'booleans',
  int: 'integers',
  float: 'numbers',
  bigint: 'bigints',
  hugeint: 'bigints',
  string: 'strings',
  date: 'Dates',
  bytes: 'byte arrays',
  json: 'objects or arrays',
};

function typeOfKinds(
  table: string,
  column: string,
  kinds: ReadonlySet<ValueKind>,
): SqlColumnType | undefined {
  if (kinds.size === 0) return undefined;
  const numeric = [...kinds].every(
    (kind) => kind === 'int' || kind === 'float' || kind === 'bigint' || kind === 'hugeint',
  );
  if (numeric) {
    if (kinds.has('float')) return 'DOUBLE';
    return kinds.has('hugeint') ? 'HUGEINT' : 'BIGINT';
  }
  if (kinds.size === 1) {
    const [kind] = kinds;
    switch (kind) {
      case 'boolean':
        return 'BOOLEAN';
      case 'string':
        return 'VARCHAR';
      case 'date':
        return 'TIMESTAMP';
      case 'bytes':
        return 'BLOB';
      default:
        return 'JSON';
    }
  }
  const names = [...new Set([...kinds].map((kind) => KIND_NAMES[kind]))].join(' and ');
  throw new SqlError(
    'OXBOW_SQL_TABLE',
    `table ${table}, column ${column}: values of mixed types (${names}); give the table a schema (registerTable(name, rdd, { schema }))`,
  );
}

/**
 * The cell of column `index` (named `name`) of an element of shape `shape`: a tuple's columns are its positions,
 * in order (a schema may name them).
 */
function fieldOf(element: unknown, shape: RowShape, name: string, index: number): unknown {
  if (element === null || element === undefined) return null;
  switch (shape) {
    case 'object':
      return Object.hasOwn(element as object, name) ? (element as Record<string, unknown>)[name] : null;
    case 'tuple':
      return (element as readonly unknown[])[index];
    default:
      return element;
  }
}

/**
 * The layout of a table of `elements`. With a `schema`, its columns and types; otherwise the columns of the
 * elements — fields of objects in first-seen order, `_1` … `_n` for tuples, `value` for anything else — typed by
 * their values (integers `BIGINT`, other numbers `DOUBLE`, bigints beyond 64 bits `HUGEINT`, strings `VARCHAR`,
 * booleans, `Date` as `TIMESTAMP`, bytes as `BLOB`, objects and arrays as `JSON`). Columns of `previous` (the
 * table's last layout) are kept, in front, so a micro-batch that lacks a field, or holds no rows, still has the
 * columns the queries name; a column with no value takes its previous type, else `VARCHAR`.
 *
 * Throws `OXBOW_SQL_TABLE` for elements of different shapes, a column of mixed value types, or no columns at all
 * (an empty RDD seen for the first time, without a schema).
 *
 * @example
 * inferLayout('clicks', [{ user: 'u1', ms: 12 }, { user: 'u2', ms: 7.5 }]);
 * // { shape: 'object', columns: [{ name: 'user', type: 'VARCHAR' }, { name: 'ms', type: 'DOUBLE' }] }
 */
export function inferLayout(
  table: string,
  elements: readonly unknown[],
  schema?: SqlTableSchema,
  previous?: TableLayout,
): TableLayout {
  let shape: RowShape | undefined;
  for (const element of elements) {
    const own = shapeOf(element);
    if (own === undefined) continue;
    if (shape !== undefined && own !== shape) {
      throw new SqlError(
        'OXBOW_SQL_TABLE',
        `table ${table}: elements of different shapes (${shape} and ${own}); map them to one shape first`,
      );
    }
    shape = own;
  }
  if (schema !== undefined) {
    const columns = Object.entries(schema).map(([name, type]) => {
      if (!(SQL_COLUMN_TYPES as readonly string[]).includes(type)) {
        throw new SqlError(
          'OXBOW_SQL_TABLE',
          `table ${table}, column ${name}: unknown type ${String(type)} (expected ${SQL_COLUMN_TYPES.join(', ')})`,
        );
      }
      return { name, type };
    });
    if (columns.length === 0)
      throw new SqlError('OXBOW_SQL_TABLE', `table ${table}: the schema has no columns`);
    if (shape === undefined)
      shape = columns.length === 1 && columns[0]?.name === 'value' ? 'value' : 'object';
    return { shape, columns };
  }
  if (shape === undefined) {
    if (previous !== undefined) return previous;
    throw new SqlError(
      'OXBOW_SQL_TABLE',
      `table ${table}: no rows to infer columns from; give the table a schema (registerTable(name, rdd, { schema }))`,
    );
  }
  const keep = previous?.shape === shape ? previous.columns : [];
  const names = keep.map((column) => column.name);
  const seen = new Set(names);
  if (shape === 'value') {
    if (!seen.has('value')) names.push('value');
  } else if (shape === 'tuple') {
    const width = Math.max(0, ...elements.map((element) => (Array.isArray(element) ? element.length : 0)));
    for (let index = 1; index <= width; index++) {
      if (!seen.has(`_${index}`)) names.push(`_${index}`);
    }
  } else {
    for (const element of elements) {
      if (!isPlainObject(element)) continue;
      for (const key of Object.keys(element)) {
        if (!seen.has(key)) {
          seen.add(key);
          names.push(key);
        }
      }
    }
  }
  if (names.length === 0)
    throw new SqlError('OXBOW_SQL_TABLE', `table ${table}: the elements have no fields`);
  const columns = names.map((name, index) => {
    const kinds = new Set<ValueKind>();
    for (const element of elements) {
      const kind = kindOf(fieldOf(element, shape, name, index));
      if (kind !== undefined) kinds.add(kind);
    }
    const type =
      typeOfKinds(table, name, kinds) ?? keep.find((column) => column.name === name)?.type ?? 'VARCHAR';
    return { name, type };
  });
  return { shape, columns };
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === 'bigint') return inner.toString();
    if (inner instanceof Map) return Object.fromEntries(inner);
    if (inner instanceof Set) return [...inner];
    return inner;
  });
}

function mismatch(table: string, column: string, row: number, type: SqlColumnType, value: unknown): SqlError {
  const shown =
    typeof value === 'bigint'
      ? `${value}n`
      : typeof value === 'string'
        ? JSON.stringify(value)
        : String(value);
  return new SqlError(
    'OXBOW_SQL_TABLE',
    `table ${table}, column ${column}, row ${row}: ${shown.slice(0, 60)} is not a ${type} value`,
  );
}

function cellOf(table: string, column: string, row: number, type: SqlColumnType, value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value;
      break;
    case 'INTEGER':
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) {
        return value;
      }
      if (typeof value === 'bigint' && value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) {
        return Number(value);
      }
      break;
    case 'BIGINT':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) return value;
      break;
    case 'HUGEINT':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'bigint' && value >= INT128_MIN && value <= INT128_MAX) return value;
      break;
    case 'DOUBLE':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      break;
    case 'VARCHAR':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
        return String(value);
      if (value instanceof Date) return value.toISOString();
      return jsonText(value);
    case 'TIMESTAMP': {
      const date =
        value instanceof Date
          ? value
          : typeof value === 'number' || typeof value === 'string'
            ? new Date(value)
            : undefined;
      if (date !== undefined && !Number.isNaN(date.getTime())) return date;
      break;
    }
    case 'BLOB':
      if (value instanceof Uint8Array) return value;
      break;
    case 'JSON':
      return jsonText(value);
  }
  throw mismatch(table, column, row, type, value);
}

/**
 * The cells of each element in `layout`'s column order, converted to the column types: integers given as
 * `number` or `bigint`, timestamps as `Date`, epoch milliseconds or ISO strings, `JSON` as the value's JSON text
 * (bigints as decimal strings, Maps as objects, Sets as arrays), `VARCHAR` from strings, numbers and booleans.
 * Missing fields and `null`/`undefined` are NULL. Throws `OXBOW_SQL_TABLE` naming the row for a value the column
 * cannot hold.
 */
export function* cellsOf(
  table: string,
  elements: readonly unknown[],
  layout: TableLayout,
): Generator<Cell[]> {
  const { shape, columns } = layout;
  for (let row = 0; row < elements.length; row++) {
    const element = elements[row];
    yield columns.map(({ name, type }, index) =>
      cellOf(table, name, row, type, fieldOf(element, shape, name, index)),
    );
  }
}
