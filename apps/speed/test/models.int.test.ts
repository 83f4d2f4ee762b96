/**
 * The project's models in the speed layer, against the local stack (Kafka, Redis, a file:// lake): each model of
 * the web-analytics example is updated with every micro-batch and written to Redis (`RedisLayout.model`) —
 * without a batch model from scratch, then from the batch model a manifest publishes (rebased: the examples
 * count starts again) — and its state is checkpointed with the stream, so a restarted speed layer continues the
 * model with exactly the records it had not learnt from (no example counted twice, none lost).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BatchManifest,
  decodeSpeedModel,
  encodeManifest,
  MANIFEST_PATH,
  RedisLayout,
  type SpeedModelRecord,
} from '@oxbow/contracts';
import { DataflowContext } from '@oxbow/dataflow';
import {
  generateHttpLogs,
  generateSensorReadings,
  sensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { KMeans, type KMeansModel, StreamingKMeansModel } from '@oxbow/ml';
import { loadProject, type ModelDefinition, type Project } from '@oxbow/views';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpeedHandle, startSpeed } from '../src/index.ts';
import {
  createTestNames,
  FAST_CONSUMER,
  produce,
  type SpeedTestNames,
  scanKeys,
  TEST_REDIS_URL,
  testConfig,
  waitFor,
} from './support/speed-test-env.ts';

const START = Date.now() - 3 * 3_600_000;
const sensors = [...generateSensorReadings({ count: 900, seed: 21, startMs: START, ratePerSec: 2 })];
const http = [...generateHttpLogs({ count: 300, seed: 22, startMs: START, ratePerSec: 2 })];
const RUN_ID = '20261201T000000000Z-5eed0001';

let names: SpeedTestNames;
let redis: Redis;
let layout: RedisLayout;
let project: Project;
let speed: SpeedHandle | undefined;

async function record(name: string): Promise<SpeedModelRecord | undefined> {
  const text = await redis.get(layout.model(name));
  return text === null ? undefined : decodeSpeedModel(text, layout.model(name));
}

/** Waits until the model's record satisfies `done`. */
function recordWhere(name: string, done: (record: SpeedModelRecord) => boolean, what: string) {
  return waitFor(
    async () => {
      const found = await record(name);
      return found !== undefined && done(found) ? found : undefined;
    },
    60_000,
    what,
  );
}

const start = async () =>
  startSpeed(await testConfig(names), { consumer: FAST_CONSUMER, log: () => {}, project });

beforeAll(async () => {
  names = await createTestNames('models');
  redis = new Redis(TEST_REDIS_URL);
  layout = new RedisLayout(names.prefix);
  project = await loadProject(WEB_ANALYTICS_PROJECT);
  speed = await start();
}, 60_000);

afterAll(async () => {
  await speed?.stop();
  if (names) {
    for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
    rmSync(names.lakeDir, { recursive: true, force: true });
  }
  redis?.disconnect();
});

/** Publishes a batch version whose only content is a model of sensor_clusters trained on `readings` here. */
async function publishBatchModel(readings: typeof sensors): Promise<KMeansModel> {
  const definition = project.model('sensor_clusters') as ModelDefinition;
  const ctx = new DataflowContext({ parallelism: 1 });
  const vectors = readings.map((reading) => {
    const parsed = sensorReadings.parse(JSON.stringify(reading), { now: Date.now() });
    if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
    return [...definition.features(parsed.event)];
  });
  const model = await KMeans.train(ctx.parallelize(vectors, 1).cache(), { k: 5, seed: 7 });
  await ctx.stop();
  const path = `views/v=${RUN_ID}/models/sensor_clusters.json`;
  mkdirSync(join(names.lakeDir, 'views', `v=${RUN_ID}`, 'models'), { recursive: true });
  writeFileSync(join(names.lakeDir, path), JSON.stringify(model));
  const manifest: BatchManifest = {
    format: 'oxbow-batch-manifest',
    version: 1,
    runId: RUN_ID,
    epochMs: 2000,
    watermarkEpoch: 0,
    endOffsets: {},
    views: [],
    duckdb: `views/v=${RUN_ID}/views.duckdb`,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    durationsMs: { read: 0, compute: 0, write: 0 },
    models: [
      {
        name: 'sensor_clusters',
        kind: 'kmeans',
        topic: 'sensor_readings',
        path,
        examples: vectors.length,
        fingerprint: definition.fingerprint,
      },
    ],
  };
  writeFileSync(join(names.lakeDir, MANIFEST_PATH), encodeManifest(manifest));
  return model;
}

describe('models in the speed layer', () => {
  it('updates each model with every micro-batch from scratch when no batch model is published', async () => {
    await produce(
      names.sensors,
      sensors.slice(0, 400).map((r) => JSON.stringify(r)),
    );
    await produce(
      names.http,
      http.map((r) => JSON.stringify(r)),
    );
    const clusters = await recordWhere('sensor_clusters', (r) => r.examples === 400, '400 sensor examples');
    expect(clusters).toMatchObject({
      kind: 'kmeans',
      baseRunId: null,
      fingerprint: project.model('sensor_clusters')?.fingerprint,
    });
    const model = StreamingKMeansModel.fromJSON(clusters.model);
    expect(model.clusterCenters).toHaveLength(5);
    expect(model.clusterWeights.reduce((sum, weight) => sum + weight, 0)).toBeGreaterThan(0);
    const predictor = await recordWhere('latency_predictor', (r) => r.examples === 300, '300 HTTP examples');
    expect(predictor).toMatchObject({ kind: 'linear-regression', baseRunId: null });
    expect(predictor.model).toMatchObject({ type: 'linear-regression' });
    expect((predictor.model as { weights: number[] }).weights).toHaveLength(2);
  }, 90_000);

  it('starts again from the batch model a manifest publishes, and keeps updating it', async () => {
    const batchModel = await publishBatchModel(sensors.slice(0, 400));
    await produce(
      names.sensors,
      sensors.slice(400, 600).map((r) => JSON.stringify(r)),
    );
    const rebased = await recordWhere(
      'sensor_clusters',
      (r) => r.baseRunId === RUN_ID && r.examples === 200,
      'the rebased model to learn 200 examples',
    );
    // Started from the batch model (its cluster sizes as weights: 400 points), 200 more points move it little.
    const model = StreamingKMeansModel.fromJSON(rebased.model);
    const weights = model.clusterWeights.reduce((sum, weight) => sum + weight, 0);
    expect(weights).toBeGreaterThan(400 * 0.95 ** 20);
    for (const center of model.clusterCenters) {
      const nearest = Math.min(
        ...batchModel.clusterCenters.map((batch) =>
          Math.hypot((batch[0] ?? 0) - (center[0] ?? 0), (batch[1] ?? 0) - (center[1] ?? 0)),
        ),
      );
      expect(nearest).toBeLessThan(8);
    }
  }, 90_000);

  it('resumes the model from the checkpoint after a restart: no example learnt twice or lost', async () => {
    await speed?.stop();
    speed = undefined;
    await produce(
      names.sensors,
      sensors.slice(600, 900).map((r) => JSON.stringify(r)),
    );
    speed = await start();
    const resumed = await recordWhere(
      'sensor_clusters',
      (r) => r.baseRunId === RUN_ID && r.examples >= 500,
      'the resumed model to learn the 300 new examples',
    );
    expect(resumed.examples).toBe(500);
    await speed.nextBatch();
    await speed.nextBatch();
    expect((await record('sensor_clusters'))?.examples).toBe(500);
  }, 120_000);
});
