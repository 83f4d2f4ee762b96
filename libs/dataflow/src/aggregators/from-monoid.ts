/**
 * `fromMonoid`: an aggregator made from a user's own monoid, so any commutative monoid with a codec can be a view
 * field.
 */
import type { Aggregator, Codec, Monoid } from './algebra.ts';

/** What {@link fromMonoid} needs beyond the monoid. */
export interface FromMonoidOptions<In, State, Out> {
  /** The state of one input (a fresh value). */
  readonly prepare: (input: In) => State;
  /** Bytes for states, so they can be stored (Redis, the lake) and merged later. */
  readonly codec: Codec<State>;
  /** The answer a state stands for. Default: the state itself. */
  readonly present?: (state: State) => Out;
  /** What it computes, for docs and fingerprints (default `'custom'`). */
  readonly kind?: string;
  /** Parameters that change the states, for fingerprints. */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  /** True when `plus(a, b)` equals `plus(b, a)` (default true; views need commutative monoids). */
  readonly commutative?: boolean;
}

/**
 * An exact aggregator from a monoid: `append(state, input)` is `plus(state, prepare(input))` (never in place), so
 * a monoid whose `plus` is pure is all it takes.
 *
 * @example
 * ```ts
 * // Bitwise OR of feature flags, as a view field.
 * const orMonoid = { zero: 0, plus: (a: number, b: number) => a | b };
 * const flags = fromMonoid(orMonoid, { prepare: (e: { flags: number }) => e.flags, codec: myNumberCodec });
 * aggregate(flags, [{ flags: 1 }, { flags: 4 }]); // 5
 * ```
 */
export function fromMonoid<In, State, Out = State>(
  monoid: Monoid<State>,
  options: FromMonoidOptions<In, State, Out>,
): Aggregator<In, State, Out> {
  const { prepare, codec } = options;
  const present = options.present ?? ((state: State) => state as unknown as Out);
  return {
    kind: options.kind ?? 'custom',
    commutative: options.commutative ?? true,
    approximate: false,
    errorBound: { kind: 'exact' },
    codec,
    inputs: [prepare],
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
    get zero() {
      return monoid.zero;
    },
    plus: (left, right) => monoid.plus(left, right),
    prepare,
    append: (state, input) => monoid.plus(state, prepare(input)),
    present,
  };
}
