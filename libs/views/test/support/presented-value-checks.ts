/**
 * How a presented view value (what the views, the speed layer and the API hand out) is compared with its oracle
 * row: counts, sums, min and max exactly, means to 1e-9, latency quantiles within the sketch's 1 % relative
 * accuracy of the oracle's lower quantile x_⌊q·(n−1)⌋. Distinct-user estimates are handed to the caller, who checks
 * them one by one or as a set (see distinct-tolerance.ts).
 */
import { PAGE_VIEWS_HLL_PRECISION } from '@oxbow/views';
import { expect } from 'vitest';
import type { DistinctCell } from './distinct-tolerance.ts';
import type { OracleRow } from './oracle.ts';

/** The views whose presented values {@link expectPresentedValue} knows. */
export type ComparedViewName = 'page_views_hourly' | 'country_daily' | 'status_minutely' | 'sensor_hourly';

/** Receives a distinct-count cell and the HyperLogLog precision it was estimated with. */
export type DistinctSink = (cell: DistinctCell, precision: number) => void;

/** Latency quantiles within 1 % of the oracle's (plus float slack). */
export function expectQuantilesWithin(
  summary: { readonly p50?: unknown; readonly p95?: unknown; readonly p99?: unknown },
  truth: OracleRow,
  where: string,
): void {
  for (const q of ['p50', 'p95', 'p99'] as const) {
    const exact = truth[q] as number;
    const estimate = summary[q] as number;
    expect(Math.abs(estimate - exact), `${where} ${q}: ${estimate} vs ${exact}`).toBeLessThanOrEqual(
      0.01 * Math.abs(exact) + 1e-9,
    );
  }
}

/** Checks one presented value of `view` against its oracle row. */
export function expectPresentedValue(
  view: ComparedViewName,
  value: Readonly<Record<string, unknown>>,
  truth: OracleRow,
  where: string,
  distinct: DistinctSink,
): void {
  switch (view) {
    case 'page_views_hourly':
      expect({ hits: value.hits, errors: value.errors, bytes: value.bytes }, where).toEqual({
        hits: truth.hits,
        errors: truth.errors,
        bytes: truth.bytes,
      });
      distinct([value.uniqueUsers as number, truth.uniqueUsers as number, where], PAGE_VIEWS_HLL_PRECISION);
      expectQuantilesWithin(value.latencyMs as { p50?: unknown }, truth, where);
      break;
    case 'country_daily':
      expect(value.hits, where).toBe(truth.hits);
      distinct([value.uniqueUsers as number, truth.uniqueUsers as number, where], 14);
      break;
    case 'status_minutely':
      expect(value.hits, where).toBe(truth.hits);
      break;
    case 'sensor_hourly':
      expect({ count: value.count, min: value.min, max: value.max }, where).toEqual({
        count: truth.count,
        min: truth.min,
        max: truth.max,
      });
      expect(value.temperature as number, where).toBeCloseTo(truth.temperature as number, 9);
      break;
  }
}
