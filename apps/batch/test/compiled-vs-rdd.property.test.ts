/**
 * The property the SQL compilation rests on: for random events split over random Parquet files, every compiled
 * view's states (DuckDB scan + columnar fold) equal, byte for byte, the RDD path's states (`aggregateView` over one
 * partition per file: `append` per event, `plus` across files in file order). The views cover every standard
 * aggregator (sketches with collapsing quantile stores, top-K and distinct sets within capacity), fractional and
 * int64 sums, optional fields, boolean and numeric keys, compiled and dictionary-evaluated keys, filters,
 * predicates and extractors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineParquetSchema, type FileSystem, openFileSystem, writeParquet } from '@oxbow/connectors';
import {
  count,
  DataflowContext,
  distinctSet,
  hyperLogLog,
  max,
  mean,
  min,
  quantiles,
  sum,
  topK,
} from '@oxbow/dataflow';
import { type AnyEvent, aggregateView, defineProject, defineSchema, defineView, f } from '@oxbow/views';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunDuckDb, type RunDuckDb } from '../src/compute/duckdb-engine.ts';
import { scanTopic } from '../src/compute/sql-scan.ts';
import { planView, type ViewPlan } from '../src/compute/view-plan.ts';

const T0 = Date.UTC(2026, 10, 24, 12);

const clicks = defineSchema(
  'clicks',
  {
    at: f.timestamp(),
    page: f.string({ maxLength: 16 }),
    n: f.int({ min: -50, max: 50 }),
    weight: f.double({ min: -1e6, max: 1e6 }),
    big: f.int({ min: -(2 ** 52), max: 2 ** 52 }),
    flag: f.boolean(),
    tag: f.string({ maxLength: 8 }).optional(),
    score: f.double({ min: 0, max: 100 }).optional(),
  },
  { eventTime: 'at' },
);

/** Reads its argument whole: the compiler evaluates calls to it per distinct value of the fields passed. */
function bucketOf(n: number): string {
  return n < 0 ? 'negative' : n === 0 ? 'zero' : `p${n % 3}`;
}

const project = defineProject({
  topics: { clicks },
  views: [
    defineView({
      name: 'by_page',
      topic: 'clicks',
      bucket: '1m',
      key: 'page',
      fields: {
        events: count(),
        flagged: count((e) => e.flag),
        positive: count((e) => e.n > 0 && !e.flag),
        tagged: count((e) => e.tag !== undefined),
        nSum: sum((e) => e.n),
        weightSum: sum((e) => e.weight),
        bigSum: sum((e) => e.big),
        scoreMean: mean((e) => e.score),
        weightMin: min((e) => e.weight),
        weightMax: max((e) => e.weight * 2 - 1),
        pages: hyperLogLog((e) => e.tag, { precision: 4 }),
        numbers: hyperLogLog((e) => e.n, { precision: 6 }),
        weights: quantiles((e) => e.weight, { maxBuckets: 16 }),
        scores: quantiles((e) => e.score, { relativeAccuracy: 0.05 }),
        topTags: topK((e) => e.tag, 2),
        ns: distinctSet((e) => e.n),
      },
    }),
    defineView({
      name: 'by_flag',
      topic: 'clicks',
      bucket: 120_000,
      key: 'flag',
      filter: (e) => e.n >= -10 && e.score === undefined,
      fields: { events: count(), pages: distinctSet((e) => e.page), weight: mean((e) => e.weight) },
    }),
    defineView({
      name: 'by_class',
      topic: 'clicks',
      bucket: '5m',
      key: (e) => bucketOf(e.n),
      filter: (e) => bucketOf(e.n) !== 'zero',
      fields: {
        events: count((e) => bucketOf(e.n).startsWith('p')),
        tags: topK((e) => (e.tag === undefined ? undefined : e.tag.toUpperCase()), 3),
        big: sum((e) => Math.abs(e.big)),
        pagesOfTag: hyperLogLog((e) => `${e.page}/${e.tag ?? '-'}`, { precision: 5 }),
      },
    }),
    defineView({
      name: 'overall',
      topic: 'clicks',
      bucket: '1d',
      key: () => 'all',
      fields: { weight: sum((e) => e.weight), meanWeight: mean((e) => e.weight), events: count() },
    }),
    defineView({
      name: 'by_number',
      topic: 'clicks',
      bucket: '1h',
      key: 'n',
      fields: { sum: sum((e) => e.weight), tag: topK((e) => e.tag, 1) },
    }),
  ],
});

const parquetSchema = defineParquetSchema(clicks.lakeColumns);

const eventArbitrary = fc.record({
  at: fc.integer({ min: T0, max: T0 + 15 * 60_000 }),
  page: fc.constantFrom('/', '/a', '/b', 'ünï', ''),
  n: fc.integer({ min: -50, max: 50 }),
  // The schema's parser turns −0 into 0 (DuckDB's Parquet reader would too), so the lake never holds −0.
  weight: fc
    .oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0, 1, -1, 0.1, 1e-9),
    )
    .map((value) => (value === 0 ? 0 : value)),
  big: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((value) => value * 4096),
  flag: fc.boolean(),
  tag: fc.option(fc.constantFrom('x', 'y', 'z', 'long-tag'), { nil: undefined }),
  score: fc.option(
    fc.double({ min: 0, max: 100, noNaN: true }).map((value) => (value === 0 ? 0 : value)),
    { nil: undefined },
  ),
});

let dir: string;
let fs: FileSystem;
let duck: RunDuckDb;
let ctx: DataflowContext;
let plans: ViewPlan[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-property-'));
  fs = openFileSystem(`${pathToFileURL(dir).href}/`);
  duck = await openRunDuckDb({ threads: 2, tempDirectory: join(dir, 'spill') });
  ctx = new DataflowContext({ parallelism: 1 });
  plans = project.views.map((view) => {
    const result = planView(view);
    if (!result.compiled) throw new Error(`${view.name} did not compile: ${result.reason}`);
    return result.plan;
  });
});

afterAll(async () => {
  await ctx?.stop();
  duck?.close();
  await fs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let run = 0;

/** The RDD path's states of every view over `files` (one partition per file, in order), as key@bucket → hex. */
async function rddStates(files: readonly AnyEvent[][]): Promise<Map<string, Map<string, string>>> {
  const events = ctx.fromSource<AnyEvent>({
    name: 'files',
    numPartitions: files.length,
    read: async (partition) => files[partition] ?? [],
  });
  const out = new Map<string, Map<string, string>>();
  for (const view of project.views) {
    const states = await aggregateView(view, events, 2).collect();
    out.set(
      view.name,
      new Map(
        states.map(([[key, bucket], state]) => [
          `${key}@${bucket}`,
          Buffer.from(view.aggregator.codec.serialize(state)).toString('hex'),
        ]),
      ),
    );
  }
  return out;
}

describe('compiled views', () => {
  it('give the RDD path’s states byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventArbitrary, { minLength: 0, maxLength: 60 }), { minLength: 1, maxLength: 4 }),
        async (records) => {
          run++;
          const paths: string[] = [];
          const files: AnyEvent[][] = [];
          for (const [index, rows] of records.entries()) {
            const path = `events/clicks/epoch=${run}/part-${index}-0-${rows.length}.parquet`;
            const lakeRows = rows.map((row) => ({
              ...row,
              kafkaPartition: index,
              kafkaOffset: 0,
              appendTimeMs: row.at,
            }));
            // biome-ignore lint/suspicious/noExplicitAny: rows hold the schema's lake columns.
            await writeParquet(fs, path, parquetSchema, lakeRows as any);
            paths.push(join(dir, path));
            // What the RDD path reads back: the event of each row, by the schema.
            files.push(rows.map((row) => clicks.eventOfRow(row)));
          }
          const compiled = await scanTopic(duck.connection, plans, paths);
          const expected = await rddStates(files);
          expect(compiled.rows).toBe(records.flat().length);
          for (const { view, cells } of compiled.views) {
            const actual = new Map(
              cells.map((cell) => [`${cell.key}@${cell.bucket}`, Buffer.from(cell.state).toString('hex')]),
            );
            expect(actual, view.name).toEqual(expected.get(view.name));
            for (const cell of cells) {
              expect(cell.value, `${view.name} ${cell.key}@${cell.bucket}`).toEqual(
                view.aggregator.present(view.aggregator.codec.deserialize(cell.state)),
              );
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('compile keys, filters and functions as SQL where the source allows, by distinct values otherwise', () => {
    const byPage = plans[0] as ViewPlan;
    const kinds = byPage.fields.map((field) =>
      field.kind === 'count' ? (field.predicate?.kind ?? 'none') : field.value.kind,
    );
    expect(kinds).toEqual([
      'none',
      'flag',
      'flag',
      'flag',
      'number',
      'number',
      'number',
      'number',
      'number',
      'number',
      'tuple',
      'number',
      'number',
      'number',
      'tuple',
      'number',
    ]);
    const byClass = plans[2] as ViewPlan;
    expect(byClass.key.tuple.sql).toEqual(['"n"']);
    expect(byClass.filter?.kind).toBe('tuple');
  });
});
