import {
  type Aggregator,
  addToHyperLogLog,
  andThenPresent,
  count,
  emptyHyperLogLog,
  estimateCardinality,
  hyperLogLog,
  max,
  mean,
  min,
  quantiles,
  sum,
} from '@oxbow/dataflow';
import { httpLogs } from '@oxbow/example-web-analytics';
import { type AnyEvent, defineProject, defineView } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { estimateFromHistogram, ViewStateOps } from './state-ops.ts';

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
        users: hyperLogLog((e) => e.userId, { precision: 10 }),
        latency: quantiles((e) => e.latencyMs),
      },
    }),
  ],
});
const view = project.view('pages');
const aggregator = view.aggregator as Aggregator<AnyEvent, unknown, Record<string, unknown>>;

function events(n: number, users: number, seed: number): AnyEvent[] {
  let x = seed;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  return Array.from({ length: n }, () => ({
    path: '/',
    ts: 0,
    bytes: Math.floor(next() * 5000),
    userId: `u${Math.floor(next() * users)}`,
    latencyMs: 1 + next() * 300,
    status: 200,
  }));
}

function fold(items: readonly AnyEvent[]): unknown {
  let state = aggregator.zero;
  for (const item of items) state = aggregator.append(state, item);
  return state;
}

describe('state ops', () => {
  it('estimates distinct counts bit-identically to estimateCardinality, sparse or dense', () => {
    for (const precision of [4, 10, 12, 14]) {
      for (const values of [0, 1, 7, 60, 900, 20_000]) {
        let state = emptyHyperLogLog(precision);
        for (let i = 0; i < values; i++) state = addToHyperLogLog(state, `v${i}`);
        const ops = new ViewStateOps(
          defineProject({
            topics: { http_logs: httpLogs },
            views: [
              defineView({
                name: 'd',
                topic: 'http_logs',
                bucket: '1h',
                key: 'path',
                fields: { users: hyperLogLog((e) => e.userId, { precision }) },
              }),
            ],
          }).view('d'),
        );
        const accumulator = ops.accumulator();
        accumulator.addState({ users: state });
        expect(accumulator.present().users).toBe(estimateCardinality(state));
        const bytes = ops.aggregator.codec.serialize({ users: state });
        accumulator.reset();
        accumulator.addBytes(bytes);
        accumulator.addBytes(bytes);
        expect(accumulator.present().users).toBe(estimateCardinality(state));
      }
    }
    const histogram = new Float64Array(64 - 4 + 2);
    histogram[0] = 16;
    expect(estimateFromHistogram(histogram, 16, 60)).toBe(estimateCardinality(emptyHyperLogLog(4)));
  });

  it('merges encoded states into what the aggregator merges, whatever the split', () => {
    const ops = new ViewStateOps(view);
    const all = events(3000, 800, 7);
    const parts = [all.slice(0, 5), all.slice(5, 1200), all.slice(1200, 1201), all.slice(1201)];
    const accumulator = ops.accumulator();
    for (const part of parts) accumulator.addBytes(aggregator.codec.serialize(fold(part)));
    const expected = aggregator.present(fold(all));
    expect(accumulator.present()).toEqual(expected);
    expect(aggregator.present(aggregator.codec.deserialize(accumulator.bytes()))).toEqual(expected);
    // Reset and reuse: nothing of the previous merge stays.
    accumulator.reset();
    accumulator.addBytes(aggregator.codec.serialize(fold(parts[0] ?? [])));
    expect(accumulator.present()).toEqual(aggregator.present(fold(parts[0] ?? [])));
    // Decoded states merge the same.
    accumulator.reset();
    for (const part of parts) accumulator.addState(fold(part) as Record<string, unknown>);
    expect(accumulator.present()).toEqual(expected);
    // Nothing added: the zero's value.
    accumulator.reset();
    expect(accumulator.present()).toEqual({
      hits: 0,
      bytes: 0,
      users: 0,
      latency: { p50: null, p95: null, p99: null },
    });
  });

  it('merges every kind of field as its aggregator does: extremes, means, collapsed and negative quantiles, a wrapped presentation', () => {
    const odd = defineProject({
      topics: { http_logs: httpLogs },
      views: [
        defineView({
          name: 'odd',
          topic: 'http_logs',
          bucket: '1h',
          key: 'path',
          fields: {
            low: min((e) => e.latencyMs),
            high: max((e) => e.bytes),
            average: mean((e) => e.latencyMs),
            spread: quantiles((e) => e.bytes - 2500, { maxBuckets: 16, relativeAccuracy: 0.05 }),
            users: andThenPresent(
              hyperLogLog((e) => e.userId, { precision: 6 }),
              (n) => Math.floor(n) + 0.5,
            ),
          },
        }),
      ],
    }).view('odd');
    const oddAggregator = odd.aggregator as Aggregator<AnyEvent, unknown, Record<string, unknown>>;
    const oddOps = new ViewStateOps(odd);
    const all = events(2000, 300, 3).map((e, i) => ({
      ...e,
      bytes: i % 7 === 0 ? 0 : (e.bytes as number) * (i % 3),
    }));
    const foldOdd = (items: readonly AnyEvent[]) => {
      let state = oddAggregator.zero;
      for (const item of items) state = oddAggregator.append(state, item);
      return state;
    };
    const accumulator = oddOps.accumulator();
    for (const part of [all.slice(0, 10), all.slice(10, 900), all.slice(900)]) {
      accumulator.addBytes(oddAggregator.codec.serialize(foldOdd(part)));
    }
    const expected = oddAggregator.present(foldOdd(all));
    expect(accumulator.present()).toEqual(expected);
    expect(oddAggregator.codec.serialize(accumulator.state())).toEqual(
      oddAggregator.codec.serialize(foldOdd(all)),
    );
    accumulator.reset();
    expect(accumulator.present()).toEqual({
      low: null,
      high: null,
      average: null,
      spread: { p50: null, p95: null, p99: null },
      users: 0.5,
    });
  });

  it('renders values in field order with distinct counts rounded unless raw', () => {
    const ops = new ViewStateOps(view);
    const value = { hits: 3, bytes: 12.5, users: 2.000024, latency: { p50: 1, p95: null, p99: 2 } };
    expect(ops.render(value, false)).toBe(
      '{"hits":3,"bytes":12.5,"users":2,"latency":{"p50":1,"p95":null,"p99":2}}',
    );
    expect(JSON.parse(ops.render(value, true)).users).toBe(2.000024);
    expect(ops.rankable.map((rankable) => rankable.name)).toEqual([
      'hits',
      'bytes',
      'users',
      'latency.p50',
      'latency.p95',
      'latency.p99',
    ]);
    expect(ops.rankOf(value, 4)).toBeNaN();
    expect(ops.rankOf(value, 5)).toBe(2);
    expect(Object.keys(ops.accuracy)).toEqual(['users', 'latency']);
  });
});
