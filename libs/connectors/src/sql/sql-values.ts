/**
 * Values going out of DuckDB: result cells as plain JavaScript (`SqlValue`), and a JSON-safe form of them for
 * JSON lines and HTTP answers. Also the quoting of identifiers and literals in the SQL this package writes.
 */
import type { JS } from '@duckdb/node-api';

/**
 * One cell of a result row: `null`, a boolean, a number, a `bigint` (an integer outside ±(2^53 − 1)), a string,
 * a `Date` (timestamps and dates), bytes (BLOB), an array (LIST, ARRAY) or an object (STRUCT, MAP entries,
 * INTERVAL). JSON columns arrive as their JSON text.
 */
export type SqlValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | Uint8Array
  | readonly SqlValue[]
  | { readonly [key: string]: SqlValue };

/** One result row: column name → value (duplicate column names get DuckDB's `_1`, `_2`, … suffixes). */
export type SqlRow = Record<string, SqlValue>;

/** A result column: its name and DuckDB type (`BIGINT`, `VARCHAR`, `TIMESTAMP WITH TIME ZONE`, …). */
export interface SqlColumn {
  readonly name: string;
  readonly type: string;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A DuckDB result value as a {@link SqlValue}: integers of 64 bits and more (BIGINT, HUGEINT, UBIGINT, TIME's
 * microseconds) become `number` when they are safe integers and stay `bigint` otherwise; nested values are
 * converted the same way.
 *
 * @example
 * fromDuckDB(42n); // 42
 * fromDuckDB(2n ** 60n); // 1152921504606846976n
 */
export function fromDuckDB(value: JS | null): SqlValue {
  if (typeof value === 'bigint') return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array) {
    return value;
  }
  if (Array.isArray(value)) return value.map(fromDuckDB);
  const out: Record<string, SqlValue> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = fromDuckDB(inner);
  return out;
}

/** JSON-safe values: what {@link sqlValueToJson} produces. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A {@link SqlValue} as JSON-safe data: a `bigint` as its decimal string, a `Date` as its ISO-8601 string, bytes
 * as base64, a non-finite number as `null` (JSON has none); nested values likewise.
 *
 * @example
 * JSON.stringify(sqlValueToJson({ n: 2n ** 60n, at: new Date(0) }));
 * // '{"n":"1152921504606846976","at":"1970-01-01T00:00:00.000Z"}'
 */
export function sqlValueToJson(value: SqlValue): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map((inner: SqlValue) => sqlValueToJson(inner));
  const out: Record<string, JsonValue> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = sqlValueToJson(inner as SqlValue);
  return out;
}

/**
 * A result row as a JSON-safe object (see {@link sqlValueToJson}), e.g. for JSON lines or an HTTP answer.
 *
 * @example
 * JSON.stringify(sqlRowToJson(row));
 */
export function sqlRowToJson(row: SqlRow): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(row)) out[key] = sqlValueToJson(value);
  return out;
}

/** A SQL identifier in double quotes (any name, any case). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Whether `query` mentions `name` as a word (case-insensitively; a name inside a string literal or a comment
 * counts too). Used to set up only the tables a query may read: a table named only at run time
 * (`query_table('http' || '_logs')`) is not seen.
 */
export function mentions(query: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$])${escaped}($|[^A-Za-z0-9_$])`, 'i').test(query);
}
