import {
  type Aggregator,
  aggregate,
  count,
  fromMonoid,
  hyperLogLog,
  max,
  mean,
  min,
  quantiles,
  sum,
  topK,
} from '@oxbow/dataflow';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ViewsError } from '../errors.ts';
import { defineSchema } from '../schema/define-schema.ts';
import { f } from '../schema/field-types.ts';
import { defineLiveView } from './define-live-view.ts';
import { defineProject, type ProjectSpec } from './define-project.ts';
import { type AnyEvent, defineView, type ViewDeclaration, type ViewSpec, viewsOf } from './define-view.ts';

const rides = defineSchema(
  'rides',
  {
    time: f.timestamp(),
    city: f.string({ maxLength: 64 }),
    fareCents: f.int({ min: 0 }),
    durationS: f.double({ min: 0 }),
    promo: f.string().optional(),
    driver: f.string({ minLength: 1, maxLength: 32 }),
    kind: f.enum(['solo', 'pool', 'xl']),
    rating: f.int({ min: 1, max: 5 }).optional(),
    shared: f.boolean(),
  },
  { eventTime: 'time' },
);

const byCity = (overrides: Partial<ViewSpec<AnyEvent, Record<string, unknown>>> = {}) =>
  defineView({
    name: 'rides_by_city_hourly',
    topic: 'ride_events',
    bucket: '1h',
    key: 'city',
    fields: { rides: count(), revenue: sum((e) => e.fareCents) },
    ...overrides,
  });

function project(spec: Partial<ProjectSpec<{ ride_events: typeof rides }>> = {}) {
  return defineProject({ topics: { ride_events: rides }, views: [byCity()], ...spec });
}

/** The message `define` throws, after checking it is an OXBOW_INVALID_PROJECT error. */
function failure(define: () => unknown): string {
  try {
    define();
  } catch (error) {
    expect(ViewsError.is(error, 'OXBOW_INVALID_PROJECT'), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the definition to be refused');
}

const noCodec = { ...count(), codec: undefined } as unknown as Aggregator<unknown, number, number>;
const lossyCodec: Aggregator<unknown, number, number> = {
  ...count(),
  kind: 'lossy',
  codec: { serialize: (state) => new Uint8Array([state]), deserialize: () => 5 },
  get zero() {
    return 0;
  },
};
let serializations = 0;
const changingCodec: Aggregator<unknown, number, number> = {
  ...count(),
  kind: 'changing',
  codec: { serialize: () => new Uint8Array([serializations++]), deserialize: () => 0 },
  get zero() {
    return 0;
  },
};
const throwingCodec: Aggregator<unknown, number, number> = {
  ...count(),
  kind: 'throwing',
  codec: {
    serialize: () => {
      throw new Error('no bytes for you');
    },
    deserialize: () => 0,
  },
  get zero() {
    return 0;
  },
};

describe('defineProject: what it refuses, naming the view and the reason', () => {
  it.each([
    [
      'an unknown topic',
      () => project({ views: [byCity({ topic: 'rides' })] }),
      'project: view "rides_by_city_hourly": unknown topic "rides" (topics: ride_events)',
    ],
    [
      'a key field not in the schema',
      () => project({ views: [byCity({ key: 'town' })] }),
      'project: view "rides_by_city_hourly": key field "town" is not in schema "rides" (fields: time, city, fareCents, durationS, promo, driver, kind, rating, shared)',
    ],
    [
      'two views of one name',
      () => project({ views: [byCity(), byCity({ bucket: '1d' })] }),
      'project: view "rides_by_city_hourly": the name is used twice',
    ],
    [
      'a live view named like a view',
      () =>
        project({
          live: [
            defineLiveView({
              name: 'rides_by_city_hourly',
              topic: 'ride_events',
              build: (s) => s,
              present: () => 0,
            }),
          ],
        }),
      'project: live view "rides_by_city_hourly": the name is used twice',
    ],
    [
      'an aggregator without a codec',
      () => project({ views: [byCity({ fields: { rides: noCodec } })] }),
      'project: view "rides_by_city_hourly": field "rides": its aggregator "count" has no codec, so its states cannot be stored (give it a codec: serialize/deserialize)',
    ],
    [
      'an aggregator whose codec loses its zero',
      () => project({ views: [byCity({ fields: { n: lossyCodec } })] }),
      'project: view "rides_by_city_hourly": field "n": its aggregator "lossy" cannot round-trip its zero state through its codec (bytes changed)',
    ],
    [
      'an aggregator whose codec is not deterministic',
      () => project({ views: [byCity({ fields: { n: changingCodec } })] }),
      'project: view "rides_by_city_hourly": field "n": its aggregator "changing" cannot round-trip its zero state through its codec (bytes changed)',
    ],
    [
      'an aggregator whose codec throws',
      () => project({ views: [byCity({ fields: { n: throwingCodec } })] }),
      'project: view "rides_by_city_hourly": field "n": its aggregator "throwing" cannot round-trip its zero state through its codec (no bytes for you)',
    ],
    [
      'a bucket that does not divide a day',
      () => project({ views: [byCity({ bucket: '7m' })] }),
      'project: view "rides_by_city_hourly": bucket: "7m" (420000 ms) does not divide a day, so buckets would not align with days',
    ],
    [
      'a bucket that is no length',
      () => project({ views: [byCity({ bucket: 'hourly' })] }),
      `project: view "rides_by_city_hourly": bucket: "hourly" is not a bucket length ('1m', '5m', '1h', '1d' or milliseconds)`,
    ],
    [
      'a view name that cannot name a table',
      () => project({ views: [byCity({ name: 'rides-by-city' })] }),
      'project: view "rides-by-city": a view name starts with a letter and has at most 64 letters, digits and _',
    ],
    [
      'a field that is no aggregator',
      () => project({ views: [byCity({ fields: { rides: 5 as never } })] }),
      'project: view "rides_by_city_hourly": field "rides" is not an aggregator (use count(), sum(…), hyperLogLog(…), … from @oxbow/dataflow)',
    ],
    [
      'no fields',
      () => project({ views: [byCity({ fields: {} })] }),
      'project: view "rides_by_city_hourly": fields must name at least one aggregator',
    ],
    [
      'a filter that is no function',
      () => project({ views: [byCity({ filter: 'fareCents > 0' as never })] }),
      'project: view "rides_by_city_hourly": filter must be a function of the event',
    ],
    [
      'a key that is neither a field nor a function',
      () => project({ views: [byCity({ key: 3 as never })] }),
      'project: view "rides_by_city_hourly": key must be a field name or a function of the event',
    ],
    [
      'something in views that defineView did not make',
      () => project({ views: [{ name: 'x' } as never] }),
      'project: views holds something that is not a defineView(…)',
    ],
    [
      'a live view over an unknown topic',
      () =>
        project({
          live: [defineLiveView({ name: 'now', topic: 'rides', build: (s) => s, present: () => 0 })],
        }),
      'project: live view "now": unknown topic "rides" (topics: ride_events)',
    ],
    [
      'a live view with a bad name',
      () =>
        project({
          live: [
            defineLiveView({ name: 'right now', topic: 'ride_events', build: (s) => s, present: () => 0 }),
          ],
        }),
      'project: live view "right now": not a valid name',
    ],
    [
      'something in live that defineLiveView did not make',
      () => project({ live: [{ name: 'now' } as never] }),
      'project: live holds something that is not a defineLiveView(…)',
    ],
    [
      'a generator for an unknown topic',
      () => project({ generators: { rides: () => [] } as never }),
      'project: generator for unknown topic "rides"',
    ],
    [
      'a generator that is no function',
      () => project({ generators: { ride_events: [] as never } }),
      'project: generator for "ride_events" is not a function',
    ],
    [
      'a topic name Kafka refuses',
      () => defineProject({ topics: { 'ride events': rides } }),
      'project: "ride events" is not a Kafka topic name',
    ],
    [
      'a topic bound to something defineSchema did not make',
      () => defineProject({ topics: { ride_events: { name: 'rides' } as never } }),
      'project: topic "ride_events" is not bound to a defineSchema(…)',
    ],
    ['no topics', () => defineProject({ topics: {} }), 'project: no topics'],
    ['no spec', () => defineProject(undefined as never), 'project: defineProject needs { topics, views }'],
  ])('refuses %s', (_what, define, message) => {
    expect(failure(define)).toBe(message);
  });
});

describe('defineProject: the loaded project', () => {
  const live = defineLiveView({
    name: 'rides_now',
    topic: 'ride_events',
    build: (events) => events.map((e): [string, number] => [e.city, 1]).reduceByKey((a, b) => a + b),
    present: (pairs: Array<[string, number]>) => pairs.length,
  });
  const generator = () => [{ time: 0 }];
  const loaded = defineProject({
    description: 'rides',
    topics: { ride_events: rides },
    views: [byCity(), byCity({ name: 'rides_by_kind_daily', key: 'kind', bucket: '1d' })],
    live: [live],
    generators: { ride_events: generator },
  });

  it('finds views, live views, schemas and generators by name', () => {
    expect(loaded.source).toBe('(inline)');
    expect(loaded.description).toBe('rides');
    expect([...loaded.topics.keys()]).toEqual(['ride_events']);
    expect(loaded.schemaOf('ride_events')).toBe(rides);
    expect(loaded.views.map((view) => view.name)).toEqual(['rides_by_city_hourly', 'rides_by_kind_daily']);
    expect(loaded.view('rides_by_kind_daily').bucketMs).toBe(86_400_000);
    expect(loaded.hasView('rides_by_city_hourly')).toBe(true);
    expect(loaded.hasView('rides_now')).toBe(false);
    expect(loaded.liveView('rides_now')).toBe(live);
    expect(loaded.liveView('rides_by_city_hourly')).toBeUndefined();
    expect(loaded.viewsOf('ride_events')).toHaveLength(2);
    expect(loaded.viewsOf('other')).toEqual([]);
    expect(loaded.liveViewsOf('ride_events')).toEqual([live]);
    expect(loaded.generators.get('ride_events')).toBe(generator);
    expect(() => loaded.view('rides')).toThrow(
      'unknown view "rides" (views: rides_by_city_hourly, rides_by_kind_daily)',
    );
    expect(() => loaded.schemaOf('rides')).toThrow('unknown topic "rides" (topics: ride_events)');
    expect(
      ViewsError.is(
        catching(() => loaded.view('x')),
        'OXBOW_UNKNOWN_VIEW',
      ),
    ).toBe(true);
    expect(
      ViewsError.is(
        catching(() => loaded.schemaOf('x')),
        'OXBOW_UNKNOWN_TOPIC',
      ),
    ).toBe(true);
    expect(() => defineProject({ topics: { ride_events: rides } }).view('x')).toThrow('(views: none)');
  });

  it('binds each view to its schema: key, event time, filter, fields and their kinds', () => {
    const view = defineProject({
      topics: { ride_events: rides },
      views: [
        byCity({
          filter: (e) => e.fareCents > 0,
          fields: {
            rides: count(),
            revenue: sum((e) => e.fareCents),
            drivers: hyperLogLog((e) => e.driver, { precision: 10 }),
            duration: quantiles((e) => e.durationS),
            meanFare: mean((e) => e.fareCents),
            cheapest: min((e) => e.fareCents),
            dearest: max((e) => e.fareCents),
            topDrivers: topK((e) => e.driver as string, 3),
          },
          fieldDescriptions: { rides: 'rides started' },
        }),
      ],
    }).view('rides_by_city_hourly');
    expect(view).toMatchObject({
      name: 'rides_by_city_hourly',
      topic: 'ride_events',
      schema: rides,
      bucketMs: 3_600_000,
      keyField: 'city',
      keyMaxLength: 64,
      description: 'rides_by_city_hourly: per city and 3600000 ms bucket of ride_events',
    });
    expect(view.fields.map((field) => [field.name, field.kind, field.description])).toEqual([
      ['rides', 'count', 'rides started'],
      ['revenue', 'sum', 'sum'],
      ['drivers', 'distinct', 'distinct (±3.25 % standard error)'],
      ['duration', 'quantiles', 'quantiles (within 1.00 %)'],
      ['meanFare', 'mean', 'mean'],
      ['cheapest', 'min', 'min'],
      ['dearest', 'max', 'max'],
      ['topDrivers', 'topK', 'topK'],
    ]);
    const event = {
      time: Date.UTC(2026, 10, 24, 13, 5),
      city: 'Utrecht',
      fareCents: 900,
      durationS: 60,
      driver: 'd1',
    };
    expect(view.keyOf(event)).toBe('Utrecht');
    expect(view.timeOf(event)).toBe(Date.UTC(2026, 10, 24, 13, 5));
    expect(view.filter?.(event)).toBe(true);
    expect(view.filter?.({ ...event, fareCents: 0 })).toBe(false);
    expect(aggregate(view.aggregator, [event, event])).toMatchObject({
      rides: 2,
      revenue: 1800,
      cheapest: 900,
    });
    expect(Object.keys(aggregate(view.aggregator, []) as object)).toEqual(
      view.fields.map((field) => field.name),
    );
  });

  it('keys by fields of any kind: enums and strings as they are, numbers and booleans as text, absent as ""', () => {
    const keyed = (key: string) =>
      defineProject({ topics: { ride_events: rides }, views: [byCity({ key })] }).view(
        'rides_by_city_hourly',
      );
    const event = { time: 0, city: 'A', kind: 'pool', fareCents: 1250, rating: 4, shared: false, promo: 'P' };
    expect(keyed('kind').keyOf(event)).toBe('pool');
    expect(keyed('kind').keyMaxLength).toBe(4);
    expect(keyed('fareCents').keyOf(event)).toBe('1250');
    expect(keyed('shared').keyOf(event)).toBe('false');
    expect(keyed('shared').keyMaxLength).toBe(5);
    expect(keyed('rating').keyOf(event)).toBe('4');
    expect(keyed('rating').keyOf({ ...event, rating: undefined })).toBe('');
    expect(keyed('promo').keyOf(event)).toBe('P');
    expect(keyed('promo').keyOf({ time: 0 })).toBe('');
    const byFunction = defineProject({
      topics: { ride_events: rides },
      views: [byCity({ key: (e) => (e.fareCents > 1000 ? 'dear' : 'cheap') })],
    }).view('rides_by_city_hourly');
    expect(byFunction.keyOf(event)).toBe('dear');
    expect(byFunction.keyField).toBeUndefined();
    expect(byFunction.keyMaxLength).toBeUndefined();
    expect(byFunction.description).toBe('rides_by_city_hourly: per key and 3600000 ms bucket of ride_events');
  });

  it('types events in views made with viewsOf(schema), and infers the presented value', () => {
    const typed = viewsOf(rides).defineView({
      name: 'typed',
      topic: 'ride_events',
      bucket: '1d',
      key: (e) => e.city,
      fields: { revenue: sum((e) => e.fareCents), promos: count((e) => e.promo !== undefined) },
    });
    expectTypeOf(typed.__value).toEqualTypeOf<{ revenue: number; promos: number } | undefined>();
    viewsOf(rides).defineView({
      name: 'typo',
      topic: 'ride_events',
      bucket: '1d',
      // @ts-expect-error: `fare` is not a field of the rides schema
      key: (e) => e.fare,
      fields: { n: count() },
    });
    expect(
      defineProject({ topics: { ride_events: rides }, views: [typed] }).view('typed').fields,
    ).toHaveLength(2);
  });
});

describe('fingerprints', () => {
  /** A fresh definition from the same source text each time. */
  const definition = (options: { bucket?: string; precision?: number; accuracy?: number } = {}) =>
    defineView({
      name: 'v',
      topic: 'ride_events',
      bucket: options.bucket ?? '1h',
      key: 'city',
      filter: (e) => e.fareCents > 0,
      fields: {
        rides: count(),
        revenue: sum((e) => e.fareCents),
        drivers: hyperLogLog((e) => e.driver, { precision: options.precision ?? 12 }),
        duration: quantiles((e) => e.durationS, { relativeAccuracy: options.accuracy ?? 0.01 }),
      },
    });
  const fingerprint = (declaration: ViewDeclaration<unknown> = definition(), schema = rides) =>
    defineProject({ topics: { ride_events: schema }, views: [declaration] }).view('v').fingerprint;
  const base = fingerprint();

  const withFields = (changes: Record<string, ReturnType<typeof f.int> | ReturnType<typeof f.string>>) =>
    defineSchema(
      'rides',
      {
        time: f.timestamp(),
        city: f.string({ maxLength: 64 }),
        fareCents: f.int({ min: 0 }),
        durationS: f.double({ min: 0 }),
        promo: f.string().optional(),
        driver: f.string({ minLength: 1, maxLength: 32 }),
        kind: f.enum(['solo', 'pool', 'xl']),
        rating: f.int({ min: 1, max: 5 }).optional(),
        shared: f.boolean(),
        ...changes,
      },
      { eventTime: 'time' },
    );

  it('is 16 hex digits, the same for identical definitions (in other projects, with other descriptions)', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint()).toBe(base);
    expect(fingerprint(defineView({ ...definition().spec, description: 'other words' }))).toBe(base);
    expect(fingerprint(definition(), withFields({}))).toBe(base);
    // Fields the view does not read may change.
    expect(fingerprint(definition(), withFields({ rating: f.int({ min: 0, max: 10 }) }))).toBe(base);
    expect(fingerprint(definition(), withFields({ promo: f.string({ maxLength: 3 }) }))).toBe(base);
  });

  it.each([
    ['the bucket', () => fingerprint(definition({ bucket: '1d' }))],
    ['the key field', () => fingerprint(defineView({ ...definition().spec, key: 'kind' }))],
    ['a key function', () => fingerprint(defineView({ ...definition().spec, key: (e) => e.city }))],
    [
      'the filter source',
      () => fingerprint(defineView({ ...definition().spec, filter: (e) => e.fareCents >= 0 })),
    ],
    [
      'dropping the filter',
      () => {
        const { filter: _filter, ...unfiltered } = definition().spec;
        return fingerprint(defineView(unfiltered));
      },
    ],
    [
      'an extractor source',
      () =>
        fingerprint(
          defineView({
            ...definition().spec,
            fields: { ...definition().spec.fields, revenue: sum((e) => e.fareCents * 2) },
          }),
        ),
    ],
    ['the HyperLogLog precision', () => fingerprint(definition({ precision: 14 }))],
    ['the quantiles accuracy', () => fingerprint(definition({ accuracy: 0.02 }))],
    [
      'a field name',
      () =>
        fingerprint(
          defineView({
            ...definition().spec,
            fields: { ...renamed(definition().spec.fields, 'rides', 'trips') },
          }),
        ),
    ],
    [
      'an aggregator kind',
      () =>
        fingerprint(
          defineView({
            ...definition().spec,
            fields: { ...definition().spec.fields, revenue: max((e) => e.fareCents) },
          }),
        ),
    ],
    [
      'the type of a field an extractor reads',
      () => fingerprint(definition(), withFields({ fareCents: f.int({ min: 0, max: 1e6 }) })),
    ],
    [
      'the type of the key field',
      () => fingerprint(definition(), withFields({ city: f.string({ maxLength: 32 }) })),
    ],
    [
      'the pattern flags of the key field',
      () =>
        fingerprint(definition(), withFields({ city: f.string({ maxLength: 64, pattern: /^[a-z]+$/i }) })),
    ],
    [
      'the topic',
      () =>
        defineProject({
          topics: { other: rides },
          views: [defineView({ ...definition().spec, topic: 'other' })],
        }).view('v').fingerprint,
    ],
  ])('changes with %s', (_what, changed) => {
    expect(changed()).not.toBe(base);
  });

  it('tells patterns with different flags apart', () => {
    const lower = fingerprint(
      definition(),
      withFields({ city: f.string({ maxLength: 64, pattern: /^[a-z]+$/ }) }),
    );
    const any = fingerprint(
      definition(),
      withFields({ city: f.string({ maxLength: 64, pattern: /^[a-z]+$/i }) }),
    );
    expect(lower).not.toBe(any);
  });
});

function catching(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function renamed(fields: Readonly<Record<string, unknown>>, from: string, to: string): Record<string, never> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [name === from ? to : name, value]),
  ) as Record<string, never>;
}

describe("a user's own monoid as a view field", () => {
  it('binds, fingerprints and folds through aggregateView like any aggregator', () => {
    const bytesCodec = {
      serialize: (value: number) => new TextEncoder().encode(String(value)),
      deserialize: (bytes: Uint8Array) => Number(new TextDecoder().decode(bytes)),
    };
    const kinds = fromMonoid(
      { zero: 0, plus: (a: number, b: number) => a | b },
      { prepare: (e: AnyEvent) => (e.shared ? 1 : 2), codec: bytesCodec, kind: 'kindMask' },
    );
    const view = project({
      views: [byCity({ name: 'kinds_by_city', fields: { mask: kinds } })],
    }).view('kinds_by_city');
    expect(view.fields.map((field) => [field.name, field.kind])).toEqual([['mask', 'kindMask']]);
    expect(view.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const state = [{ shared: true }, { shared: false }].reduce(
      (acc, event) => view.aggregator.append(acc, event),
      view.aggregator.zero,
    );
    expect(view.aggregator.present(state)).toEqual({ mask: 3 });
  });
});

describe('fingerprints and how functions were compiled', () => {
  it('ignore white space left by type stripping or printed by a compiler', async () => {
    const { normalizedSource } = await import('./define-view.ts');
    // What Node's type stripping leaves of `(e: AnyEvent) => e.city`, and what a compiler prints.
    const stripped = new Function('return (e         ) =>   e.city')() as () => unknown;
    const printed = new Function('return (e) => e.city')() as () => unknown;
    expect(normalizedSource(stripped)).toBe(normalizedSource(printed));
    expect(normalizedSource(new Function('return (e) => e.country')())).not.toBe(normalizedSource(printed));
    expect(normalizedSource(new Function('return function keyOf (e) { return e . city }')())).toBe(
      'function keyOf(e){return e.city}',
    );
  });
});
