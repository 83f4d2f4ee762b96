/**
 * The batch layer's half of the Lambda way to machine learning: every model the project declares
 * (`defineModel` of `@oxbow/views`) is trained on its topic's history — the lake files of the sealed epochs ≤ the
 * run's watermark, in lake order — with `@oxbow/ml`'s batch algorithm (`KMeans.train` with k-means||,
 * `LinearRegressionWithSGD.train`), and saved as `@oxbow/ml`'s versioned JSON for the run to publish beside the
 * view tables. The speed layer starts from that model and keeps updating it.
 *
 * Each topic's files are read once for all of its models; only the examples (feature vectors and labels) are
 * kept, on the driver, then spread over `parallelism` partitions in lake order, so the training is a function of
 * the history and the parallelism alone: training the same examples with the same options gives the same model,
 * bit for bit. The partitions are trained in-process (a context of parallelism 1): every iteration reads every
 * example again, and shipping them to worker threads each time cost far more than the arithmetic (a regression of
 * 49 000 examples, 200 iterations, on a busy 2-core machine: 32–38 s on two worker threads, 3–5 s in-process).
 */
import { defineParquetSchema, type FileSystem, readParquet } from '@oxbow/connectors';
import { DataflowContext } from '@oxbow/dataflow';
import {
  KMeans,
  type KMeansOptions,
  type LabeledPoint,
  LinearRegressionWithSGD,
  type LinearRegressionWithSGDOptions,
  type Vector,
} from '@oxbow/ml';
import type { AnyEvent, KMeansModelParams, LinearRegressionModelParams, ModelDefinition } from '@oxbow/views';
import { BatchError } from '../errors.ts';

/** One model's training examples: feature vectors, and labels for a regression. */
export interface ModelExamples {
  readonly model: ModelDefinition;
  readonly features: Vector[];
  /** Labels, index by index with `features` (empty for k-means). */
  readonly labels: number[];
}

/** A trained model, ready to publish. */
export interface TrainedModel {
  readonly model: ModelDefinition;
  /** Examples it learnt from. */
  readonly examples: number;
  /** The saved model: `JSON.stringify` of the `@oxbow/ml` model. */
  readonly json: string;
  readonly seconds: number;
}

/** Why a model was not trained (no examples yet). */
export interface SkippedModel {
  readonly model: ModelDefinition;
  readonly reason: string;
}

function vectorOf(value: unknown, dimension: number | undefined): Vector | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (dimension !== undefined && value.length !== dimension) return undefined;
  for (const x of value) if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  return value as Vector;
}

/**
 * Reads the examples of `models` (all of one topic) from `files` (lake paths in lake order): each event parsed
 * back from its lake row, kept when the model's filter passes, turned into its features (and label). An event
 * whose features are not finite numbers of the model's length, or whose label is not a finite number, is an
 * `OXBOW_BATCH_MODEL` error naming the model, the file and the row.
 */
export async function readModelExamples(
  fs: FileSystem,
  models: readonly ModelDefinition[],
  files: readonly string[],
): Promise<ModelExamples[]> {
  const first = models[0];
  if (first === undefined) return [];
  const schema = first.schema;
  const parquet = defineParquetSchema(schema.lakeColumns);
  const examples = models.map((model) => ({ model, features: [] as Vector[], labels: [] as number[] }));
  for (const path of files) {
    let row = 0;
    for await (const record of readParquet(fs, path, { schema: parquet, columns: schema.eventColumns })) {
      const event: AnyEvent = schema.eventOfRow(record);
      for (const entry of examples) {
        const model = entry.model;
        if (model.filter !== undefined && !model.filter(event)) continue;
        const features = vectorOf(model.features(event), entry.features[0]?.length);
        if (features === undefined) {
          throw new BatchError(
            'OXBOW_BATCH_MODEL',
            `model "${model.name}": the features of row ${row} of ${path} are not ${entry.features[0] === undefined ? 'a non-empty array of finite numbers' : `${entry.features[0].length} finite numbers`}`,
          );
        }
        if (model.label !== undefined) {
          const label = model.label(event);
          if (typeof label !== 'number' || !Number.isFinite(label)) {
            throw new BatchError(
              'OXBOW_BATCH_MODEL',
              `model "${model.name}": the label of row ${row} of ${path} is not a finite number: ${String(label)}`,
            );
          }
          entry.labels.push(label);
        }
        entry.features.push([...features]);
      }
      row++;
    }
  }
  return examples;
}

/** `KMeans.train`'s options from a model's parameters. */
export function kmeansOptionsOf(params: KMeansModelParams): KMeansOptions {
  return {
    k: params.k,
    ...(params.maxIterations === undefined ? {} : { maxIterations: params.maxIterations }),
    ...(params.initializationMode === undefined ? {} : { initializationMode: params.initializationMode }),
    ...(params.initializationSteps === undefined ? {} : { initializationSteps: params.initializationSteps }),
    ...(params.epsilon === undefined ? {} : { epsilon: params.epsilon }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
  };
}

/** `LinearRegressionWithSGD.train`'s options from a model's parameters. */
export function linearRegressionOptionsOf(
  params: LinearRegressionModelParams,
): LinearRegressionWithSGDOptions {
  return {
    ...(params.numIterations === undefined ? {} : { numIterations: params.numIterations }),
    ...(params.stepSize === undefined ? {} : { stepSize: params.stepSize }),
    ...(params.miniBatchFraction === undefined ? {} : { miniBatchFraction: params.miniBatchFraction }),
    ...(params.convergenceTol === undefined ? {} : { convergenceTol: params.convergenceTol }),
    ...(params.intercept === undefined ? {} : { intercept: params.intercept }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
  };
}

/**
 * Trains one model on its examples, spread over `partitions` partitions of `ctx` in their order (cached: every
 * iteration reads them again).
 *
 * @example
 * ```ts
 * const [examples] = await readModelExamples(lake, [project.model('sensor_clusters')], files);
 * const trained = await trainModel(ctx, examples, 2);
 * KMeansModel.fromJSON(trained.json).clusterCenters;
 * ```
 */
export async function trainModel(
  ctx: DataflowContext,
  examples: ModelExamples,
  partitions: number,
): Promise<TrainedModel> {
  const began = performance.now();
  const { model } = examples;
  let json: string;
  if (model.kind === 'kmeans') {
    const points = ctx.parallelize(examples.features, partitions).cache();
    json = JSON.stringify(await KMeans.train(points, kmeansOptionsOf(model.params as KMeansModelParams)));
    points.unpersist();
  } else {
    const labelled: LabeledPoint[] = examples.features.map((features, index) => ({
      label: examples.labels[index] ?? 0,
      features,
    }));
    const points = ctx.parallelize(labelled, partitions).cache();
    json = JSON.stringify(
      await LinearRegressionWithSGD.train(
        points,
        linearRegressionOptionsOf(model.params as LinearRegressionModelParams),
      ),
    );
    points.unpersist();
  }
  return { model, examples: examples.features.length, json, seconds: (performance.now() - began) / 1000 };
}

/**
 * Trains every model of the project on its topic's files (`filesOf`: project topic → lake paths of the sealed
 * epochs ≤ the watermark, in lake order). A model without examples yet is skipped (nothing to publish).
 */
export async function trainModels(options: {
  readonly fs: FileSystem;
  readonly models: readonly ModelDefinition[];
  readonly filesOf: (topic: string) => readonly string[];
  readonly partitions: number;
}): Promise<{ trained: TrainedModel[]; skipped: SkippedModel[] }> {
  const trained: TrainedModel[] = [];
  const skipped: SkippedModel[] = [];
  const topics = [...new Set(options.models.map((model) => model.topic))];
  const ctx = new DataflowContext({ parallelism: 1, appName: 'oxbow-batch models' });
  try {
    for (const topic of topics) {
      const models = options.models.filter((model) => model.topic === topic);
      for (const examples of await readModelExamples(options.fs, models, options.filesOf(topic))) {
        if (examples.features.length === 0) {
          skipped.push({ model: examples.model, reason: `no events of ${topic} in the sealed epochs yet` });
          continue;
        }
        trained.push(await trainModel(ctx, examples, options.partitions));
      }
    }
  } finally {
    await ctx.stop();
  }
  return { trained, skipped };
}
