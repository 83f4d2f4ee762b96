/**
 * Compiles a view definition into a scan plan: what DuckDB computes per row of the lake (SQL expressions of the
 * key, filter and each field's extractor or predicate) and how the columnar fold (`columnar-fold.ts`) turns those
 * rows into the aggregator states of the view — the same states, byte for byte, as the RDD path's `aggregateView`.
 *
 * Every function of the view becomes one of:
 * - a SQL expression (`sql-expression.ts`) when its source is a simple expression over fields: a number per row
 *   (`NaN` where the function gives no countable number) or a 0/1 flag (JavaScript truthiness);
 * - a **tuple input**: the distinct values of the columns the function reads (`fieldsReadBy`) are computed by SQL
 *   once, the function is called on each distinct tuple (rebuilt as an event by the schema's `eventOfRow`), and
 *   each row carries DuckDB's 64-bit `hash()` of its tuple to find the answer. Exact for deterministic functions,
 *   which view functions must be (both layers evaluate them independently), and the key, hashed values
 *   (HyperLogLog, top-K, distinct sets) and opaque functions (`statusClass(e.status)`) all take this path.
 *
 * A view is not compiled (it runs on the RDD path) when an aggregator is not one of `@oxbow/dataflow`'s standard
 * ones (recognised by kind and codec), or a function hides which fields it reads (`helper(e)`).
 */
import {
  type Aggregator,
  count,
  distinctSet,
  hyperLogLogCodec,
  max,
  mean,
  min,
  quantileSketchCodec,
  spaceSavingCodec,
  sum,
} from '@oxbow/dataflow';
import type { AnyEvent, Schema, ViewDefinition } from '@oxbow/views';
import { compileViewFunction, quoteIdentifier, truthy } from './sql-expression.ts';
import { fieldsReadBy } from './view-columns.ts';

/** Distinct tuples of SQL expressions, numbered by the prepass; rows carry `hash(<expressions>)`. */
export interface TupleSource {
  /** The SQL expressions of the tuple (raw columns for a function's fields, or one computed expression). */
  readonly sql: readonly string[];
}

/** A value per row: a SQL `DOUBLE` (`NaN` for no countable number) or a tuple input's answer. */
export type NumberSource =
  | { readonly kind: 'number'; readonly sql: string }
  | { readonly kind: 'tuple'; readonly tuple: TupleSource; readonly evaluate: TupleFunction };

/** A predicate per row: a SQL 0/1 flag or a tuple input's truthiness. */
export type FlagSource =
  | { readonly kind: 'flag'; readonly sql: string }
  | { readonly kind: 'tuple'; readonly tuple: TupleSource; readonly evaluate: TupleFunction };

/** A hashable value per row: a SQL number or a tuple input's answer (strings, booleans, computed values). */
export type HashableSource = NumberSource;

/** Maps one distinct tuple (its values as DuckDB returns them, `null` for SQL NULL) to the function's answer. */
export type TupleFunction = (values: readonly unknown[]) => unknown;

/** One compiled field. */
export type FieldPlan =
  | { readonly kind: 'count'; readonly name: string; readonly predicate?: FlagSource }
  | { readonly kind: 'sum' | 'mean' | 'min' | 'max'; readonly name: string; readonly value: NumberSource }
  | {
      readonly kind: 'hyperLogLog';
      readonly name: string;
      readonly precision: number;
      readonly value: HashableSource;
    }
  | {
      readonly kind: 'quantiles';
      readonly name: string;
      readonly relativeAccuracy: number;
      readonly maxBuckets: number;
      readonly value: NumberSource;
    }
  | {
      readonly kind: 'topK';
      readonly name: string;
      readonly capacity: number;
      readonly value: HashableSource;
    }
  | { readonly kind: 'distinctSet'; readonly name: string; readonly value: HashableSource };

/** A view compiled for the scan: key, bucket, filter and fields. */
export interface ViewPlan {
  readonly view: ViewDefinition<AnyEvent>;
  /** The event-time column (int64 epoch ms). */
  readonly timeColumn: string;
  readonly bucketMs: number;
  /** The key of each row: a tuple input whose answer is the key string. */
  readonly key: { readonly tuple: TupleSource; readonly evaluate: TupleFunction };
  readonly filter?: FlagSource;
  readonly fields: readonly FieldPlan[];
}

/** The outcome of {@link planView}: a plan, or why the view runs on the RDD path. */
export type PlanResult =
  | { readonly compiled: true; readonly plan: ViewPlan }
  | { readonly compiled: false; readonly reason: string };

/** The codec of each standard aggregator kind: a field is compiled only when its aggregator uses it. */
const STANDARD_CODECS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['count', count().codec],
  ['sum', sum((value: number) => value).codec],
  ['mean', mean((value: number) => value).codec],
  ['min', min((value: number) => value).codec],
  ['max', max((value: number) => value).codec],
  ['hyperLogLog', hyperLogLogCodec],
  ['quantiles', quantileSketchCodec],
  ['topK', spaceSavingCodec],
  ['distinctSet', distinctSet((value: string) => value).codec],
]);

class NotCompiled extends Error {}

function notCompiled(reason: string): never {
  throw new NotCompiled(reason);
}

/** Rebuilds the event of a tuple of raw columns exactly as the RDD path's `schema.eventOfRow` does. */
function eventOfTuple(
  schema: Schema<AnyEvent>,
  columns: readonly string[],
): (values: readonly unknown[]) => AnyEvent {
  return (values) => {
    const row: Record<string, unknown> = {};
    for (let index = 0; index < columns.length; index++) row[columns[index] as string] = values[index];
    return schema.eventOfRow(row);
  };
}

/** The columns `fn` reads, in schema order, or `undefined` when its source does not tell. */
function columnsOf(fn: unknown, schema: Schema<AnyEvent>): string[] | undefined {
  const fields = fieldsReadBy(fn);
  if (fields === undefined) return undefined;
  // A name the schema does not have reads as undefined: it needs no column.
  return schema.eventColumns.filter((column) => fields.includes(column));
}

function tupleOfColumns(columns: readonly string[]): TupleSource {
  // A function of no field (a constant key) has one tuple: a constant column stands for it.
  return { sql: columns.length === 0 ? ['TRUE'] : columns.map(quoteIdentifier) };
}

/** The function evaluated on each distinct tuple of the columns it reads. */
function dictionary(
  fn: (event: AnyEvent) => unknown,
  schema: Schema<AnyEvent>,
  what: string,
): { tuple: TupleSource; evaluate: TupleFunction } {
  const columns = columnsOf(fn, schema);
  if (columns === undefined) notCompiled(`${what} hides which fields it reads`);
  const eventOf = eventOfTuple(schema, columns);
  return { tuple: tupleOfColumns(columns), evaluate: (values) => fn(eventOf(values)) };
}

function flagOf(fn: (event: AnyEvent) => unknown, schema: Schema<AnyEvent>, what: string): FlagSource {
  const compiled = compileViewFunction(fn, schema);
  if (compiled !== undefined) return { kind: 'flag', sql: `CAST(${truthy(compiled)} AS UTINYINT)` };
  const { tuple, evaluate } = dictionary(fn, schema, what);
  return { kind: 'tuple', tuple, evaluate: (values) => (evaluate(values) ? 1 : 0) };
}

const NO_NUMBER = "CAST('NaN' AS DOUBLE)";

function numberOf(fn: (event: AnyEvent) => unknown, schema: Schema<AnyEvent>, what: string): NumberSource {
  const compiled = compileViewFunction(fn, schema);
  if (compiled !== undefined) {
    // A string, boolean or undefined is never a countable number: every row is skipped.
    if (compiled.type !== 'number') return { kind: 'number', sql: NO_NUMBER };
    return {
      kind: 'number',
      sql: compiled.nullable ? `coalesce(${compiled.sql}, ${NO_NUMBER})` : compiled.sql,
    };
  }
  return { kind: 'tuple', ...dictionary(fn, schema, what) };
}

function hashableOf(
  fn: (event: AnyEvent) => unknown,
  schema: Schema<AnyEvent>,
  what: string,
): HashableSource {
  const compiled = compileViewFunction(fn, schema);
  if (compiled?.type === 'number') {
    return {
      kind: 'number',
      sql: compiled.nullable ? `coalesce(${compiled.sql}, ${NO_NUMBER})` : compiled.sql,
    };
  }
  if (compiled?.type === 'string') {
    // One computed string per row: its distinct values are the tuples.
    return { kind: 'tuple', tuple: { sql: [compiled.sql] }, evaluate: (values) => values[0] ?? undefined };
  }
  if (compiled?.type === 'undefined' || compiled?.type === 'null') return { kind: 'number', sql: NO_NUMBER };
  return { kind: 'tuple', ...dictionary(fn, schema, what) };
}

function parameter(aggregator: Aggregator<never, unknown, unknown>, name: string): number {
  const value = aggregator.parameters?.[name];
  if (typeof value !== 'number') notCompiled(`its ${aggregator.kind} has no numeric parameter "${name}"`);
  return value;
}

function fieldPlan(
  name: string,
  aggregator: Aggregator<never, unknown, unknown>,
  schema: Schema<AnyEvent>,
): FieldPlan {
  const kind = aggregator.kind;
  if (STANDARD_CODECS.get(kind) !== aggregator.codec) {
    notCompiled(`field "${name}" uses an aggregator of its own (kind "${kind}")`);
  }
  const inputs = aggregator.inputs ?? [];
  const what = `field "${name}"'s ${kind} function`;
  const input = inputs[0] as ((event: AnyEvent) => unknown) | undefined;
  if (kind === 'count') {
    if (input === undefined) return { kind: 'count', name };
    return { kind: 'count', name, predicate: flagOf(input, schema, what) };
  }
  if (input === undefined || inputs.length !== 1) notCompiled(`field "${name}" has no extractor`);
  switch (kind) {
    case 'sum':
    case 'mean':
    case 'min':
    case 'max':
      return { kind, name, value: numberOf(input, schema, what) };
    case 'hyperLogLog':
      return {
        kind,
        name,
        precision: parameter(aggregator, 'precision'),
        value: hashableOf(input, schema, what),
      };
    case 'quantiles':
      return {
        kind,
        name,
        relativeAccuracy: parameter(aggregator, 'relativeAccuracy'),
        maxBuckets: parameter(aggregator, 'maxBuckets'),
        value: numberOf(input, schema, what),
      };
    case 'topK':
      return {
        kind,
        name,
        capacity: parameter(aggregator, 'capacity'),
        value: hashableOf(input, schema, what),
      };
    default:
      return { kind: 'distinctSet', name, value: hashableOf(input, schema, what) };
  }
}

/**
 * Compiles `view` for the SQL scan, or says why it runs on the RDD path.
 *
 * @example
 * ```ts
 * const result = planView(project.view('rides_by_city_hourly'));
 * if (result.compiled) result.plan.fields.map((field) => field.kind); // ['count', 'sum', 'mean', 'count']
 * else console.log(result.reason); // e.g. 'field "fares" uses an aggregator of its own (kind "myFares")'
 * ```
 */
export function planView(view: ViewDefinition<AnyEvent>): PlanResult {
  const schema = view.schema;
  try {
    let key: ViewPlan['key'];
    if (view.keyField !== undefined) {
      const eventOf = eventOfTuple(schema, [view.keyField]);
      key = { tuple: tupleOfColumns([view.keyField]), evaluate: (values) => view.keyOf(eventOf(values)) };
    } else {
      const columns = columnsOf(view.keyOf, schema);
      if (columns === undefined) notCompiled('the key function hides which fields it reads');
      const eventOf = eventOfTuple(schema, columns);
      key = { tuple: tupleOfColumns(columns), evaluate: (values) => view.keyOf(eventOf(values)) };
    }
    const filter =
      view.filter === undefined
        ? undefined
        : flagOf(view.filter as (event: AnyEvent) => unknown, schema, 'the filter');
    const fields = view.fields.map((field) => fieldPlan(field.name, field.aggregator, schema));
    return {
      compiled: true,
      plan: {
        view,
        timeColumn: schema.eventTime,
        bucketMs: view.bucketMs,
        key,
        ...(filter === undefined ? {} : { filter }),
        fields,
      },
    };
  } catch (error) {
    if (error instanceof NotCompiled) return { compiled: false, reason: error.message };
    throw error;
  }
}
