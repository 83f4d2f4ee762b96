/**
 * Dense vectors as plain arrays of numbers (MessagePack-serialisable records, like every RDD element), and the
 * few driver-side operations the models need. Spark's `Vector`/`Vectors.dense` become `number[]`.
 */
import { requireArgument } from './errors.ts';

/** A dense vector: Spark's `Vectors.dense(…)`. Points, cluster centers and weights are vectors. */
export type Vector = readonly number[];

/**
 * A labelled example for regression: Spark's `LabeledPoint(label, features)`.
 *
 * @example
 * ```ts
 * const example: LabeledPoint = { label: 3.5, features: [1, 2] };
 * ```
 */
export interface LabeledPoint {
  /** The response (the value a regression predicts). */
  readonly label: number;
  /** The features. */
  readonly features: Vector;
}

/** The dot product `a · b` (same length assumed), summed in index order. */
export function dot(a: Vector, b: Vector): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += (a[j] as number) * (b[j] as number);
  return sum;
}

/** The squared Euclidean distance `‖a − b‖²` (same length assumed), summed in index order. */
export function squaredDistance(a: Vector, b: Vector): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    const diff = (a[j] as number) - (b[j] as number);
    sum += diff * diff;
  }
  return sum;
}

/** The Euclidean norm `‖a‖`. */
export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/**
 * The index of the center closest to `point` (squared Euclidean distance; the lowest index wins a tie, as in
 * Spark's `KMeans.findClosest`) and that squared distance.
 */
export function closestCenter(centers: readonly Vector[], point: Vector): [index: number, distance: number] {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centers.length; c++) {
    const distance = squaredDistance(point, centers[c] as Vector);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return [best, bestDistance];
}

/** Checks that `v` is a non-empty array of finite numbers (of `dimension` entries when given). */
export function checkVector(v: unknown, what: string, dimension?: number): asserts v is Vector {
  requireArgument(Array.isArray(v), `${what} must be an array of numbers`);
  requireArgument(v.length > 0, `${what} must have at least one dimension`);
  requireArgument(
    dimension === undefined || v.length === dimension,
    `${what} has ${v.length} dimensions, expected ${dimension}`,
  );
  for (const x of v) {
    requireArgument(typeof x === 'number' && Number.isFinite(x), `${what} has a non-finite coordinate: ${x}`);
  }
}

/**
 * A frozen copy of `v` with −0 stored as 0: JSON has no −0, and no computation of the models tells them apart,
 * so saved models read back exactly.
 */
export function frozenVector(v: Vector): Vector {
  return Object.freeze(Array.from(v, positiveZero));
}

/** `x`, with −0 as 0. */
export function positiveZero(x: number): number {
  return x === 0 ? 0 : x;
}
