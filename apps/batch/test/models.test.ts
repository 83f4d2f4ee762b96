/**
 * The project's models in a batch run, end to end on a generated file:// lake of the web-analytics example: each
 * model is published in the version (`views/v=<runId>/models/<name>.json`) and recorded in the manifest, and the
 * published model is exactly the model `@oxbow/ml` trains directly on the same examples — the sealed events of
 * the model's topic, in lake order, turned into features here (from the raw records, not the lake files) — with
 * the same options and partitions. A run of chosen views publishes no models.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { DataflowContext } from '@oxbow/dataflow';
import { httpLogs, sensorReadings, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import {
  KMeans,
  KMeansModel,
  type LabeledPoint,
  LinearRegressionModel,
  LinearRegressionWithSGD,
  modelFromJSON,
} from '@oxbow/ml';
import { type AnyEvent, loadProject, type ModelDefinition, type Project, type Schema } from '@oxbow/views';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../src/run/run-batch.ts';
import { type GeneratedLake, type GeneratedTopic, writeGeneratedLake } from './support/generated-lake.ts';
import { readManifestFile } from './support/published.ts';
import { testConfig } from './support/test-config.ts';

const PARALLELISM = 2;
const PARTITIONS = 2;

let dir: string;
let lakeUrl: string;
let fs: FileSystem;
let lake: GeneratedLake;
let project: Project;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-batch-models-'));
  lakeUrl = `${pathToFileURL(dir).href}/`;
  fs = openFileSystem(lakeUrl);
  lake = await writeGeneratedLake(fs, {
    epochMs: 30_000,
    httpCount: 2000,
    sensorCount: 1500,
    partitions: PARTITIONS,
  });
  project = await loadProject(WEB_ANALYTICS_PROJECT);
});

afterAll(async () => {
  await fs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The sealed events of a topic in lake order (epoch, partition, offset), parsed as the archiver validated them. */
function sealedEvents<R>(topic: GeneratedTopic<R>, schema: Schema<AnyEvent>): AnyEvent[] {
  return topic.records
    .map((entry, index) => ({ ...entry, index, partition: index % PARTITIONS }))
    .filter((entry) => entry.epoch <= lake.watermark)
    .sort((a, b) => a.epoch - b.epoch || a.partition - b.partition || a.index - b.index)
    .map((entry) => {
      const parsed = schema.parse(JSON.stringify(entry.record), { now: Date.UTC(2030, 0, 1) });
      if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
      return parsed.event;
    });
}

/** Trains `model` directly with `@oxbow/ml` on `events`: the reference the published model must equal. */
async function trainDirectly(model: ModelDefinition, events: readonly AnyEvent[]): Promise<string> {
  const ctx = new DataflowContext({ parallelism: PARALLELISM });
  try {
    const kept = events.filter((event) => model.filter?.(event) ?? true);
    if (model.kind === 'kmeans') {
      const { k, maxIterations, seed } = model.params as { k: number; maxIterations?: number; seed?: number };
      const points = ctx.parallelize(
        kept.map((event) => [...model.features(event)]),
        PARALLELISM,
      );
      return JSON.stringify(
        await KMeans.train(points.cache(), {
          k,
          ...(maxIterations === undefined ? {} : { maxIterations }),
          ...(seed === undefined ? {} : { seed }),
        }),
      );
    }
    const { numIterations, stepSize, intercept } = model.params as {
      numIterations: number;
      stepSize: number;
      intercept: boolean;
    };
    const examples: LabeledPoint[] = kept.map((event) => ({
      label: model.label?.(event) ?? Number.NaN,
      features: [...model.features(event)],
    }));
    return JSON.stringify(
      await LinearRegressionWithSGD.train(ctx.parallelize(examples, PARALLELISM).cache(), {
        numIterations,
        stepSize,
        intercept,
      }),
    );
  } finally {
    await ctx.stop();
  }
}

describe('models in a batch run', () => {
  it('publishes every model of the project beside the views, equal to training the same examples directly', async () => {
    expect(project.models.map((model) => model.name)).toEqual(['sensor_clusters', 'latency_predictor']);
    const summary = await runBatch(testConfig(lakeUrl), { parallelism: PARALLELISM, lockSettleMs: 20 });
    expect(summary.status).toBe('published');
    const manifest = await readManifestFile(fs);
    const sensorEvents = sealedEvents(lake.topics.sensor_readings, sensorReadings);
    const httpEvents = sealedEvents(lake.topics.http_logs, httpLogs);
    expect(manifest.models).toEqual([
      {
        name: 'sensor_clusters',
        kind: 'kmeans',
        topic: 'sensor_readings',
        path: `views/v=${summary.runId}/models/sensor_clusters.json`,
        examples: sensorEvents.length,
        fingerprint: project.model('sensor_clusters')?.fingerprint,
      },
      {
        name: 'latency_predictor',
        kind: 'linear-regression',
        topic: 'http_logs',
        path: `views/v=${summary.runId}/models/latency_predictor.json`,
        examples: httpEvents.length,
        fingerprint: project.model('latency_predictor')?.fingerprint,
      },
    ]);
    expect(summary.models?.map((model) => [model.name, model.examples])).toEqual([
      ['sensor_clusters', sensorEvents.length],
      ['latency_predictor', httpEvents.length],
    ]);

    const published = async (name: string) =>
      new TextDecoder().decode(await fs.read(`views/v=${summary.runId}/models/${name}.json`));
    const clusters = project.model('sensor_clusters') as ModelDefinition;
    const predictor = project.model('latency_predictor') as ModelDefinition;
    expect(await published('sensor_clusters')).toBe(await trainDirectly(clusters, sensorEvents));
    expect(await published('latency_predictor')).toBe(await trainDirectly(predictor, httpEvents));

    // What the models learnt, within the generator's known shape.
    const kmeans = KMeansModel.fromJSON(await published('sensor_clusters'));
    expect(kmeans.clusterCenters).toHaveLength(5);
    for (const [temperature, humidity] of kmeans.clusterCenters as number[][]) {
      expect(temperature).toBeGreaterThan(10);
      expect(temperature).toBeLessThan(36);
      expect(humidity).toBeGreaterThanOrEqual(0);
      expect(humidity).toBeLessThanOrEqual(100);
    }
    const regression = LinearRegressionModel.fromJSON(await published('latency_predictor'));
    expect(modelFromJSON(await published('latency_predictor'))).toBeInstanceOf(LinearRegressionModel);
    const [api, serverError] = regression.weights;
    expect(api).toBeLessThan(0); // API paths are faster
    expect(serverError).toBeGreaterThan(0); // 5xx answers are slower
  }, 180_000);

  it('publishes no models in a run of chosen views', async () => {
    const summary = await runBatch(testConfig(lakeUrl), { views: ['status_minutely'], lockSettleMs: 20 });
    expect(summary.status).toBe('published');
    const manifest = await readManifestFile(fs);
    expect(manifest.runId).toBe(summary.runId);
    expect(manifest).not.toHaveProperty('models');
  }, 120_000);
});
