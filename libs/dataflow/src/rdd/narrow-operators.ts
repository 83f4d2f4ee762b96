/**
 * The per-partition kernels of narrow transformations (`map`, `filter`, `flatMap`, …), looked up by name so a
 * worker can rebuild a transformation from its description. Each kernel takes the parent partition's records,
 * the partition index, the user functions and plain parameters, and yields the output records.
 */
import { naturalCompare } from '../keys/ordering.ts';
import { SeededRandom } from '../random.ts';
import type { UserFunction } from './lineage.ts';

/** A narrow kernel. */
export type NarrowKernel = (
  input: Iterable<unknown>,
  partition: number,
  functions: readonly UserFunction[],
  params: Record<string, unknown>,
) => Iterable<unknown>;

type Fn1 = (a: unknown) => unknown;

function* map(input: Iterable<unknown>, _p: number, [f]: readonly UserFunction[]): Iterable<unknown> {
  const fn = f as Fn1;
  for (const x of input) yield fn(x);
}

function* flatMap(input: Iterable<unknown>, _p: number, [f]: readonly UserFunction[]): Iterable<unknown> {
  const fn = f as (x: unknown) => Iterable<unknown>;
  for (const x of input) yield* fn(x);
}

function* filter(input: Iterable<unknown>, _p: number, [f]: readonly UserFunction[]): Iterable<unknown> {
  const fn = f as Fn1;
  for (const x of input) if (fn(x)) yield x;
}

function mapPartitions(
  input: Iterable<unknown>,
  _p: number,
  [f]: readonly UserFunction[],
): Iterable<unknown> {
  return (f as (it: Iterator<unknown>) => Iterable<unknown>)(input[Symbol.iterator]());
}

function mapPartitionsWithIndex(
  input: Iterable<unknown>,
  partition: number,
  [f]: readonly UserFunction[],
): Iterable<unknown> {
  return (f as (i: number, it: Iterator<unknown>) => Iterable<unknown>)(partition, input[Symbol.iterator]());
}

function* glom(input: Iterable<unknown>): Iterable<unknown> {
  yield [...input];
}

function* mapValues(input: Iterable<unknown>, _p: number, [f]: readonly UserFunction[]): Iterable<unknown> {
  const fn = f as Fn1;
  for (const [k, v] of input as Iterable<[unknown, unknown]>) yield [k, fn(v)];
}

function* flatMapValues(
  input: Iterable<unknown>,
  _p: number,
  [f]: readonly UserFunction[],
): Iterable<unknown> {
  const fn = f as (v: unknown) => Iterable<unknown>;
  for (const [k, v] of input as Iterable<[unknown, unknown]>) for (const w of fn(v)) yield [k, w];
}

function* keys(input: Iterable<unknown>): Iterable<unknown> {
  for (const [k] of input as Iterable<[unknown, unknown]>) yield k;
}

function* values(input: Iterable<unknown>): Iterable<unknown> {
  for (const [, v] of input as Iterable<[unknown, unknown]>) yield v;
}

function* keyBy(input: Iterable<unknown>, _p: number, [f]: readonly UserFunction[]): Iterable<unknown> {
  const fn = f as Fn1;
  for (const x of input) yield [fn(x), x];
}

function* pairWithNull(input: Iterable<unknown>): Iterable<unknown> {
  for (const x of input) yield [x, null];
}

/** Bernoulli (without replacement) or Poisson (with replacement) sampling, seeded per partition. */
function* sample(
  input: Iterable<unknown>,
  partition: number,
  _f: readonly UserFunction[],
  params: Record<string, unknown>,
): Iterable<unknown> {
  const fraction = params.fraction as number;
  const random = new SeededRandom((params.seed as number) ^ Math.imul(partition + 1, 0x9e3779b1));
  if (params.withReplacement) {
    for (const x of input) {
      const copies = random.nextPoisson(fraction);
      for (let i = 0; i < copies; i++) yield x;
    }
  } else {
    for (const x of input) if (random.nextDouble() < fraction) yield x;
  }
}

function* zipWithIndex(
  input: Iterable<unknown>,
  partition: number,
  _f: readonly UserFunction[],
  params: Record<string, unknown>,
): Iterable<unknown> {
  let index = (params.startIndices as number[])[partition] ?? 0;
  for (const x of input) yield [x, index++];
}

/** Spark's repartition: spreads records round-robin over `numPartitions` from a seeded start per partition. */
function* distributePartition(
  input: Iterable<unknown>,
  partition: number,
  _f: readonly UserFunction[],
  params: Record<string, unknown>,
): Iterable<unknown> {
  const numPartitions = params.numPartitions as number;
  let position = new SeededRandom(partition * 0x2545f491 + 7).nextInt(numPartitions);
  for (const x of input) {
    position = (position + 1) % numPartitions;
    yield [position, x];
  }
}

/** Flattens cogrouped `[k, [vs, ws]]` into join rows; `mode` says which side may be missing. */
function* joinRows(
  input: Iterable<unknown>,
  _p: number,
  _f: readonly UserFunction[],
  params: Record<string, unknown>,
): Iterable<unknown> {
  const mode = params.mode as 'inner' | 'left' | 'right' | 'full';
  const padLeft = mode === 'right' || mode === 'full';
  const padRight = mode === 'left' || mode === 'full';
  for (const [k, [vs, ws]] of input as Iterable<[unknown, [unknown[], unknown[]]]>) {
    if (vs.length === 0) {
      if (padLeft) for (const w of ws) yield [k, [undefined, w]];
    } else if (ws.length === 0) {
      if (padRight) for (const v of vs) yield [k, [v, undefined]];
    } else {
      for (const v of vs) for (const w of ws) yield [k, [v, w]];
    }
  }
}

/** Keeps keys present on both cogrouped sides, once each (intersection). */
function* keysOnBothSides(input: Iterable<unknown>): Iterable<unknown> {
  for (const [k, [vs, ws]] of input as Iterable<[unknown, [unknown[], unknown[]]]>) {
    if (vs.length > 0 && ws.length > 0) yield k;
  }
}

/** Keeps `[k, v]` pairs of the left side whose key has no value on the right (subtractByKey). */
function* leftOnly(input: Iterable<unknown>): Iterable<unknown> {
  for (const [k, [vs, ws]] of input as Iterable<[unknown, [unknown[], unknown[]]]>) {
    if (ws.length === 0) for (const v of vs) yield [k, v];
  }
}

/** Sorts a partition by key, by the natural ordering. */
function sortPartitionByKey(
  input: Iterable<unknown>,
  _p: number,
  _f: readonly UserFunction[],
  params: Record<string, unknown>,
): Iterable<unknown> {
  const sign = params.ascending ? 1 : -1;
  return [...(input as Iterable<[unknown, unknown]>)].sort((a, b) => sign * naturalCompare(a[0], b[0]));
}

/** Every narrow kernel by name. */
export const NARROW_KERNELS: Readonly<Record<string, NarrowKernel>> = {
  map,
  flatMap,
  filter,
  mapPartitions,
  mapPartitionsWithIndex,
  glom,
  mapValues,
  flatMapValues,
  keys,
  values,
  keyBy,
  pairWithNull,
  sample,
  zipWithIndex,
  distributePartition,
  joinRows,
  keysOnBothSides,
  leftOnly,
  sortPartitionByKey,
};
