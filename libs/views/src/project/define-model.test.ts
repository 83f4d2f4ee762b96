import { count } from '@oxbow/dataflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ViewsError } from '../errors.ts';
import { defineSchema, type EventOf } from '../schema/define-schema.ts';
import { f } from '../schema/field-types.ts';
import { defineModel, type ModelDeclaration, type ModelSpec } from './define-model.ts';
import { defineProject } from './define-project.ts';
import { defineView } from './define-view.ts';

const rides = defineSchema(
  'rides',
  {
    time: f.timestamp(),
    city: f.string({ maxLength: 64 }),
    fareCents: f.int({ min: 0 }),
    durationS: f.double({ min: 0 }),
  },
  { eventTime: 'time' },
);
type Ride = EventOf<typeof rides>;

const clusters = (overrides: Partial<ModelSpec<Ride>> = {}): ModelDeclaration =>
  defineModel<Ride>({
    name: 'ride_clusters',
    topic: 'rides',
    kind: 'kmeans',
    features: (ride) => [ride.fareCents / 100, ride.durationS / 60],
    params: { k: 3, decayFactor: 0.9 },
    ...overrides,
  } as ModelSpec<Ride>);

const fares = (overrides: Record<string, unknown> = {}): ModelDeclaration =>
  defineModel<Ride>({
    name: 'fare_predictor',
    topic: 'rides',
    kind: 'linear-regression',
    features: (ride) => [ride.durationS / 60],
    label: (ride) => ride.fareCents / 100,
    params: { numIterations: 200, stepSize: 0.5, intercept: true },
    ...overrides,
  } as ModelSpec<Ride>);

const projectWith = (...models: ModelDeclaration[]) => defineProject({ topics: { rides }, models });

function problemOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(ViewsError.is(error, 'OXBOW_INVALID_PROJECT')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('the project was accepted');
}

describe('models of a project', () => {
  it('binds each model to its topic, in declaration order, with its functions and parameters', () => {
    const project = projectWith(clusters(), fares());
    expect(project.models.map((model) => [model.name, model.kind, model.topic])).toEqual([
      ['ride_clusters', 'kmeans', 'rides'],
      ['fare_predictor', 'linear-regression', 'rides'],
    ]);
    const ride = { time: 0, city: 'Utrecht', fareCents: 1250, durationS: 600 };
    const fare = project.model('fare_predictor');
    expect(fare?.features(ride)).toEqual([10]);
    expect(fare?.label?.(ride)).toBe(12.5);
    expect(fare?.schema).toBe(rides);
    expect(project.model('ride_clusters')?.params).toEqual({ k: 3, decayFactor: 0.9 });
    expect(project.model('ride_clusters')?.label).toBeUndefined();
    expect(project.model('nope')).toBeUndefined();
    expect(defineProject({ topics: { rides } }).models).toEqual([]);
  });

  it.each([
    [
      'an unknown topic',
      () => projectWith(clusters({ topic: 'trips' })),
      /model "ride_clusters": unknown topic "trips" \(topics: rides\)/,
    ],
    [
      'two models of one name',
      () => projectWith(clusters(), clusters()),
      /model "ride_clusters": the name is used twice/,
    ],
    [
      'a model named like a view',
      () =>
        defineProject({
          topics: { rides },
          views: [
            defineView({
              name: 'ride_clusters',
              topic: 'rides',
              bucket: '1h',
              key: 'city',
              fields: { n: count() },
            }),
          ],
          models: [clusters()],
        }),
      /model "ride_clusters": the name is used twice/,
    ],
    ['a bad name', () => projectWith(clusters({ name: 'ride-clusters' })), /not a valid name/],
    ['an unknown kind', () => projectWith(clusters({ kind: 'forest' as 'kmeans' })), /unknown kind "forest"/],
    [
      'no features function',
      () => projectWith(clusters({ features: [1, 2] as never })),
      /features must be a function/,
    ],
    ['a regression without label', () => projectWith(fares({ label: undefined })), /needs label/],
    ['a kmeans with a label', () => projectWith(clusters({ label: (() => 1) as never })), /takes no label/],
    ['kmeans without k', () => projectWith(clusters({ params: {} as never })), /params.k .* is required/],
    ['a k of 0', () => projectWith(clusters({ params: { k: 0 } })), /params.k must be an integer ≥ 1, got 0/],
    [
      'a decay factor above 1',
      () => projectWith(clusters({ params: { k: 2, decayFactor: 2 } })),
      /decayFactor must be a number in \(0, 1\]/,
    ],
    [
      'an unknown parameter',
      () => projectWith(fares({ params: { stepsize: 1 } })),
      /unknown parameter "stepsize" of a linear-regression model/,
    ],
    [
      'something else in models',
      () => defineProject({ topics: { rides }, models: [{} as ModelDeclaration] }),
      /not a defineModel/,
    ],
  ])('refuses %s at load', (_case, build, problem) => {
    expect(problemOf(build)).toMatch(problem);
  });

  it('fingerprints what changes the model, not its description', () => {
    const base = projectWith(clusters()).models[0]?.fingerprint;
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(projectWith(clusters({ description: 'other words' })).models[0]?.fingerprint).toBe(base);
    const changed = [
      clusters({ params: { k: 4, decayFactor: 0.9 } }),
      clusters({ features: (ride: Ride) => [ride.fareCents, ride.durationS / 60] }),
      clusters({ filter: (ride: Ride) => ride.city === 'Utrecht' }),
    ].map((declaration) => projectWith(declaration).models[0]?.fingerprint);
    for (const fingerprint of changed) expect(fingerprint).not.toBe(base);
  });

  it('accepts any parameters in range, and fingerprints them whatever their order', () => {
    const kmeansParams = fc.record(
      {
        k: fc.integer({ min: 1, max: 50 }),
        maxIterations: fc.integer({ min: 1, max: 100 }),
        initializationMode: fc.constantFrom('k-means||' as const, 'random' as const),
        initializationSteps: fc.integer({ min: 1, max: 5 }),
        epsilon: fc.double({ min: 0, max: 1, noNaN: true }),
        seed: fc.integer(),
        decayFactor: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
        initialWeight: fc.double({ min: 0, max: 1e6, noNaN: true }),
      },
      { requiredKeys: ['k'] },
    );
    fc.assert(
      fc.property(kmeansParams, (params) => {
        const forward = projectWith(clusters({ params })).models[0];
        const reversed = Object.fromEntries(Object.entries(params).reverse()) as typeof params;
        expect(forward?.params).toEqual(params);
        expect(projectWith(clusters({ params: reversed })).models[0]?.fingerprint).toBe(forward?.fingerprint);
      }),
    );
  });
});
