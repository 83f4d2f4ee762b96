/**
 * A record of named aggregators folded together in one pass: `product({ hits: count(), users: … })`.
 */
import { DataflowError } from '../errors.ts';
import type {
  Aggregator,
  Codec,
  ErrorBound,
  GroupAggregator,
  InputOf,
  OutputOf,
  StateOf,
} from './algebra.ts';
import { ByteReader, ByteWriter, FORMAT_TAGS } from './binary.ts';

/** The named aggregators of a {@link product}. Each may take its own input type; they are intersected. */
export type AggregatorFields = Readonly<Record<string, Aggregator<unknown, unknown, unknown>>>;

/** The input a product reads: the intersection of its fields' inputs (`unknown` fields drop out). */
export type ProductInput<F extends AggregatorFields> = {
  [K in keyof F]: (input: InputOf<F[K]>) => void;
}[keyof F] extends (input: infer In) => void
  ? In
  : never;

/** The state of a product: each field's state under its name. */
export type ProductState<F extends AggregatorFields> = { -readonly [K in keyof F]: StateOf<F[K]> };

/** The presented value of a product: each field's presented value under its name. */
export type ProductOutput<F extends AggregatorFields> = { [K in keyof F]: OutputOf<F[K]> };

/** A product is a group exactly when every field is a group (e.g. counts, sums and means). */
export type ProductAggregator<F extends AggregatorFields> =
  F[keyof F] extends GroupAggregator<unknown, unknown, unknown>
    ? GroupAggregator<ProductInput<F>, ProductState<F>, ProductOutput<F>>
    : Aggregator<ProductInput<F>, ProductState<F>, ProductOutput<F>>;

type FieldEntry = readonly [name: string, aggregator: Aggregator<unknown, unknown, unknown>];
type GroupFieldEntry = readonly [name: string, aggregator: GroupAggregator<unknown, unknown, unknown>];

function isGroup(
  aggregator: Aggregator<unknown, unknown, unknown>,
): aggregator is GroupAggregator<unknown, unknown, unknown> {
  const candidate = aggregator as Partial<GroupAggregator<unknown, unknown, unknown>>;
  return typeof candidate.negate === 'function' && typeof candidate.minus === 'function';
}

function fieldWise<E extends FieldEntry>(
  entries: readonly E[],
  make: (entry: E) => unknown,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const entry of entries) record[entry[0]] = make(entry);
  return record;
}

function productCodec(entries: readonly FieldEntry[]): Codec<Record<string, unknown>> {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    serialize(value) {
      const writer = new ByteWriter().byte(FORMAT_TAGS.product).byte(1).varuint(sorted.length);
      for (const [name, aggregator] of sorted)
        writer.string(name).bytes(aggregator.codec.serialize(value[name]));
      return writer.finish();
    },
    deserialize(bytes) {
      const reader = new ByteReader(bytes, 'product state');
      reader.header(FORMAT_TAGS.product, 1);
      const stored = new Map<string, Uint8Array>();
      const size = reader.varuint();
      for (let index = 0; index < size; index++) {
        const name = reader.string();
        if (stored.has(name)) reader.fail(`duplicate field "${name}"`);
        stored.set(name, reader.bytes());
      }
      reader.end();
      return fieldWise(entries, ([name, aggregator]) => {
        const fieldBytes = stored.get(name);
        if (fieldBytes === undefined) return aggregator.zero;
        try {
          return aggregator.codec.deserialize(fieldBytes);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new DataflowError('OXBOW_SERIALIZATION', `cannot decode product field "${name}": ${reason}`, {
            cause: error,
          });
        }
      });
    },
  };
}

/**
 * Folds several aggregators over the same inputs in one pass. State, presented value and bytes are
 * field-wise records; the product is commutative when every field is, approximate when any field is,
 * and a group (with `negate`/`minus`) when every field is a group.
 *
 * Bytes: `[0x0a, 1]`, then (name, field bytes) per field in name order. Decoding fills a field
 * missing from stored bytes with its zero (a field added to a view later) and ignores stored fields
 * the product no longer has (a field removed).
 *
 * Extractors need their input annotated (`(e: AccessEvent) => e.userId`); the product's input is
 * the intersection of its fields' inputs.
 *
 * @example
 * ```ts
 * const traffic = product({
 *   hits: count(),
 *   users: hyperLogLog((e: AccessEvent) => e.userId),
 *   latency: quantiles((e: AccessEvent) => e.latencyMs),
 * });
 * aggregate(traffic, events); // { hits: 1200, users: 312.4, latency: { p50, p95, p99 } }
 * ```
 */
export function product<const F extends AggregatorFields>(fields: F): ProductAggregator<F> {
  const entries: FieldEntry[] = Object.entries(fields).map(([name, aggregator]) => [
    name,
    aggregator as Aggregator<unknown, unknown, unknown>,
  ]);
  if (entries.length === 0) {
    throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'product() needs at least one aggregator');
  }
  const names = entries.map(([name]) => name);
  if (names.includes('__proto__')) {
    throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'product() field names cannot be "__proto__"');
  }
  const fieldAggregators = entries.map(([, field]) => field);
  const errorBounds: Record<string, ErrorBound> = {};
  for (const [name, aggregator] of entries) errorBounds[name] = aggregator.errorBound;
  const approximate = entries.some(([, aggregator]) => aggregator.approximate);
  const aggregator: Aggregator<unknown, Record<string, unknown>, Record<string, unknown>> = {
    kind: 'product',
    commutative: entries.every(([, field]) => field.commutative),
    approximate,
    errorBound: approximate ? { kind: 'fields', fields: errorBounds } : { kind: 'exact' },
    codec: productCodec(entries),
    get zero() {
      return fieldWise(entries, ([, field]) => field.zero);
    },
    plus: (left, right) => fieldWise(entries, ([name, field]) => field.plus(left[name], right[name])),
    prepare: (input) => fieldWise(entries, ([, field]) => field.prepare(input)),
    append(state, input) {
      for (let index = 0; index < names.length; index++) {
        const name = names[index] as string;
        state[name] = (fieldAggregators[index] as Aggregator<unknown, unknown, unknown>).append(
          state[name],
          input,
        );
      }
      return state;
    },
    present: (state) => fieldWise(entries, ([name, field]) => field.present(state[name])),
  };
  if (entries.every(([, field]) => isGroup(field))) {
    const groupEntries = entries as unknown as readonly GroupFieldEntry[];
    const group: GroupAggregator<unknown, Record<string, unknown>, Record<string, unknown>> = {
      ...aggregator,
      get zero() {
        return aggregator.zero;
      },
      negate: (value) => fieldWise(groupEntries, ([name, field]) => field.negate(value[name])),
      minus: (left, right) =>
        fieldWise(groupEntries, ([name, field]) => field.minus(left[name], right[name])),
    };
    return group as unknown as ProductAggregator<F>;
  }
  return aggregator as unknown as ProductAggregator<F>;
}
