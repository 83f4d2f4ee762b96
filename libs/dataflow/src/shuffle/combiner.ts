/**
 * How values of one key are combined across a shuffle: Spark's `Aggregator` (createCombiner, mergeValue,
 * mergeCombiners). Described by a kind and the user's functions, so a worker can rebuild it.
 */
import { cloneValue } from './record-serializer.ts';

// biome-ignore lint/complexity/noBannedTypes: user functions of any arity travel through here.
type UserFunction = Function;

/** The serializable description of a combiner: its kind, plain parameters, and the user functions it calls. */
export interface CombinerDescription {
  kind: 'reduce' | 'fold' | 'aggregate' | 'combine' | 'group' | 'keepFirst';
  zero?: unknown;
}

/** Spark's Aggregator: turns values of one key into a combiner and merges combiners. */
export interface Combiner<V, C> {
  readonly description: CombinerDescription;
  readonly functions: readonly UserFunction[];
  readonly mapSideCombine: boolean;
  createCombiner(value: V): C;
  mergeValue(combiner: C, value: V): C;
  mergeCombiners(left: C, right: C): C;
}

/** Builds a combiner from its description and user functions (in the driver or in a worker). */
export function buildCombiner<V, C>(
  description: CombinerDescription,
  functions: readonly UserFunction[],
): Combiner<V, C> {
  const [f1, f2, f3] = functions as Array<(...args: unknown[]) => unknown>;
  const base = { description, functions, mapSideCombine: description.kind !== 'group' };
  switch (description.kind) {
    case 'reduce': {
      const fn = f1 as (a: unknown, b: unknown) => unknown;
      return {
        ...base,
        createCombiner: (v) => v as unknown as C,
        mergeValue: (c, v) => fn(c, v) as C,
        mergeCombiners: (a, b) => fn(a, b) as C,
      };
    }
    case 'fold': {
      const fn = f1 as (a: unknown, b: unknown) => unknown;
      const zero = description.zero;
      return {
        ...base,
        createCombiner: (v) => fn(cloneValue(zero), v) as C,
        mergeValue: (c, v) => fn(c, v) as C,
        mergeCombiners: (a, b) => fn(a, b) as C,
      };
    }
    case 'aggregate': {
      const seqOp = f1 as (a: unknown, b: unknown) => unknown;
      const combOp = f2 as (a: unknown, b: unknown) => unknown;
      const zero = description.zero;
      return {
        ...base,
        createCombiner: (v) => seqOp(cloneValue(zero), v) as C,
        mergeValue: (c, v) => seqOp(c, v) as C,
        mergeCombiners: (a, b) => combOp(a, b) as C,
      };
    }
    case 'combine':
      return {
        ...base,
        createCombiner: (v) => (f1 as (v: unknown) => unknown)(v) as C,
        mergeValue: (c, v) => (f2 as (c: unknown, v: unknown) => unknown)(c, v) as C,
        mergeCombiners: (a, b) => (f3 as (a: unknown, b: unknown) => unknown)(a, b) as C,
      };
    case 'group':
      return {
        ...base,
        createCombiner: (v) => [v] as unknown as C,
        mergeValue: (c, v) => {
          (c as unknown as unknown[]).push(v);
          return c;
        },
        mergeCombiners: (a, b) =>
          (a as unknown as unknown[]).concat(b as unknown as unknown[]) as unknown as C,
      };
    case 'keepFirst':
      return {
        ...base,
        createCombiner: (v) => v as unknown as C,
        mergeValue: (c) => c,
        mergeCombiners: (a) => a,
      };
  }
}
