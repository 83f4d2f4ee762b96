/**
 * The per-partition half of every action (`collect`, `count`, `reduce`, …): a kernel run inside a task over one
 * partition's records, described by name and user functions so a worker can rebuild it. The driver merges the
 * per-partition results.
 */
import { naturalCompare } from '../keys/ordering.ts';
import { SeededRandom } from '../random.ts';
import type { UserFunction } from '../rdd/lineage.ts';
import { cloneValue } from '../shuffle/record-serializer.ts';
import { StatCounter } from '../stats/stat-counter.ts';

/** An action's per-partition work, by kernel name. */
export interface ResultAction {
  readonly kernel: keyof typeof RESULT_KERNELS;
  readonly functions: readonly UserFunction[];
  readonly params: Record<string, unknown>;
}

type Fn2 = (a: unknown, b: unknown) => unknown;

/** The result of reducing one partition: absent when the partition was empty. */
export type PartialReduce = { present: false } | { present: true; value: unknown };

/** Per-partition kernels of actions, by name. */
export const RESULT_KERNELS = {
  collect: (input: Iterable<unknown>): unknown[] => (Array.isArray(input) ? input.slice() : [...input]),
  count: (input: Iterable<unknown>): number => {
    if (Array.isArray(input)) return input.length;
    let n = 0;
    for (const _ of input) n++;
    return n;
  },
  take: (
    input: Iterable<unknown>,
    _f: readonly UserFunction[],
    params: Record<string, unknown>,
  ): unknown[] => {
    const limit = params.limit as number;
    const out: unknown[] = [];
    if (limit <= 0) return out;
    for (const x of input) {
      out.push(x);
      if (out.length >= limit) break;
    }
    return out;
  },
  reduce: (input: Iterable<unknown>, [f]: readonly UserFunction[]): PartialReduce => {
    const fn = f as Fn2;
    let present = false;
    let acc: unknown;
    for (const x of input) {
      acc = present ? fn(acc, x) : x;
      present = true;
    }
    return present ? { present, value: acc } : { present: false };
  },
  fold: (
    input: Iterable<unknown>,
    [f]: readonly UserFunction[],
    params: Record<string, unknown>,
  ): unknown => {
    const fn = f as Fn2;
    let acc = cloneValue(params.zero);
    for (const x of input) acc = fn(acc, x);
    return acc;
  },
  aggregate: (
    input: Iterable<unknown>,
    [seqOp]: readonly UserFunction[],
    params: Record<string, unknown>,
  ): unknown => {
    const fn = seqOp as Fn2;
    let acc = cloneValue(params.zero);
    for (const x of input) acc = fn(acc, x);
    return acc;
  },
  foreach: (input: Iterable<unknown>, [f]: readonly UserFunction[]): null => {
    const fn = f as (x: unknown) => unknown;
    for (const x of input) fn(x);
    return null;
  },
  foreachPartition: (input: Iterable<unknown>, [f]: readonly UserFunction[]): null => {
    (f as (it: Iterator<unknown>) => unknown)(input[Symbol.iterator]());
    return null;
  },
  takeOrdered: (
    input: Iterable<unknown>,
    [f]: readonly UserFunction[],
    params: Record<string, unknown>,
  ): unknown[] => {
    const compare = (f as ((a: unknown, b: unknown) => number) | undefined) ?? naturalCompare;
    return smallestN(input, params.limit as number, compare);
  },
  stats: (input: Iterable<unknown>): StatCounter => {
    const counter = new StatCounter();
    for (const x of input) counter.merge(x as number);
    return counter;
  },
  /** A reservoir sample of keys and the partition's size, for range partitioning. */
  sampleKeys: (
    input: Iterable<unknown>,
    _f: readonly UserFunction[],
    params: Record<string, unknown>,
  ): { count: number; sample: unknown[] } => {
    const size = params.size as number;
    const random = new SeededRandom(params.seed as number);
    const sample: unknown[] = [];
    let count = 0;
    for (const record of input) {
      const key = (record as [unknown, unknown])[0];
      if (count < size) sample.push(key);
      else {
        const j = Math.floor(random.nextDouble() * (count + 1));
        if (j < size) sample[j] = key;
      }
      count++;
    }
    return { count, sample };
  },
} as const;

/** The `n` smallest elements under `compare`, in order (a bounded insertion buffer). */
export function smallestN(
  input: Iterable<unknown>,
  n: number,
  compare: (a: unknown, b: unknown) => number,
): unknown[] {
  if (n <= 0) return [];
  const buffer: unknown[] = [];
  for (const x of input) {
    if (buffer.length === n && compare(x, buffer[n - 1]) >= 0) continue;
    let low = 0;
    let high = buffer.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(buffer[mid], x) <= 0) low = mid + 1;
      else high = mid;
    }
    buffer.splice(low, 0, x);
    if (buffer.length > n) buffer.pop();
  }
  return buffer;
}

/** Runs an action's kernel over one partition. */
export function runResultAction(action: ResultAction, input: Iterable<unknown>): unknown {
  const kernel = RESULT_KERNELS[action.kernel] as (
    input: Iterable<unknown>,
    functions: readonly UserFunction[],
    params: Record<string, unknown>,
  ) => unknown;
  return kernel(input, action.functions, action.params);
}
