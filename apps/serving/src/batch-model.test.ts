import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { type Aggregator, count, hyperLogLog, quantiles, sum } from '@oxbow/dataflow';
import { httpLogs } from '@oxbow/example-web-analytics';
import { type AnyEvent, defineProject, defineView } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchViewModel, compareRanked, loadBatchModel } from './batch-model.ts';
import { AllTimeRanking, RangeRanking, RankingOverlay } from './rankings.ts';
import { RealtimeView } from './realtime-mirror.ts';
import { ViewStateOps } from './state-ops.ts';

const project = defineProject({
  topics: { http_logs: httpLogs },
  views: [
    defineView({
      name: 'pages',
      topic: 'http_logs',
      bucket: '1h',
      key: 'path',
      fields: {
        hits: count(),
        bytes: sum((e) => e.bytes),
        users: hyperLogLog((e) => e.userId, { precision: 8 }),
        latency: quantiles((e) => e.latencyMs),
      },
    }),
  ],
});
const view = project.view('pages');
const aggregator = view.aggregator as Aggregator<AnyEvent, unknown, Record<string, unknown>>;
const HOUR = 3_600_000;

/** Seeded cells: key → bucket → events. */
function generate(seed: number, keys: number, buckets: number) {
  let x = seed;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const cells = new Map<string, Map<number, AnyEvent[]>>();
  for (let i = 0; i < keys * buckets * 3; i++) {
    const key = `/k${Math.floor(next() ** 2 * keys)}`;
    const bucket = Math.floor(next() * buckets) * HOUR;
    const event = {
      path: key,
      ts: bucket,
      bytes: Math.floor(next() * 100),
      userId: `u${Math.floor(next() * 50)}`,
      latencyMs: 1 + Math.floor(next() * 100),
      status: 200,
    };
    const byBucket = cells.get(key) ?? new Map<number, AnyEvent[]>();
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), event]);
    cells.set(key, byBucket);
  }
  return cells;
}

function fold(items: readonly AnyEvent[]): unknown {
  let state = aggregator.zero;
  for (const item of items) state = aggregator.append(state, item);
  return state;
}

const ops = new ViewStateOps(view);
const render = (items: readonly AnyEvent[], raw = false) =>
  ops.render(nullify(aggregator.present(fold(items))), raw);
function nullify(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v === undefined ? null : v)));
}
const text = (bytes: Uint8Array | string) =>
  typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);

describe('batch model and rankings', () => {
  const cells = generate(11, 40, 6);
  let dir: string;
  let model: BatchViewModel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oxbow-model-'));
    const instance = await DuckDBInstance.create(join(dir, 'views.duckdb'));
    const connection = await instance.connect();
    await connection.run('CREATE TABLE pages (key VARCHAR, bucket BIGINT, state BLOB)');
    const appender = await connection.createAppender('pages');
    // Rows out of key order: the model sorts them.
    const rows = [...cells].flatMap(([key, byBucket]) =>
      [...byBucket].map(([bucket, items]) => ({ key, bucket, items })),
    );
    rows.sort((a, b) => (a.bucket - b.bucket) * 7 + (a.key < b.key ? 1 : -1));
    for (const { key, bucket, items } of rows) {
      appender.appendVarchar(key);
      appender.appendBigInt(BigInt(bucket));
      appender.appendBlob(aggregator.codec.serialize(fold(items)));
      appender.endRow();
    }
    appender.closeSync();
    model = await loadBatchModel(connection, view);
    connection.closeSync();
    instance.closeSync();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds every cell, sorted by bucket per key, with its value and the key totals', () => {
    expect(model.keyCount).toBe(cells.size);
    expect(model.keyIndex('/nope')).toBe(-1);
    for (const [key, byBucket] of cells) {
      const index = model.keyIndex(key);
      const buckets = [...byBucket.keys()].sort((a, b) => a - b);
      const seen: number[] = [];
      for (let cell = model.cellStart(index); cell < model.cellEnd(index); cell++) {
        seen.push(model.bucket(cell));
        expect(text(model.cellJson(cell))).toBe(render(byBucket.get(model.bucket(cell)) ?? []));
      }
      expect(seen).toEqual(buckets);
      expect(text(model.totalJson(index))).toBe(render([...byBucket.values()].flat()));
      expect(model.cellAtOrAfter(index, (buckets[1] ?? 0) - 1)).toBe(model.cellStart(index) + 1);
    }
    expect(model.stats.cells).toBe([...cells.values()].reduce((n, byBucket) => n + byBucket.size, 0));
  });

  it('ranks all keys by every field, and a range on demand, as a sort of the totals would', async () => {
    const totals = [...cells].map(([key, byBucket]) => ({
      key,
      value: aggregator.present(fold([...byBucket.values()].flat())),
    }));
    const ranking = new AllTimeRanking(model);
    const overlay = new RankingOverlay(ops, ranking, ranking.bounds, undefined);
    await overlay.update(undefined);
    for (const [rankable, field] of [
      [0, 'hits'],
      [2, 'users'],
    ] as const) {
      const expected = totals
        .map(({ key, value }) => ({ key, rank: value[field] as number }))
        .sort((a, b) => compareRanked(a.rank, a.key, b.rank, b.key))
        .slice(0, 7)
        .map(({ key }) => key);
      expect(overlay.top(rankable, 7, false).map((row) => row.key)).toEqual(expected);
    }
    const bounds = { fromMs: 2 * HOUR, toMs: 4 * HOUR };
    const range = await RangeRanking.build(model, bounds);
    const inRange = [...cells]
      .map(([key, byBucket]) => ({
        key,
        items: [...byBucket]
          .filter(([bucket]) => bucket >= 2 * HOUR && bucket < 4 * HOUR)
          .flatMap(([, items]) => items),
      }))
      .filter(({ items }) => items.length > 0);
    expect(range.size).toBe(inRange.length);
    const rangeOverlay = new RankingOverlay(ops, range, bounds, undefined);
    await rangeOverlay.update(undefined);
    const rows = rangeOverlay.top(1, 1000, false);
    expect(rows.map((row) => row.key)).toEqual(
      inRange
        .map(({ key, items }) => ({ key, rank: aggregator.present(fold(items)).bytes as number }))
        .sort((a, b) => compareRanked(a.rank, a.key, b.rank, b.key))
        .map(({ key }) => key),
    );
    const first = inRange.find(({ key }) => key === rows[0]?.key);
    expect(text(rows[0]?.json ?? '')).toBe(render(first?.items ?? []));
  });

  it('merges the keys realtime touched into the ranking, following the change log', async () => {
    const ranking = new AllTimeRanking(model);
    const overlay = new RankingOverlay(ops, ranking, ranking.bounds, 10);
    const realtime = new RealtimeView('pages');
    const extra = new Map<string, AnyEvent[]>();
    const add = (key: string, epoch: number, n: number, sequence: number) => {
      const items = Array.from({ length: n }, (_, i) => ({
        path: key,
        ts: HOUR,
        bytes: 1,
        userId: `rt${i}`,
        latencyMs: 5,
        status: 200,
      }));
      realtime.set(
        key,
        epoch,
        0,
        { buckets: [HOUR], states: [aggregator.codec.serialize(fold(items))] },
        sequence,
      );
      if (epoch > 10) extra.set(key, items);
    };
    const expectTop = async () => {
      await overlay.update(realtime);
      const expected = [...new Set([...cells.keys(), ...extra.keys()])]
        .map((key) => {
          const items = [...(cells.get(key)?.values() ?? [])].flat().concat(extra.get(key) ?? []);
          return { key, rank: aggregator.present(fold(items)).hits as number, json: render(items) };
        })
        .sort((a, b) => compareRanked(a.rank, a.key, b.rank, b.key))
        .slice(0, 12);
      const rows = overlay.top(0, 12, false);
      expect(rows.map((row) => row.key)).toEqual(expected.map((row) => row.key));
      expect(rows.map((row) => text(row.json))).toEqual(expected.map((row) => row.json));
    };
    // A key deep in the order jumps to the top; a new key appears; increments of epoch ≤ 10 do not count.
    const last = model.keyAt(model.order(0)[model.keyCount - 1] as number);
    add(last, 11, 500, 1);
    add('/new', 12, 300, 2);
    add('/k0', 9, 10_000, 3);
    await expectTop();
    add('/new', 12, 2, 4);
    await expectTop();
  });
});
