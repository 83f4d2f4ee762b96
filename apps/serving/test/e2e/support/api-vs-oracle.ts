/**
 * Compares what the serving API answers over HTTP with a project's DuckDB oracle, for any project: the views'
 * field kinds drive the comparison (`expectPresentedValue`: counts, sums, min/max exactly, means to 1e-9,
 * quantiles within their sketch's accuracy, distinct counts within their HyperLogLog precision's tolerance).
 *
 * Per view: the keys `/top` lists (ranked by the view's first rankable field, up to 1000) are the oracle's keys;
 * each key's buckets equal the oracle's rows; each key's total (all buckets merged, then presented) equals the
 * oracle's query run over the same records with every event time moved into one instant — so one bucket per key
 * holds all of its records, whatever the view's bucket (this assumes, as every view here, that nothing but the
 * bucket depends on the event time).
 */
import type { Project } from '@oxbow/views';
import { expect } from 'vitest';
import {
  type DistinctCell,
  distinctTolerance,
  expectDistinctWithin,
} from '../../../../../libs/views/test/support/distinct-tolerance.ts';
import {
  type OracleDefinition,
  type OracleRow,
  ViewOracle,
} from '../../../../../libs/views/test/support/oracle.ts';
import { expectPresentedValue } from '../../../../../libs/views/test/support/presented-value-checks.ts';
import type { RecordsByTopic } from './e2e-projects.ts';

/** Where every event time goes for the totals: an instant that starts a bucket of any length dividing a day. */
const ONE_INSTANT = { iso: '2000-01-01T00:00:00.000Z', ms: Date.UTC(2000, 0, 1) };

/** The most keys `/top` lists. */
const TOP_LIMIT = 1000;

type Value = Record<string, unknown>;
interface KeyAnswer {
  readonly buckets: ReadonlyArray<{ bucket: string; value: Value }>;
  readonly total: Value;
}

/** Runs `work` over `items` with at most `width` in flight. */
async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** GETs a URL and returns its JSON; throws with the body on any other status than 200. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200)
    throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** The ground truth of a set of records: per view, rows by key (ordered by bucket) and each key's total. */
export interface Truth {
  readonly views: ReadonlyMap<string, { byKey: Map<string, OracleRow[]>; totals: Map<string, OracleRow> }>;
}

/**
 * Runs the oracle over `records` (by project topic) for `views`: their per-bucket rows, then, after moving every
 * event time to one instant, their per-key totals.
 */
export async function oracleTruth(
  project: Project,
  oracle: OracleDefinition,
  records: RecordsByTopic,
  views: readonly string[],
): Promise<Truth> {
  const db = await ViewOracle.create(oracle);
  try {
    for (const table of Object.keys(oracle.tables)) await db.load(table, records[table] ?? []);
    const byView = new Map<string, { byKey: Map<string, OracleRow[]>; totals: Map<string, OracleRow> }>();
    for (const view of views) {
      const byKey = new Map<string, OracleRow[]>();
      for (const row of await db.rows(view)) {
        const list = byKey.get(row.key) ?? [];
        list.push(row);
        byKey.set(row.key, list);
      }
      byView.set(view, { byKey, totals: new Map() });
    }
    for (const [topic, schema] of project.topics) {
      const columns = oracle.tables[topic];
      const type = columns?.[schema.eventTime];
      if (type === undefined) continue;
      const instant = /CHAR|TEXT|STRING/i.test(type) ? `'${ONE_INSTANT.iso}'` : String(ONE_INSTANT.ms);
      await db.query(
        `CREATE OR REPLACE TABLE "${topic}" AS SELECT * REPLACE (${instant} AS "${schema.eventTime}") FROM "${topic}"`,
      );
    }
    for (const view of views) {
      const totals = byView.get(view)?.totals as Map<string, OracleRow>;
      for (const row of await db.rows(view)) totals.set(row.key, row);
    }
    return { views: byView };
  } finally {
    db.close();
  }
}

/** What one comparison covered. */
export interface Comparison {
  readonly views: number;
  readonly keys: number;
  readonly cells: number;
}

/** The distinct-count cells of one view, by HyperLogLog precision. */
class DistinctCells {
  readonly byPrecision = new Map<number, DistinctCell[]>();

  add(cell: DistinctCell, precision: number): void {
    const cells = this.byPrecision.get(precision) ?? [];
    cells.push(cell);
    this.byPrecision.set(precision, cells);
  }

  check(): void {
    for (const [precision, cells] of this.byPrecision) expectDistinctWithin(cells, precision);
  }
}

/**
 * Asserts that the API at `baseUrl` equals `truth` for every view of `views` (default: all of the project's):
 * the keys, every key's buckets and total. `label` prefixes failure messages.
 */
export async function expectApiEqualsTruth(
  baseUrl: string,
  project: Project,
  truth: Truth,
  label: string,
  views: readonly string[] = project.views.map((view) => view.name),
): Promise<Comparison> {
  const listing = await getJson<{ views: Array<{ name: string; rankBy: string[] }> }>(`${baseUrl}/v1/views`);
  let keys = 0;
  let cells = 0;
  for (const name of views) {
    const view = project.view(name);
    const expected = truth.views.get(name);
    if (expected === undefined) throw new Error(`${label}: no oracle truth for view ${name}`);
    const by = listing.views.find((candidate) => candidate.name === name)?.rankBy[0];
    if (by === undefined)
      throw new Error(`${label}: GET /v1/views does not list ${name} with a rankBy field`);
    expect(expected.byKey.size, `${label}: ${name} has more keys than /top lists`).toBeLessThanOrEqual(
      TOP_LIMIT,
    );
    const top = await getJson<{ keys: Array<{ key: string }> }>(
      `${baseUrl}/v1/views/${name}/top?by=${encodeURIComponent(by)}&limit=${TOP_LIMIT}`,
    );
    expect(top.keys.map((k) => k.key).sort(), `${label}: ${name} keys`).toEqual(
      [...expected.byKey.keys()].sort(),
    );
    const distinct = new DistinctCells();
    await inParallel([...expected.byKey.entries()], 6, async ([key, rows]) => {
      const answer = await getJson<KeyAnswer>(`${baseUrl}/v1/views/${name}?key=${encodeURIComponent(key)}`);
      const where = `${label}: ${name} ${JSON.stringify(key)}`;
      expect(
        answer.buckets.map((b) => Date.parse(b.bucket)),
        `${where} buckets`,
      ).toEqual(rows.map((row) => row.bucketStartMs));
      answer.buckets.forEach((bucket, index) => {
        expectPresentedValue(
          view,
          bucket.value,
          rows[index] as OracleRow,
          `${where} @ ${bucket.bucket}`,
          (cell, precision) => distinct.add(cell, precision),
        );
      });
      expectPresentedValue(
        view,
        answer.total,
        expected.totals.get(key) as OracleRow,
        `${where} total`,
        (cell, precision) => distinct.add(cell, precision),
      );
      cells += rows.length;
    });
    distinct.check();
    keys += expected.byKey.size;
  }
  return { views: views.length, keys, cells };
}

/**
 * Checks one key's total of `view` against `truth` on its own (distinct counts within the single-cell
 * tolerance); for probes taken while the deployment changes.
 */
export function expectTotalEqualsTruth(
  view: Parameters<typeof expectPresentedValue>[0],
  total: Value,
  truth: Truth,
  key: string,
  where: string,
): void {
  const row = truth.views.get(view.name)?.totals.get(key);
  if (row === undefined) throw new Error(`${where}: no oracle total for ${view.name} ${key}`);
  expectPresentedValue(view, total, row, where, ([estimate, exact, at], precision) => {
    expect(Math.abs(estimate - exact), `${at}: ${estimate} vs exact ${exact}`).toBeLessThanOrEqual(
      distinctTolerance(exact, precision),
    );
  });
}
