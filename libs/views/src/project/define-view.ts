/**
 * `defineView`: a user's view, declared against a topic by name. `defineProject` binds it to the topic's schema
 * (resolving the key field, the event time and the fingerprint) and checks it.
 */
import { createHash } from 'node:crypto';
import { type Aggregator, product } from '@oxbow/dataflow';
import { ViewsError } from '../errors.ts';
import type { Schema } from '../schema/define-schema.ts';
import type { ViewDefinition, ViewField, ViewFieldKind } from '../views/view-definition.ts';
import { type BucketLength, bucketMsOf } from './buckets.ts';

/** The type events have in a view whose topic's schema is not named: any field may be read. */
// biome-ignore lint/suspicious/noExplicitAny: user views read fields of a schema bound only at load time.
export type AnyEvent = Readonly<Record<string, any>>;

/** What a user writes: see {@link defineView}. `O` is the presented value, inferred from the fields. */
export interface ViewSpec<E, O> {
  /** The view's name: letters, digits and `_`, at most 64 (it names tables, Redis keys and routes). */
  readonly name: string;
  /** The project topic the view reads (a key of the project's `topics`). */
  readonly topic: string;
  /** Bucket length: `'1m'`, `'5m'`, `'1h'`, `'1d'` or milliseconds; must divide a day. */
  readonly bucket: BucketLength;
  /** The view key: a field of the schema, or a function of the event. */
  readonly key: string | ((event: E) => string);
  /** Only events for which this is true are aggregated. */
  readonly filter?: (event: E) => boolean;
  /** The value's fields: any aggregators of `@oxbow/dataflow` (or your own `Aggregator`). */
  // biome-ignore lint/suspicious/noExplicitAny: each field's state type is its own.
  readonly fields: { readonly [K in keyof O]: Aggregator<E, any, O[K]> };
  /** What the view answers, for the API and docs. */
  readonly description?: string;
  /** A description per field, for the API and docs. */
  readonly fieldDescriptions?: Partial<Record<keyof O & string, string>>;
}

/** A declared, not yet bound view: what {@link defineView} returns and `defineProject` takes. */
export interface ViewDeclaration<O = unknown> {
  readonly kind: 'view';
  // biome-ignore lint/suspicious/noExplicitAny: the event type is erased once declared; the project binds it.
  readonly spec: ViewSpec<any, Readonly<Record<string, unknown>>>;
  /** Phantom member carrying the presented value type; never set. */
  readonly __value?: O;
}

/**
 * Declares a view. Its functions read events loosely typed (`AnyEvent`: any field may be read); use
 * {@link viewsOf} to have them typed by the schema. The presented value's type is inferred from the fields.
 *
 * @example
 * ```ts
 * defineView({
 *   name: 'orders_by_store_hourly', topic: 'orders', bucket: '1h', key: 'store',
 *   filter: (e) => e.amountCents > 0,
 *   fields: { orders: count(), revenue: sum((e) => e.amountCents), customers: hyperLogLog((e) => e.customer) },
 * });
 * ```
 */
export function defineView<O>(spec: ViewSpec<AnyEvent, O>): ViewDeclaration<O> {
  return { kind: 'view', spec: spec as unknown as ViewDeclaration['spec'] };
}

/**
 * `defineView` with the events typed by `schema`: `viewsOf(orders).defineView({ … fields: { revenue: sum((e) =>
 * e.amountCents) } })` checks `e.amountCents` against the schema at compile time.
 *
 * @example
 * ```ts
 * const orderViews = viewsOf(orders);
 * export const byStore = orderViews.defineView({ name: 'by_store', topic: 'orders', bucket: '1h', key: 'store',
 *   fields: { revenue: sum((e) => e.amountCents) } });
 * ```
 */
export function viewsOf<E>(_schema: Schema<E>): { defineView<O>(spec: ViewSpec<E, O>): ViewDeclaration<O> } {
  return { defineView: (spec) => ({ kind: 'view', spec: spec as unknown as ViewDeclaration['spec'] }) };
}

const VIEW_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const KIND_NAMES: Readonly<Record<string, ViewFieldKind>> = { hyperLogLog: 'distinct' };

function isAggregator(value: unknown): value is Aggregator<unknown, unknown, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Aggregator<unknown, unknown, unknown>>;
  return (
    typeof candidate.kind === 'string' &&
    typeof candidate.plus === 'function' &&
    typeof candidate.append === 'function' &&
    typeof candidate.present === 'function' &&
    'zero' in candidate
  );
}

function requireSerialisable(where: string, aggregator: Aggregator<unknown, unknown, unknown>): void {
  const codec = aggregator.codec as Partial<Aggregator<unknown, unknown, unknown>['codec']> | undefined;
  if (typeof codec?.serialize !== 'function' || typeof codec.deserialize !== 'function') {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${where}: its aggregator "${aggregator.kind}" has no codec, so its states cannot be stored (give it a codec: serialize/deserialize)`,
    );
  }
  try {
    const zero = aggregator.zero;
    const bytes = codec.serialize(zero);
    const again = codec.serialize(codec.deserialize(bytes));
    if (Buffer.compare(Buffer.from(bytes), Buffer.from(again)) !== 0) throw new Error('bytes changed');
  } catch (error) {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${where}: its aggregator "${aggregator.kind}" cannot round-trip its zero state through its codec (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/**
 * A function's source text as fingerprints hash it: white space removed wherever it does not separate two word
 * characters, so the same function hashes alike whether Node stripped its types (leaving blanks where they were)
 * or a compiler printed it (`(e: Ride) => e.city`, `(e       ) => e.city` and `(e) => e.city` are one text). A
 * compiler that renames or rewrites code still changes it: run every app from the same sources.
 */
export function normalizedSource(fn: unknown): string {
  if (typeof fn !== 'function') return '';
  return fn
    .toString()
    .replace(/\s+/g, ' ')
    .replace(/ (?=[^\w$])|(?<=[^\w$]) /g, '')
    .trim();
}

const sourceOf = normalizedSource;

function describeField(kind: ViewFieldKind, aggregator: Aggregator<unknown, unknown, unknown>): string {
  const bound = aggregator.errorBound as Aggregator<unknown, unknown, unknown>['errorBound'] | undefined;
  if (bound === undefined) return kind;
  if (bound.kind === 'relative-standard-error')
    return `${kind} (±${(bound.relative * 100).toFixed(2)} % standard error)`;
  if (bound.kind === 'relative-value') return `${kind} (within ${(bound.relative * 100).toFixed(2)} %)`;
  return kind;
}

/**
 * Binds a declared view to its topic's schema: resolves the key and the event time, checks the fields and
 * computes the fingerprint. Errors name the view and the reason (`where` prefixes them).
 */
export function bindView(
  declaration: ViewDeclaration,
  topic: string,
  schema: Schema<AnyEvent>,
  where: string,
): ViewDefinition<AnyEvent> {
  const spec = declaration.spec as ViewSpec<AnyEvent, Readonly<Record<string, unknown>>>;
  const name = String(spec.name);
  const at = `${where}: view "${name}"`;
  if (!VIEW_NAME.test(name)) {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${at}: a view name starts with a letter and has at most 64 letters, digits and _`,
    );
  }
  const bucketMs = bucketMsOf(spec.bucket, `${at}: bucket`);
  let keyOf: (event: AnyEvent) => string;
  let keyField: string | undefined;
  let keyMaxLength: number | undefined;
  if (typeof spec.key === 'string') {
    const field = schema.fields.find((candidate) => candidate.name === spec.key);
    if (field === undefined) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${at}: key field "${spec.key}" is not in schema "${schema.name}" (fields: ${schema.fields.map((f) => f.name).join(', ')})`,
      );
    }
    if (field.spec.kind !== 'string' && field.spec.kind !== 'enum') {
      const kind = field.spec.kind;
      const fieldName = field.name;
      // An absent optional field keys as '' (as an absent optional string does), not as 'undefined'.
      keyOf = field.spec.optional
        ? (event) => (event[fieldName] === undefined ? '' : String(event[fieldName]))
        : (event) => String(event[fieldName]);
      keyMaxLength = kind === 'boolean' ? 5 : 24;
    } else {
      const fieldName = field.name;
      keyOf = field.spec.optional ? (event) => event[fieldName] ?? '' : (event) => event[fieldName];
      keyMaxLength =
        field.spec.kind === 'string'
          ? field.spec.maxLength
          : Math.max(...field.spec.values.map((value) => value.length));
    }
    keyField = field.name;
  } else if (typeof spec.key === 'function') {
    keyOf = spec.key;
  } else {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${at}: key must be a field name or a function of the event`,
    );
  }
  if (spec.filter !== undefined && typeof spec.filter !== 'function') {
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${at}: filter must be a function of the event`);
  }
  if (typeof spec.fields !== 'object' || spec.fields === null || Object.keys(spec.fields).length === 0) {
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${at}: fields must name at least one aggregator`);
  }
  const fields: ViewField[] = [];
  for (const [fieldName, aggregator] of Object.entries(spec.fields)) {
    if (!isAggregator(aggregator)) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${at}: field "${fieldName}" is not an aggregator (use count(), sum(…), hyperLogLog(…), … from @oxbow/dataflow)`,
      );
    }
    requireSerialisable(`${at}: field "${fieldName}"`, aggregator);
    const kind = KIND_NAMES[aggregator.kind] ?? aggregator.kind;
    fields.push({
      name: fieldName,
      kind,
      description: spec.fieldDescriptions?.[fieldName] ?? describeField(kind, aggregator),
      aggregator: aggregator as Aggregator<never, unknown, unknown>,
    });
  }
  const aggregator = product(spec.fields) as unknown as Aggregator<AnyEvent, unknown, unknown>;
  const eventTime = schema.eventTime;
  const fingerprint = fingerprintOf({ topic, schema, bucketMs, keyField, spec, fields });
  const filter = spec.filter;
  return {
    name,
    description:
      spec.description ?? `${name}: per ${keyField ?? 'key'} and ${bucketMs} ms bucket of ${topic}`,
    topic,
    schema,
    bucketMs,
    keyOf,
    timeOf: (event) => event[eventTime] as number,
    ...(filter === undefined ? {} : { filter }),
    ...(keyField === undefined ? {} : { keyField }),
    ...(keyMaxLength === undefined ? {} : { keyMaxLength }),
    aggregator,
    fields,
    fingerprint,
  };
}

interface FingerprintInput {
  readonly topic: string;
  readonly schema: Schema<AnyEvent>;
  readonly bucketMs: number;
  readonly keyField: string | undefined;
  readonly spec: ViewSpec<AnyEvent, Readonly<Record<string, unknown>>>;
  readonly fields: readonly ViewField[];
}

/**
 * The fingerprint: SHA-256 (first 16 hex digits) of the canonical JSON of what determines the states. Functions
 * count by their source text, so editing a key, filter or extractor changes it; schema fields count by their
 * resolved type when any function's source or the key names them (a superset of the fields read).
 */
function fingerprintOf(input: FingerprintInput): string {
  const functionSources = [
    typeof input.spec.key === 'function' ? sourceOf(input.spec.key) : '',
    sourceOf(input.spec.filter),
    ...input.fields.flatMap((field) => (field.aggregator.inputs ?? []).map(sourceOf)),
  ];
  const text = functionSources.join('\n');
  const used = input.schema.fields
    .filter(
      (field) =>
        field.name === input.keyField ||
        field.name === input.schema.eventTime ||
        new RegExp(`\\b${field.name}\\b`).test(text),
    )
    .map((field) => [
      field.name,
      // A pattern counts with its flags (`/^a$/i` accepts other records than `/^a$/`).
      { ...field.spec, pattern: field.spec.kind === 'string' ? field.spec.pattern?.toString() : undefined },
    ]);
  const canonical = JSON.stringify({
    v: 1,
    topic: input.topic,
    eventTime: input.schema.eventTime,
    used,
    bucketMs: input.bucketMs,
    key: input.keyField ?? sourceOf(input.spec.key),
    filter: sourceOf(input.spec.filter),
    fields: input.fields.map((field) => [
      field.name,
      field.aggregator.kind,
      field.aggregator.parameters ?? {},
      (field.aggregator.inputs ?? []).map(sourceOf),
      Buffer.from(field.aggregator.codec.serialize(field.aggregator.zero)).toString('base64'),
    ]),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
