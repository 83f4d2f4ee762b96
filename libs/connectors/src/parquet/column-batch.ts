/**
 * Column builders: rows appended value by value into typed arrays (numbers), dictionary indices (strings) and
 * byte flags (booleans, nulls), taken out as a {@link ColumnBatch} whose buffers can be transferred to a worker
 * thread without copying, and turned there into the column data hyparquet-writer encodes.
 */
import { ConnectorError } from '../errors.ts';
import type { ParquetField, ParquetSchema } from './schema.ts';

/** One column of a {@link ColumnBatch}; `nulls[i] === 1` marks a null (optional columns only). */
export type ColumnVector =
  | { readonly kind: 'int32'; readonly values: Int32Array; readonly nulls?: Uint8Array }
  | { readonly kind: 'double'; readonly values: Float64Array; readonly nulls?: Uint8Array }
  /** int64 and timestamp (epoch ms): safe integers as doubles, or exact values as int64. */
  | {
      readonly kind: 'int64';
      readonly values: Float64Array | BigInt64Array;
      readonly nulls?: Uint8Array;
    }
  | { readonly kind: 'boolean'; readonly values: Uint8Array; readonly nulls?: Uint8Array }
  /** Strings as indices into `dictionary`; `-1` is null. */
  | { readonly kind: 'string'; readonly dictionary: readonly string[]; readonly indices: Int32Array };

/** Rows of a schema in columnar form, in the schema's column order. */
export interface ColumnBatch {
  readonly rows: number;
  readonly columns: readonly ColumnVector[];
}

/** The buffers of a batch, for `postMessage(batch, transferList)`. */
export function transferListOf(batch: ColumnBatch): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const column of batch.columns) {
    if (column.kind === 'string') buffers.push(column.indices.buffer as ArrayBuffer);
    else {
      buffers.push(column.values.buffer as ArrayBuffer);
      if (column.nulls) buffers.push(column.nulls.buffer as ArrayBuffer);
    }
  }
  return buffers;
}

/** Appends one column's values; validates each against the column's type. */
export interface ColumnBuilder {
  readonly field: ParquetField;
  /** Appends a value (`null`/`undefined` for a null, allowed in optional columns only). */
  push(value: unknown): void;
}

function fail(field: ParquetField, row: number, value: unknown): never {
  const shown =
    typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : `${typeof value} ${String(value)}`;
  throw new ConnectorError(
    'OXBOW_PARQUET_SCHEMA',
    `row ${row}: column "${field.name}" (${field.type}${field.optional ? ', optional' : ''}) cannot hold ${shown}`,
  );
}

function grow<T extends Int32Array | Float64Array | BigInt64Array | Uint8Array>(array: T, size: number): T {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (length: number) => T)(Math.max(size, array.length * 2));
  next.set(array as never);
  return next;
}

abstract class BaseBuilder implements ColumnBuilder {
  readonly field: ParquetField;
  protected length = 0;
  protected nulls: Uint8Array | undefined;
  protected hasNull = false;

  constructor(field: ParquetField, capacity: number) {
    this.field = field;
    if (field.optional) this.nulls = new Uint8Array(capacity);
  }

  push(value: unknown): void {
    const row = this.length;
    if (value === null || value === undefined) {
      if (!this.nulls) fail(this.field, row, value);
      this.ensure(row + 1);
      this.nulls = grow(this.nulls, row + 1);
      this.nulls[row] = 1;
      this.hasNull = true;
      this.pushNull(row);
    } else {
      this.ensure(row + 1);
      if (this.nulls) this.nulls = grow(this.nulls, row + 1);
      this.pushValue(row, value);
    }
    this.length = row + 1;
  }

  /** The column so far (trimmed copies); the builder starts over empty. */
  abstract take(): ColumnVector;
  protected abstract ensure(size: number): void;
  protected abstract pushValue(row: number, value: unknown): void;
  protected abstract pushNull(row: number): void;

  protected takeNulls(): Uint8Array | undefined {
    const nulls = this.hasNull && this.nulls ? this.nulls.slice(0, this.length) : undefined;
    if (this.nulls) this.nulls.fill(0, 0, this.length);
    this.hasNull = false;
    return nulls;
  }
}

class Int32Builder extends BaseBuilder {
  private values: Int32Array;
  constructor(field: ParquetField, capacity: number) {
    super(field, capacity);
    this.values = new Int32Array(capacity);
  }
  protected ensure(size: number): void {
    this.values = grow(this.values, size);
  }
  protected pushValue(row: number, value: unknown): void {
    if (typeof value !== 'number' || (value | 0) !== value) fail(this.field, row, value);
    this.values[row] = value;
  }
  protected pushNull(row: number): void {
    this.values[row] = 0;
  }
  take(): ColumnVector {
    const nulls = this.takeNulls();
    const values = this.values.slice(0, this.length);
    this.length = 0;
    return nulls ? { kind: 'int32', values, nulls } : { kind: 'int32', values };
  }
}

class DoubleBuilder extends BaseBuilder {
  private values: Float64Array;
  constructor(field: ParquetField, capacity: number) {
    super(field, capacity);
    this.values = new Float64Array(capacity);
  }
  protected ensure(size: number): void {
    this.values = grow(this.values, size);
  }
  protected pushValue(row: number, value: unknown): void {
    if (typeof value !== 'number') fail(this.field, row, value);
    this.values[row] = value;
  }
  protected pushNull(row: number): void {
    this.values[row] = 0;
  }
  take(): ColumnVector {
    const nulls = this.takeNulls();
    const values = this.values.slice(0, this.length);
    this.length = 0;
    return nulls ? { kind: 'double', values, nulls } : { kind: 'double', values };
  }
}

/**
 * int64 and timestamps: kept as doubles while every value is a safe integer (no BigInt per value), switched to
 * exact int64 storage at the first value beyond 2^53.
 */
class Int64Builder extends BaseBuilder {
  private doubles: Float64Array | undefined;
  private exact: BigInt64Array | undefined;
  constructor(field: ParquetField, capacity: number) {
    super(field, capacity);
    this.doubles = new Float64Array(capacity);
  }
  protected ensure(size: number): void {
    if (this.doubles) this.doubles = grow(this.doubles, size);
    else if (this.exact) this.exact = grow(this.exact, size);
  }
  protected pushValue(row: number, value: unknown): void {
    let number: number;
    if (typeof value === 'number') {
      number = value;
    } else if (typeof value === 'bigint') {
      if (value >= -(2n ** 63n) && value < 2n ** 63n && (value > 2n ** 53n || value < -(2n ** 53n))) {
        this.toExact()[row] = value;
        return;
      }
      number = Number(value);
    } else if (this.field.type === 'timestamp' && value instanceof Date) {
      number = value.getTime();
    } else if (this.field.type === 'timestamp' && typeof value === 'string') {
      number = Date.parse(value);
    } else {
      number = fail(this.field, row, value);
    }
    if (!Number.isSafeInteger(number)) fail(this.field, row, value);
    if (this.doubles) this.doubles[row] = number;
    else if (this.exact) this.exact[row] = BigInt(number);
  }
  protected pushNull(row: number): void {
    if (this.doubles) this.doubles[row] = 0;
    else if (this.exact) this.exact[row] = 0n;
  }
  private toExact(): BigInt64Array {
    if (!this.exact) {
      const doubles = this.doubles ?? new Float64Array(0);
      const exact = new BigInt64Array(Math.max(doubles.length, this.length + 1));
      for (let i = 0; i < this.length; i++) exact[i] = BigInt(doubles[i] ?? 0);
      this.exact = exact;
      this.doubles = undefined;
    }
    this.exact = grow(this.exact, this.length + 1);
    return this.exact;
  }
  take(): ColumnVector {
    const nulls = this.takeNulls();
    const values = this.exact
      ? this.exact.slice(0, this.length)
      : (this.doubles ?? new Float64Array(0)).slice(0, this.length);
    if (this.exact) {
      this.doubles = new Float64Array(this.exact.length);
      this.exact = undefined;
    }
    this.length = 0;
    return nulls ? { kind: 'int64', values, nulls } : { kind: 'int64', values };
  }
}

class BooleanBuilder extends BaseBuilder {
  private values: Uint8Array;
  constructor(field: ParquetField, capacity: number) {
    super(field, capacity);
    this.values = new Uint8Array(capacity);
  }
  protected ensure(size: number): void {
    this.values = grow(this.values, size);
  }
  protected pushValue(row: number, value: unknown): void {
    if (typeof value !== 'boolean') fail(this.field, row, value);
    this.values[row] = value ? 1 : 0;
  }
  protected pushNull(row: number): void {
    this.values[row] = 0;
  }
  take(): ColumnVector {
    const nulls = this.takeNulls();
    const values = this.values.slice(0, this.length);
    this.length = 0;
    return nulls ? { kind: 'boolean', values, nulls } : { kind: 'boolean', values };
  }
}

/** Strings as dictionary indices: repeated values (hosts, paths, countries) cost 4 bytes a row. */
class StringBuilder implements ColumnBuilder {
  readonly field: ParquetField;
  private length = 0;
  private indices: Int32Array;
  private ids = new Map<string, number>();
  private dictionary: string[] = [];

  constructor(field: ParquetField, capacity: number) {
    this.field = field;
    this.indices = new Int32Array(capacity);
  }

  push(value: unknown): void {
    const row = this.length;
    this.indices = grow(this.indices, row + 1);
    if (typeof value === 'string') {
      let id = this.ids.get(value);
      if (id === undefined) {
        id = this.dictionary.length;
        this.dictionary.push(value);
        this.ids.set(value, id);
      }
      this.indices[row] = id;
    } else if ((value === null || value === undefined) && this.field.optional) {
      this.indices[row] = -1;
    } else {
      fail(this.field, row, value);
    }
    this.length = row + 1;
  }

  take(): ColumnVector {
    const column: ColumnVector = {
      kind: 'string',
      dictionary: this.dictionary,
      indices: this.indices.slice(0, this.length),
    };
    this.length = 0;
    this.ids = new Map();
    this.dictionary = [];
    return column;
  }
}

/**
 * Builds {@link ColumnBatch}es of one schema row by row: push every column's value, then {@link endRow}.
 *
 * @example
 * const builder = new ColumnBatchBuilder(schema, 50_000);
 * const [ts, status] = builder.columns;
 * ts.push(Date.now()); status.push(200); builder.endRow();
 * const batch = builder.take(); // transfer with transferListOf(batch)
 */
export class ColumnBatchBuilder {
  readonly schema: ParquetSchema;
  /** One builder per column, in schema order. */
  readonly columns: readonly ColumnBuilder[];
  private builders: Array<BaseBuilder | StringBuilder>;
  private rowCount = 0;

  constructor(schema: ParquetSchema, capacity = 1024) {
    this.schema = schema;
    const initial = Math.max(16, Math.min(capacity, 1 << 20));
    this.builders = schema.fields.map((field) => builderFor(field, initial));
    this.columns = this.builders;
  }

  /** Rows completed so far. */
  get rows(): number {
    return this.rowCount;
  }

  /** Appends a row from an object holding every column by name (a convenience over the column builders). */
  append(row: Readonly<Record<string, unknown>>): void {
    const builders = this.builders;
    for (let i = 0; i < builders.length; i++) {
      const builder = builders[i] as ColumnBuilder;
      builder.push(row[builder.field.name]);
    }
    this.endRow();
  }

  /** Completes the row whose values were pushed into every column. */
  endRow(): void {
    this.rowCount++;
  }

  /** The rows so far as a batch (the builder starts over empty). */
  take(): ColumnBatch {
    const rows = this.rowCount;
    const columns = this.builders.map((builder) => builder.take());
    this.rowCount = 0;
    for (const column of columns) {
      const length = column.kind === 'string' ? column.indices.length : column.values.length;
      if (length !== rows) {
        throw new ConnectorError(
          'OXBOW_PARQUET_SCHEMA',
          `column batch: a column holds ${length} values for ${rows} rows`,
        );
      }
    }
    return { rows, columns };
  }
}

function builderFor(field: ParquetField, capacity: number): BaseBuilder | StringBuilder {
  switch (field.type) {
    case 'string':
      return new StringBuilder(field, capacity);
    case 'int32':
      return new Int32Builder(field, capacity);
    case 'double':
      return new DoubleBuilder(field, capacity);
    case 'int64':
    case 'timestamp':
      return new Int64Builder(field, capacity);
    case 'boolean':
      return new BooleanBuilder(field, capacity);
  }
}

/**
 * The column data hyparquet-writer takes for a batch: typed arrays for required numeric columns, arrays with
 * nulls for optional ones, int64 and timestamps as `bigint`s.
 */
export function columnSourcesOf(
  schema: ParquetSchema,
  batch: ColumnBatch,
): Array<{ name: string; data: ArrayLike<unknown> }> {
  return schema.fields.map((field, index) => {
    const column = batch.columns[index];
    if (!column)
      throw new ConnectorError('OXBOW_PARQUET_SCHEMA', `column batch lacks column "${field.name}"`);
    return { name: field.name, data: columnData(column) };
  });
}

function columnData(column: ColumnVector): ArrayLike<unknown> {
  switch (column.kind) {
    case 'string': {
      const { dictionary, indices } = column;
      const out = new Array<string | null>(indices.length);
      for (let i = 0; i < indices.length; i++) {
        const id = indices[i] as number;
        out[i] = id < 0 ? null : (dictionary[id] as string);
      }
      return out;
    }
    case 'int64': {
      const values = column.values;
      let exact: BigInt64Array;
      if (values instanceof BigInt64Array) exact = values;
      else {
        exact = new BigInt64Array(values.length);
        for (let i = 0; i < values.length; i++) exact[i] = BigInt(values[i] as number);
      }
      return column.nulls ? withNulls(exact, column.nulls) : exact;
    }
    case 'boolean': {
      const out = new Array<boolean | null>(column.values.length);
      for (let i = 0; i < out.length; i++) out[i] = column.nulls?.[i] ? null : column.values[i] === 1;
      return out;
    }
    default:
      return column.nulls ? withNulls(column.values, column.nulls) : column.values;
  }
}

function withNulls<T>(values: ArrayLike<T>, nulls: Uint8Array): Array<T | null> {
  const out = new Array<T | null>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = nulls[i] ? null : (values[i] as T);
  return out;
}
