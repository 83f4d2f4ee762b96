/** The rides project as every layer loads it, and its schema exactly as the issue writes it. */
import { type EventOf, KAFKA_METADATA_COLUMNS, loadProject } from '@oxbow/views';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RIDES_PROJECT } from '../index.ts';
import { rides } from '../src/schema.ts';

describe('the rides project', () => {
  it('loads from oxbow.project.ts: one topic, three views, one live view, no generator', async () => {
    const project = await loadProject(RIDES_PROJECT);
    expect([...project.topics]).toEqual([['ride_events', rides]]);
    expect(
      project.views.map((view) => [view.name, view.bucketMs, view.keyField, view.filter !== undefined]),
    ).toEqual([
      ['rides_by_city_hourly', 3_600_000, 'city', false],
      ['fares_by_city_daily', 86_400_000, 'city', true],
      ['promos_daily', 86_400_000, 'promo', true],
    ]);
    expect(project.liveViews.map((view) => view.name)).toEqual(['city_surge']);
    expect(project.generators.size).toBe(0);
    expect(project.view('promos_daily').fields.map((field) => field.kind)).toEqual([
      'count',
      'sum',
      'distinct',
    ]);
    expect(project.view('fares_by_city_daily').fields[2]?.aggregator.parameters).toMatchObject({
      relativeAccuracy: 0.02,
    });
  });

  it('has the issue’s schema: time, city, fareCents, durationS and an optional promo', () => {
    expect(rides.fields.map(({ name, spec }) => [name, spec.kind, spec.optional])).toEqual([
      ['time', 'timestamp', false],
      ['city', 'string', false],
      ['fareCents', 'int', false],
      ['durationS', 'double', false],
      ['promo', 'string', true],
    ]);
    expect(rides.eventTime).toBe('time');
    expect(rides.lakeColumns).toEqual([
      { name: 'time', type: 'int64' },
      { name: 'city', type: 'string' },
      { name: 'fareCents', type: 'int64' },
      { name: 'durationS', type: 'double' },
      { name: 'promo', type: 'string', optional: true },
      ...KAFKA_METADATA_COLUMNS,
    ]);
    expectTypeOf<EventOf<typeof rides>>().toEqualTypeOf<{
      readonly time: number;
      readonly city: string;
      readonly fareCents: number;
      readonly durationS: number;
      readonly promo?: string;
    }>();
    const now = Date.UTC(2026, 10, 24, 12);
    expect(
      rides.parse(
        '{"time":"2026-11-24T08:00:00+01:00","city":"Utrecht","fareCents":1250,"durationS":612.5}',
        { now },
      ),
    ).toEqual({
      ok: true,
      event: { time: Date.UTC(2026, 10, 24, 7), city: 'Utrecht', fareCents: 1250, durationS: 612.5 },
    });
    expect(
      rides.parse('{"time":"2026-11-24T08:00:00Z","city":"Utrecht","fareCents":-1,"durationS":"10"}', {
        now,
      }),
    ).toEqual({
      ok: false,
      reasons: [
        'fareCents: expected an integer from 0 to 9007199254740991, got -1',
        'durationS: expected a number from 0 to 1000000000000000, got "10"',
      ],
    });
  });
});
