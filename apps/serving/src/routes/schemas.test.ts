import { count, distinctSet, max, mean, quantiles, sum, topK } from '@oxbow/dataflow';
import { defineProject, defineSchema, defineView, f } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { FUNCTION_KEY_MAX_LENGTH, keyLimitsOf, valueSchemaOf } from './schemas.ts';

const rides = defineSchema(
  'rides',
  {
    time: f.timestamp(),
    city: f.string({ minLength: 1, maxLength: 64 }),
    promo: f.string({ maxLength: 16 }).optional(),
    fareCents: f.int({ min: 0, max: 1_000_000 }),
    driverId: f.string({ maxLength: 32 }),
  },
  { eventTime: 'time' },
);

const project = defineProject({
  topics: { ride_events: rides },
  views: [
    defineView({
      name: 'by_city',
      topic: 'ride_events',
      bucket: '1h',
      key: 'city',
      fields: {
        rides: count(),
        revenue: sum((e) => e.fareCents),
        fare: quantiles((e) => e.fareCents),
        meanFare: mean((e) => e.fareCents),
        highest: max((e) => e.fareCents),
        drivers: topK((e) => e.driverId, 3),
        promos: distinctSet((e) => e.promo),
      },
    }),
    defineView({
      name: 'by_promo',
      topic: 'ride_events',
      bucket: '1d',
      key: 'promo',
      fields: { rides: count() },
    }),
    defineView({
      name: 'by_band',
      topic: 'ride_events',
      bucket: '1d',
      key: (e) => (e.fareCents > 5000 ? 'high' : 'low'),
      fields: { rides: count() },
    }),
  ],
});

describe('route schemas of a view', () => {
  it('types the value by the fields’ kinds', () => {
    const schema = valueSchemaOf(project.view('by_city')) as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['rides', 'revenue', 'fare', 'meanFare', 'highest', 'drivers', 'promos']);
    expect(schema.properties.rides).toMatchObject({ type: 'number' });
    expect(schema.properties.revenue).toMatchObject({ type: 'number' });
    expect(schema.properties.fare).toMatchObject({ type: 'object', required: ['p50', 'p95', 'p99'] });
    expect(schema.properties.meanFare).toMatchObject({ type: ['number', 'null'] });
    expect(schema.properties.highest).toMatchObject({ type: ['number', 'null'] });
    expect(schema.properties.drivers).toMatchObject({ type: 'array', items: { type: 'array' } });
    expect(schema.properties.promos).toMatchObject({ type: 'array' });
  });

  it('documents a field of a user aggregator kind as a generic value', () => {
    const view = project.view('by_city');
    const custom = {
      ...view,
      fields: [{ ...view.fields[0], name: 'odd', kind: 'myKind', description: 'mine' }],
    };
    const schema = valueSchemaOf(custom as typeof view) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.properties.odd).toEqual({
      description: expect.stringMatching(/^myKind: mine \(any JSON/),
    });
  });

  it('takes the key limits from the key field, or a generous bound for a function key', () => {
    expect(keyLimitsOf(project.view('by_city'))).toEqual({ minLength: 1, maxLength: 64 });
    expect(keyLimitsOf(project.view('by_promo'))).toEqual({ minLength: 0, maxLength: 16 });
    expect(keyLimitsOf(project.view('by_band'))).toEqual({
      minLength: 0,
      maxLength: FUNCTION_KEY_MAX_LENGTH,
    });
  });
});
