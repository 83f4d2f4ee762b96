import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
// Imported through the barrel, so the public entry point is exercised too.
import {
  type Aggregator,
  aggregate,
  count,
  fold,
  type GroupAggregator,
  hyperLogLog,
  type InputOf,
  mean,
  product,
  type QuantileSummary,
  quantiles,
  sum,
  topK,
} from './index.ts';
import { describeAggregatorLaws, describeGroupLaws, expectSerializationError } from './test-support/laws.ts';

interface AccessEvent {
  readonly userId: string;
  readonly path: string;
  readonly latencyMs: number | null;
  readonly bytes: number;
}

const accessEvent: fc.Arbitrary<AccessEvent> = fc.record({
  userId: fc.constantFrom('u1', 'u2', 'u3', 'u4'),
  path: fc.constantFrom('/', '/a', '/b'),
  latencyMs: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(null)),
  bytes: fc.integer({ min: 0, max: 10_000 }),
});

const traffic = product({
  hits: count(),
  users: hyperLogLog((e: AccessEvent) => e.userId, { precision: 6 }),
  latency: quantiles((e: AccessEvent) => e.latencyMs),
  paths: topK((e: AccessEvent) => e.path, 2, { capacity: 4 }),
});
describeAggregatorLaws('product of count, hyperLogLog, quantiles and topK', traffic, accessEvent, {
  numRuns: 25,
  decodesToSameLayout: false,
});

const volume = product({
  hits: count(),
  bytes: sum((e: AccessEvent) => e.bytes),
  latency: mean((e: AccessEvent) => e.latencyMs),
});
describeAggregatorLaws('product of count, sum and mean', volume, accessEvent, { numRuns: 25 });
describeGroupLaws('product of count, sum and mean', volume, accessEvent, 25);

describe('product', () => {
  it('folds every field in one pass and presents a record', () => {
    const events: AccessEvent[] = [
      { userId: 'u1', path: '/', latencyMs: 10, bytes: 100 },
      { userId: 'u2', path: '/', latencyMs: 30, bytes: 50 },
      { userId: 'u1', path: '/a', latencyMs: null, bytes: 25 },
    ];
    const result = aggregate(traffic, events);
    expect(result.hits).toBe(3);
    expect(Math.round(result.users)).toBe(2);
    expect(result.latency.p50).toBeCloseTo(10, 0);
    expect(result.paths).toEqual([
      ['/', 2],
      ['/a', 1],
    ]);
    expect(aggregate(volume, events)).toEqual({ hits: 3, bytes: 175, latency: 20 });
  });

  it('has field-wise flags, error bounds and types', () => {
    expect(traffic.approximate).toBe(true);
    expect(traffic.commutative).toBe(true);
    expect(traffic.errorBound).toMatchObject({
      kind: 'fields',
      fields: { hits: { kind: 'exact' }, users: { kind: 'relative-standard-error' } },
    });
    expect(volume.approximate).toBe(false);
    expect('negate' in volume && 'minus' in volume).toBe(true);
    expect('negate' in traffic).toBe(false);
    expectTypeOf(volume).toExtend<GroupAggregator<AccessEvent, unknown, unknown>>();
    expectTypeOf(traffic).toExtend<Aggregator<AccessEvent, unknown, unknown>>();
    expectTypeOf(traffic).not.toHaveProperty('negate');
    expectTypeOf<InputOf<typeof traffic>>().toEqualTypeOf<AccessEvent>();
    expectTypeOf<InputOf<typeof volume>>().toEqualTypeOf<AccessEvent>();
    expectTypeOf(aggregate(traffic, [])).toEqualTypeOf<{
      readonly hits: number;
      readonly users: number;
      readonly latency: QuantileSummary;
      readonly paths: (readonly [item: string, count: number])[];
    }>();
  });

  it('decodes bytes missing a newer field as its zero and ignores fields it no longer has', () => {
    const older = product({ hits: count(), retired: sum((e: AccessEvent) => e.bytes) });
    const newer = product({ hits: count(), bytes: sum((e: AccessEvent) => e.bytes) });
    const stored = older.codec.serialize(fold(older, [{ userId: 'u', path: '/', latencyMs: 1, bytes: 7 }]));
    expect(newer.codec.deserialize(stored)).toEqual({ hits: 1, bytes: 0 });
  });

  it('names the field whose bytes are corrupt', () => {
    const bytes = volume.codec.serialize(volume.zero);
    const corrupt = Uint8Array.from(bytes);
    corrupt[bytes.length - 1] = 0xff;
    expectSerializationError(() => volume.codec.deserialize(corrupt));
    expect(() => volume.codec.deserialize(corrupt)).toThrow(/product field "latency"/);
  });

  it('refuses an empty record', () => {
    expect(() => product({})).toThrow(/at least one/);
    expect(() => product(JSON.parse('{"__proto__": 1}'))).toThrow(/__proto__/);
  });
});
