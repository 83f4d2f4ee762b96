/**
 * `GET /v1/models/:name` on the real stack: a `file://` lake of archived HTTP logs whose models `runBatch` trains
 * and publishes, Redis for the speed layer's records. The batch model is served as published; a speed record
 * written after the batch version wins, an older one does not; unknown and untrained models are 404; keys apply.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OxbowConfig } from '@oxbow/config';
import { type BatchManifest, encodeSpeedModel, RedisLayout, type SpeedModelRecord } from '@oxbow/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServingServer } from '../src/server.ts';
import { exampleProject } from './support/fixtures.ts';
import { type PublishedLakeServer, publishedLakeServer } from './support/published-lake.ts';

const READ_KEY = 'model-read-key-1';

let published: PublishedLakeServer | undefined;
let dir: string;
let redis: Redis;
let config: OxbowConfig;
let server: ServingServer;
let manifest: BatchManifest;

beforeAll(async () => {
  published = await publishedLakeServer({
    label: 'models',
    apiKeys: `${READ_KEY}:read`,
    seed: 5,
    epochMs: 30_000,
  });
  ({ dir, redis, config, server, manifest } = published);
}, 180_000);

afterAll(async () => {
  await published?.close();
});

const get = (name: string, key: string | null = READ_KEY) =>
  server.app.inject({ url: `/v1/models/${name}`, headers: key === null ? {} : { 'x-api-key': key } });

function speedRecord(updatedAt: string, overrides: Partial<SpeedModelRecord> = {}): SpeedModelRecord {
  return {
    format: 'oxbow-speed-model',
    version: 1,
    name: 'latency_predictor',
    kind: 'linear-regression',
    fingerprint: exampleProject.model('latency_predictor')?.fingerprint ?? '',
    baseRunId: manifest.runId,
    batchTime: 1_800_000_000_000,
    updatedAt,
    examples: 42,
    model: {
      format: 'oxbow-ml-model',
      type: 'linear-regression',
      version: 1,
      weights: [-20, 90],
      intercept: 50,
    },
    ...overrides,
  };
}

describe('GET /v1/models/:name', () => {
  it('serves the model the batch layer published, with its version and source', async () => {
    const response = await get('latency_predictor');
    expect(response.statusCode).toBe(200);
    const entry = manifest.models?.find((model) => model.name === 'latency_predictor');
    expect(entry).toBeDefined();
    const published = JSON.parse(await readFile(join(dir, 'lake', entry?.path ?? ''), 'utf8'));
    expect(response.json()).toEqual({
      name: 'latency_predictor',
      kind: 'linear-regression',
      topic: 'http_logs',
      source: 'batch',
      version: `batch:${manifest.runId}`,
      runId: manifest.runId,
      watermarkEpoch: manifest.watermarkEpoch,
      updatedAt: manifest.finishedAt,
      examples: entry?.examples,
      fingerprint: exampleProject.model('latency_predictor')?.fingerprint,
      current: true,
      model: published,
    });
    expect(published).toMatchObject({ format: 'oxbow-ml-model', type: 'linear-regression' });
    expect(response.headers.etag).toBeDefined();
  });

  it("serves the speed layer's model when it was written after the batch version, else the batch model", async () => {
    const key = new RedisLayout(config.redisPrefix).model('latency_predictor');
    const before = new Date(Date.parse(manifest.finishedAt) - 60_000).toISOString();
    await redis.set(key, encodeSpeedModel(speedRecord(before)));
    expect((await get('latency_predictor')).json().source).toBe('batch');
    const after = new Date(Date.parse(manifest.finishedAt) + 1000).toISOString();
    await redis.set(key, encodeSpeedModel(speedRecord(after)));
    const response = await get('latency_predictor');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      source: 'speed',
      version: `speed:${manifest.runId}:1800000000000`,
      runId: manifest.runId,
      updatedAt: after,
      examples: 42,
      current: true,
      model: { weights: [-20, 90], intercept: 50 },
    });
    await redis.set(key, encodeSpeedModel(speedRecord(after, { fingerprint: '0000000000000000' })));
    expect((await get('latency_predictor')).json()).toMatchObject({ source: 'speed', current: false });
    await redis.del(key);
    expect((await get('latency_predictor')).json().source).toBe('batch');
  });

  it('answers 404 for a model not in the project, and for one no layer has trained yet', async () => {
    const unknown = await get('nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      code: 'OXBOW_NOT_FOUND',
      message: 'unknown model "nope" (models: sensor_clusters, latency_predictor)',
    });
    // The lake holds no sensor readings: the batch layer had nothing to train sensor_clusters on.
    const untrained = await get('sensor_clusters');
    expect(untrained.statusCode).toBe(404);
    expect(untrained.json().message).toMatch(/"sensor_clusters" has not been trained yet/);
  });

  it('lists every model of the project with its latest version, untrained ones too', async () => {
    const response = await server.app.inject({ url: '/v1/models', headers: { 'x-api-key': READ_KEY } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      models: [
        { name: 'sensor_clusters', kind: 'kmeans', topic: 'sensor_readings', trained: false },
        expect.objectContaining({
          name: 'latency_predictor',
          source: 'batch',
          version: `batch:${manifest.runId}`,
          examples: manifest.models?.find((model) => model.name === 'latency_predictor')?.examples,
        }),
      ],
    });
    expect(response.json().models[1]).not.toHaveProperty('model');
  });

  it('needs a key when keys are configured', async () => {
    expect((await get('latency_predictor', null)).statusCode).toBe(401);
    expect((await get('latency_predictor', 'not-a-key-123')).statusCode).toBe(401);
  });
});
