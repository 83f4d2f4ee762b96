/**
 * How close a HyperLogLog estimate must be to the exact distinct count, shared by every test that compares
 * served or computed views with the DuckDB oracle.
 *
 * At small counts HyperLogLog counts set registers, so its error is the users that land in an already-set
 * register: a few whole users, not a fraction. The generator draws users by Zipf's law, so a clash among popular
 * users repeats in many keys (seen: 37 users, 7 of them sharing 3 registers at p = 12, estimate 33.1 — computed
 * identically by a single fold of the events). Hence absolute floors next to the relative bounds: every cell
 * within max(5σ·n, 6 users) (fails with probability < 1e-7 per cell below 74 users), and at most 1 % of cells
 * more than max(3σ·n, 2 users) off. Exact counts, sums and min/max in the same rows still catch lost state.
 */
import { hyperLogLogStandardError } from '@oxbow/dataflow';
import { expect } from 'vitest';

/** One compared cell: the estimate, the exact count, and where it is (for the failure message). */
export type DistinctCell = readonly [estimate: number, exact: number, where: string];

/** The largest error a single cell may show. */
export function distinctTolerance(exact: number, precision: number): number {
  return Math.max(5 * hyperLogLogStandardError(precision) * exact, 6);
}

/** Checks a set of cells: each within its tolerance, at most 1 % (at least 1) beyond 3σ. */
export function expectDistinctWithin(cells: ReadonlyArray<DistinctCell>, precision: number): void {
  const sigma = hyperLogLogStandardError(precision);
  let outside3Sigma = 0;
  for (const [estimate, exact, where] of cells) {
    const error = Math.abs(estimate - exact);
    if (error > Math.max(3 * sigma * exact, 2)) outside3Sigma++;
    expect(error, `${where}: users ${estimate} vs exact ${exact}`).toBeLessThanOrEqual(
      distinctTolerance(exact, precision),
    );
  }
  expect(outside3Sigma, `distinct-count cells beyond 3σ, of ${cells.length}`).toBeLessThanOrEqual(
    Math.max(1, Math.floor(cells.length / 100)),
  );
}
