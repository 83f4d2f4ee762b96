import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors/contract-error.ts';
import { type BatchManifest, decodeManifest, encodeManifest } from './batch-manifest.ts';

const manifest: BatchManifest = {
  format: 'oxbow-batch-manifest',
  version: 1,
  runId: '20261124T130000000Z-0a1b2c3d',
  epochMs: 3_600_000,
  watermarkEpoch: 489012,
  endOffsets: { http_logs: { '0': '1200', '1': '1187', '2': '1213' }, sensor_readings: {} },
  views: [
    {
      name: 'page_views_hourly',
      rows: 1234,
      parquet: 'views/v=20261124T130000000Z-0a1b2c3d/page_views_hourly.parquet',
      rowsIn: 5000,
      engine: 'duckdb',
      computeMs: 41,
    },
    {
      name: 'status_minutely',
      rows: 0,
      parquet: 'views/v=20261124T130000000Z-0a1b2c3d/status_minutely.parquet',
    },
  ],
  duckdb: 'views/v=20261124T130000000Z-0a1b2c3d/views.duckdb',
  startedAt: '2026-11-24T13:00:00.000Z',
  finishedAt: '2026-11-24T13:00:04.000Z',
  durationsMs: { read: 12, compute: 3500, write: 488 },
};

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/);
const runId = fc.stringMatching(/^[0-9A-Za-z_-][0-9A-Za-z._-]{0,30}$/);
const lakePath = fc
  .array(fc.stringMatching(/^[a-z0-9=_-][a-z0-9=._-]{0,10}$/), { minLength: 1, maxLength: 4 })
  .filter((segments) => segments.every((segment) => segment !== '.' && segment !== '..'))
  .map((segments) => segments.join('/'));
const offsets = fc.dictionary(
  fc.nat({ max: 64 }).map(String),
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
);
const views = fc.array(
  fc.record(
    {
      name,
      rows: fc.nat(),
      parquet: lakePath,
      rowsIn: fc.nat(),
      engine: fc.constantFrom('rdd', 'duckdb'),
      computeMs: fc.nat(),
    },
    { requiredKeys: ['name', 'rows', 'parquet'] },
  ),
  { maxLength: 5 },
);
const models = fc.array(
  fc.record({
    name,
    kind: fc.constantFrom('kmeans', 'linear-regression'),
    topic: name,
    path: lakePath,
    examples: fc.nat(),
    fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
  }),
  { maxLength: 3 },
);
const manifests: fc.Arbitrary<BatchManifest> = fc.record(
  {
    format: fc.constant('oxbow-batch-manifest' as const),
    version: fc.constant(1 as const),
    runId,
    epochMs: fc.integer({ min: 1, max: 2 ** 40 }),
    watermarkEpoch: fc.nat(),
    endOffsets: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/), offsets),
    views,
    duckdb: lakePath,
    startedAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    finishedAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    durationsMs: fc.record({ read: fc.nat(), compute: fc.nat(), write: fc.nat() }),
    models,
  },
  {
    requiredKeys: [
      'format',
      'version',
      'runId',
      'epochMs',
      'watermarkEpoch',
      'endOffsets',
      'views',
      'duckdb',
      'startedAt',
      'finishedAt',
      'durationsMs',
    ],
  },
);

const text = (value: unknown) => JSON.stringify(value);
const without = (key: keyof BatchManifest) => {
  const { [key]: _dropped, ...rest } = manifest;
  return text(rest);
};

describe('batch manifest', () => {
  it('is pretty JSON with a trailing newline, as the batch app always wrote it', () => {
    const bytes = new TextDecoder().decode(encodeManifest(manifest));
    expect(bytes).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
    expect(bytes.startsWith('{\n  "format": "oxbow-batch-manifest",\n  "version": 1,\n')).toBe(true);
  });

  it('decodes what it encodes, whatever the content', () => {
    fc.assert(
      fc.property(manifests, (value) => {
        const decoded = decodeManifest(encodeManifest(value), 'm');
        expect(decoded).toEqual(value);
        expect(encodeManifest(decoded)).toEqual(encodeManifest(value));
      }),
    );
  });

  it('reads a manifest as JSON text or bytes; offsets written as numbers become strings; unknown fields are dropped', () => {
    const decoded = decodeManifest(
      text({ ...manifest, endOffsets: { http_logs: { '0': 1200 } }, note: 'extra' }),
      'views/_manifest.json',
    );
    expect(decoded.endOffsets).toEqual({ http_logs: { '0': '1200' } });
    expect(decoded).not.toHaveProperty('note');
  });

  it('reads manifests written before models (no models field) and the models of newer ones', () => {
    const old = decodeManifest(text(manifest), 'm.json');
    expect(old).not.toHaveProperty('models');
    expect(old).toEqual(manifest);
    const model = {
      name: 'sensor_clusters',
      kind: 'kmeans',
      topic: 'sensor_readings',
      path: 'views/v=20261124T130000000Z-0a1b2c3d/models/sensor_clusters.json',
      examples: 4000,
      fingerprint: '0123456789abcdef',
    };
    expect(decodeManifest(text({ ...manifest, models: [model] }), 'm.json').models).toEqual([model]);
  });

  it('rejects a torn read as retriable, naming the path', () => {
    const torn = new TextEncoder().encode('{"format":"oxbow-batch-manif');
    try {
      decodeManifest(torn, 'views/_manifest.json');
      expect.unreachable();
    } catch (error) {
      expect(ContractError.is(error, 'OXBOW_MANIFEST_INVALID')).toBe(true);
      expect(error).toMatchObject({ retriable: true });
      expect((error as Error).message).toMatch(/^batch manifest views\/_manifest.json: not JSON/);
    }
  });

  it('rejects manifests that break the contract, not retriable, naming the first problem', () => {
    const cases: Array<[input: string, problem: RegExp]> = [
      ['null', /the manifest is not an object/],
      [text({ ...manifest, format: 'other' }), /format "other"/],
      [text({ ...manifest, version: 2 }), /unsupported version 2/],
      [without('runId'), /runId/],
      [text({ ...manifest, runId: '../x' }), /runId "..\/x" is malformed/],
      [text({ ...manifest, epochMs: 0 }), /epochMs is not an integer ≥ 1/],
      [text({ ...manifest, watermarkEpoch: 1.5 }), /watermarkEpoch/],
      [text({ ...manifest, watermarkEpoch: '7' }), /watermarkEpoch/],
      [without('endOffsets'), /endOffsets is not an object/],
      [text({ ...manifest, endOffsets: { t: { '0': '-1' } } }), /endOffsets.t.0 is not an offset/],
      [text({ ...manifest, endOffsets: { t: [] } }), /endOffsets.t is not an object/],
      [text({ ...manifest, views: {} }), /views is not an array/],
      [text({ ...manifest, views: [{ rows: 1, parquet: 'a' }] }), /views\[0\].name/],
      [text({ ...manifest, views: [{ name: 'v', rows: -1, parquet: 'a' }] }), /views\[0\].rows/],
      [text({ ...manifest, views: [{ name: 'v', rows: 1, parquet: '/etc/x' }] }), /views\[0\].parquet/],
      [text({ ...manifest, views: [{ name: 'v', rows: 1, parquet: 'a', engine: 3 }] }), /views\[0\].engine/],
      [text({ ...manifest, duckdb: '../etc/x' }), /duckdb "..\/etc\/x" is not a path inside the lake/],
      [without('duckdb'), /duckdb/],
      [without('finishedAt'), /finishedAt/],
      [without('durationsMs'), /durationsMs is not an object/],
      [text({ ...manifest, durationsMs: { read: 1, compute: -1, write: 1 } }), /durationsMs.compute/],
      [text({ ...manifest, models: {} }), /models is not an array/],
      [
        text({
          ...manifest,
          models: [
            { name: 'm', kind: 'kmeans', topic: 't', path: '../m.json', examples: 1, fingerprint: 'f' },
          ],
        }),
        /models\[0\].path/,
      ],
      [
        text({
          ...manifest,
          models: [{ name: 'm', kind: 'kmeans', topic: 't', path: 'm.json', examples: -1, fingerprint: 'f' }],
        }),
        /models\[0\].examples/,
      ],
      [
        text({
          ...manifest,
          models: [{ kind: 'kmeans', topic: 't', path: 'm.json', examples: 1, fingerprint: 'f' }],
        }),
        /models\[0\].name/,
      ],
    ];
    for (const [input, problem] of cases) {
      let thrown: unknown;
      try {
        decodeManifest(input, 'm.json');
      } catch (error) {
        thrown = error;
      }
      expect(ContractError.is(thrown, 'OXBOW_MANIFEST_INVALID'), input).toBe(true);
      expect((thrown as ContractError).retriable, input).toBe(false);
      expect((thrown as Error).message, input).toMatch(/^batch manifest m\.json: /);
      expect((thrown as Error).message, input).toMatch(problem);
    }
  });
});
