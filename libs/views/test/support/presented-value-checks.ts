/**
 * How a presented view value (what the views, the speed layer and the API hand out) is compared with its oracle
 * row, driven by the kinds of the view's fields: counts, sums, min and max exactly; means to 1e-9; quantiles
 * within the aggregator's `relativeAccuracy` of the oracle's lower quantile x_⌊q·(n−1)⌋ (columns
 * `<field>_p50/_p95/_p99`, or `p50/p95/p99` for a view's only quantiles field); distinct counts handed to the
 * caller with the aggregator's HyperLogLog precision, to be checked one by one or as a set (distinct-tolerance.ts).
 * An absent value (`undefined`, or left out of JSON) equals the oracle's `NULL`.
 */
import { expect } from 'vitest';
import type { ViewDefinition } from '../../src/index.ts';
import { type DistinctCell, expectDistinctWithin } from './distinct-tolerance.ts';
import type { OracleRow } from './oracle.ts';

/** Receives a distinct-count cell and the HyperLogLog precision it was estimated with. */
export type DistinctSink = (cell: DistinctCell, precision: number) => void;

/** The part of a view the checks read: its name and its fields' kinds and aggregators. */
export type ComparedView = Pick<ViewDefinition<never>, 'name' | 'fields'>;

/** The quantiles a quantiles field presents. */
export const PRESENTED_QUANTILES = ['p50', 'p95', 'p99'] as const;

/** HyperLogLog precision when an aggregator does not state one (the `hyperLogLog` default). */
export const DEFAULT_DISTINCT_PRECISION = 14;
/** Quantile sketch accuracy when an aggregator does not state one (the `quantiles` default). */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

const present = (value: unknown) => (value === null ? undefined : value);

function numberParameter(field: ComparedView['fields'][number], name: string, fallback: number): number {
  const value = field.aggregator.parameters?.[name];
  return typeof value === 'number' ? value : fallback;
}

/** The oracle column of quantile `q` of `field`: `<field>_<q>` when the row has it, else `<q>`. */
function quantileColumn(truth: OracleRow, field: string, q: string): string {
  return `${field}_${q}` in truth ? `${field}_${q}` : q;
}

/**
 * Checks quantiles `{ p50, p95, p99 }` against the oracle's lower quantiles: each within `relativeAccuracy` of
 * the exact value (plus float slack). `field` names the `<field>_p50` columns; without it, `p50` … are read.
 */
export function expectQuantilesWithin(
  summary: Readonly<Record<string, unknown>> | undefined,
  truth: OracleRow,
  where: string,
  relativeAccuracy = DEFAULT_RELATIVE_ACCURACY,
  field?: string,
): void {
  for (const q of PRESENTED_QUANTILES) {
    const column = field === undefined ? q : quantileColumn(truth, field, q);
    if (!(column in truth)) throw new Error(`${where}: the oracle row has no column ${column}`);
    const exact = present(truth[column]);
    const estimate = present(summary?.[q]);
    if (exact === undefined || estimate === undefined) {
      expect(estimate, `${where} ${column}: no values on one side`).toBe(exact);
      continue;
    }
    expect(
      Math.abs((estimate as number) - (exact as number)),
      `${where} ${column}: ${estimate} vs ${exact}`,
    ).toBeLessThanOrEqual(relativeAccuracy * Math.abs(exact as number) + 1e-9);
  }
}

/**
 * Checks one presented value of `view` against its oracle row, field by field by kind (see the module comment).
 * Distinct counts go to `distinct`; a field of another kind (top-K, a user's own aggregator) throws, since the
 * oracle has no rule for it.
 *
 * @example
 * ```ts
 * expectPresentedValue(project.view('page_views_hourly'), row.value, truth, 'a cell', (cell, p) => cells.push(cell));
 * ```
 */
export function expectPresentedValue(
  view: ComparedView,
  value: Readonly<Record<string, unknown>>,
  truth: OracleRow,
  where: string,
  distinct: DistinctSink,
): void {
  for (const field of view.fields) {
    const at = `${where} ${field.name}`;
    const needsColumn = () => {
      if (!(field.name in truth)) throw new Error(`${at}: the oracle row has no column ${field.name}`);
      return present(truth[field.name]);
    };
    switch (field.kind) {
      case 'count':
      case 'sum':
      case 'min':
      case 'max':
        expect(present(value[field.name]), at).toBe(needsColumn());
        break;
      case 'mean': {
        const exact = needsColumn();
        const estimate = present(value[field.name]);
        if (exact === undefined || estimate === undefined) expect(estimate, at).toBe(exact);
        else {
          expect(
            Math.abs((estimate as number) - (exact as number)),
            `${at}: ${estimate} vs ${exact}`,
          ).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(exact as number)));
        }
        break;
      }
      case 'quantiles':
        expectQuantilesWithin(
          value[field.name] as Readonly<Record<string, unknown>> | undefined,
          truth,
          at,
          numberParameter(field, 'relativeAccuracy', DEFAULT_RELATIVE_ACCURACY),
          field.name,
        );
        break;
      case 'distinct':
        distinct(
          [value[field.name] as number, needsColumn() as number, at],
          numberParameter(field, 'precision', DEFAULT_DISTINCT_PRECISION),
        );
        break;
      default:
        throw new Error(`${at}: no oracle comparison for a ${field.kind} field`);
    }
  }
}

/** One presented row: a key, a bucket and a value. */
export interface PresentedRow {
  readonly key: string;
  readonly bucketStartMs: number;
  readonly value: unknown;
}

/** `key @ ISO bucket start`, for failure messages. */
export function cellName(row: { readonly key: string; readonly bucketStartMs: number }): string {
  return `${row.key} @ ${new Date(row.bucketStartMs).toISOString()}`;
}

/**
 * Checks a whole view: the same (key, bucket) cells in the same order as the oracle's, each value as
 * {@link expectPresentedValue}, and the distinct counts of each precision together (`expectDistinctWithin`).
 * Returns the number of cells compared.
 *
 * @example
 * ```ts
 * const rows = presentViewRows(view, await aggregateView(view, events).collect());
 * expectRowsMatchOracle(view, rows, await oracle.rows(view.name));
 * ```
 */
export function expectRowsMatchOracle(
  view: ComparedView,
  rows: readonly PresentedRow[],
  truth: readonly OracleRow[],
  label: string = view.name,
): number {
  expect(rows.map(cellName), `${label}: cells`).toEqual(truth.map(cellName));
  const distinct = new Map<number, DistinctCell[]>();
  rows.forEach((row, index) => {
    expectPresentedValue(
      view,
      row.value as Readonly<Record<string, unknown>>,
      truth[index] as OracleRow,
      `${label} ${cellName(row)}`,
      (cell, precision) => {
        const cells = distinct.get(precision) ?? [];
        cells.push(cell);
        distinct.set(precision, cells);
      },
    );
  });
  for (const [precision, cells] of distinct) expectDistinctWithin(cells, precision);
  return rows.length;
}
