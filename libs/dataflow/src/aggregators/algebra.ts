/**
 * The merge algebra every view aggregates with: semigroups, monoids, groups, codecs and aggregators.
 *
 * Batch (RDDs) and speed (micro-batches) fold events with the same {@link Aggregator}; the serving
 * layer merges their partial states with `plus`. Because `plus` is associative (and, for every
 * aggregator here, commutative), any split of the data merges into the same answer.
 */

/** A set with an associative binary operation. `plus` is pure: it never mutates its arguments. */
export interface Semigroup<T> {
  /** Combines two values; associative: `plus(a, plus(b, c))` equals `plus(plus(a, b), c)`. */
  plus(left: T, right: T): T;
}

/**
 * A semigroup with an identity element. `zero` is a getter wherever the value is mutable, so every
 * read returns a fresh value (`plus(zero, x)` and `plus(x, zero)` equal `x`).
 */
export interface Monoid<T> extends Semigroup<T> {
  /** The identity of `plus`. */
  readonly zero: T;
}

/** A monoid with inverses, for windowed inverse reduces (`window = previous + entering - leaving`). */
export interface Group<T> extends Monoid<T> {
  /** The inverse: `plus(value, negate(value))` equals `zero`. */
  negate(value: T): T;
  /** `plus(left, negate(right))`. */
  minus(left: T, right: T): T;
}

/**
 * Compact, deterministic bytes for a value (Redis values, Parquet columns). Every encoding starts with
 * a format tag and a version byte, so stored bytes stay readable as formats evolve; `deserialize`
 * throws a `DataflowError` with code `OXBOW_SERIALIZATION` on bytes it does not recognise.
 */
export interface Codec<T> {
  /** Encodes `value`; equal values give equal bytes. */
  serialize(value: T): Uint8Array;
  /** Decodes bytes written by `serialize` (of this or an older format version). */
  deserialize(bytes: Uint8Array): T;
}

/** How far an aggregator's presented answer may be from the exact answer. */
export type ErrorBound =
  /** The answer is exact (up to floating-point rounding of sums). */
  | { readonly kind: 'exact' }
  /** HyperLogLog: the estimate's relative standard error (about 1.04/√m). */
  | { readonly kind: 'relative-standard-error'; readonly relative: number }
  /** Quantile sketch: every estimated quantile `v` of true quantile `x` has `|v − x| ≤ relative·|x|`. */
  | { readonly kind: 'relative-value'; readonly relative: number }
  /** Top-K: each reported count overestimates the true count by at most `fractionOfTotal·n` (n inputs). */
  | { readonly kind: 'count-overestimate'; readonly fractionOfTotal: number }
  /** A product of aggregators: the bound of each field. */
  | { readonly kind: 'fields'; readonly fields: Readonly<Record<string, ErrorBound>> };

/**
 * A monoid over `State` plus the functions that turn inputs into states and states into answers:
 * Algebird's `prepare → plus → present`, with a codec for storing states.
 *
 * Folding many inputs uses `append`, which may update a state in place: pass it only a state that
 * the fold owns (one it got from `zero`, `prepare`, `plus`, `deserialize` or an earlier `append`
 * and has not shared). `plus`, `prepare` and `zero` always return states that alias none of their
 * arguments, so a state is never mutated behind another holder's back.
 *
 * @example
 * ```ts
 * const latency = quantiles((e: { latencyMs: number }) => e.latencyMs);
 * let state = latency.zero;
 * for (const event of events) state = latency.append(state, event);
 * latency.present(latency.plus(state, otherPartitionState)); // { p50, p95, p99 }
 * ```
 */
export interface Aggregator<In, State, Out> extends Monoid<State> {
  /** What this aggregator computes, e.g. `'sum'`, `'hyperLogLog'`, `'product'`. */
  readonly kind: string;
  /** True when `plus(a, b)` equals `plus(b, a)` (every aggregator in this module). */
  readonly commutative: boolean;
  /** True for sketches whose presented answer is an estimate; see {@link Aggregator.errorBound}. */
  readonly approximate: boolean;
  /** The documented error bound of the presented answer. */
  readonly errorBound: ErrorBound;
  /** Bytes for states. */
  readonly codec: Codec<State>;
  /**
   * The functions this aggregator reads its inputs with (an extractor or a predicate), in order, when it has
   * any: what a view's fingerprint hashes and what the batch layer's SQL compiler reads.
   */
  readonly inputs?: ReadonlyArray<(...args: never[]) => unknown>;
  /** Parameters that change the states (e.g. `{ precision: 12 }`), for fingerprints and SQL compilation. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  /** The state of a single input (a fresh value). */
  prepare(input: In): State;
  /** Folds one input into `state` (may update `state` in place) and returns the updated state. */
  append(state: State, input: In): State;
  /** The answer a state stands for. */
  present(state: State): Out;
}

/** An aggregator whose states form a group (sum, count, mean), for windowed inverse reduces. */
export interface GroupAggregator<In, State, Out> extends Aggregator<In, State, Out>, Group<State> {}

/** The input type of an aggregator. */
export type InputOf<A> = A extends Aggregator<infer In, infer _State, infer _Out> ? In : never;
/** The state type of an aggregator. */
export type StateOf<A> = A extends Aggregator<infer _In, infer State, infer _Out> ? State : never;
/** The presented type of an aggregator. */
export type OutputOf<A> = A extends Aggregator<infer _In, infer _State, infer Out> ? Out : never;

/**
 * Folds `inputs` into one state with `append`, starting from a fresh `zero`.
 *
 * @example
 * ```ts
 * fold(sum((x: number) => x), [1, 2, 3]); // 6
 * ```
 */
export function fold<In, State, Out>(aggregator: Aggregator<In, State, Out>, inputs: Iterable<In>): State {
  let state = aggregator.zero;
  for (const input of inputs) state = aggregator.append(state, input);
  return state;
}

/**
 * Folds `inputs` and presents the result: the exact answer a view would serve for these inputs.
 *
 * @example
 * ```ts
 * aggregate(mean((x: number) => x), [1, 2, 3]); // 2
 * ```
 */
export function aggregate<In, State, Out>(aggregator: Aggregator<In, State, Out>, inputs: Iterable<In>): Out {
  return aggregator.present(fold(aggregator, inputs));
}

/**
 * Sums states with a monoid (`zero` for none).
 *
 * @example
 * ```ts
 * sumAll(sumMonoid, [1, 2, 3]); // 6
 * ```
 */
export function sumAll<T>(monoid: Monoid<T>, values: Iterable<T>): T {
  let total = monoid.zero;
  for (const value of values) total = monoid.plus(total, value);
  return total;
}

/**
 * The same aggregator with `present` followed by `then` (Algebird's `andThenPresent`).
 *
 * @example
 * ```ts
 * const distinctUsers = andThenPresent(hyperLogLog((e: { user: string }) => e.user), Math.round);
 * ```
 */
export function andThenPresent<In, State, Out, Next>(
  aggregator: Aggregator<In, State, Out>,
  then: (value: Out) => Next,
): Aggregator<In, State, Next> {
  return {
    kind: aggregator.kind,
    commutative: aggregator.commutative,
    approximate: aggregator.approximate,
    errorBound: aggregator.errorBound,
    codec: aggregator.codec,
    ...(aggregator.inputs === undefined ? {} : { inputs: aggregator.inputs }),
    ...(aggregator.parameters === undefined ? {} : { parameters: aggregator.parameters }),
    get zero() {
      return aggregator.zero;
    },
    plus: (left, right) => aggregator.plus(left, right),
    prepare: (input) => aggregator.prepare(input),
    append: (state, input) => aggregator.append(state, input),
    present: (state) => then(aggregator.present(state)),
  };
}
