/**
 * The speed layer's half of the Lambda way to machine learning: each project model (`defineModel` of
 * `@oxbow/views`) over a consumed topic is updated with every micro-batch by `@oxbow/ml`'s streaming counterpart
 * (`StreamingKMeans`, `StreamingLinearRegressionWithSGD`), starting from the model the batch layer published
 * (and starting again from each newer one), checkpointed with the stream, and written to Redis
 * (`RedisLayout.model(name)`) for the serving layer's `GET /v1/models/:name`.
 *
 * One {@link ProjectModelDStream} per model, over the events of the topic the live views see (exactly the records
 * not yet absorbed since the last checkpoint), so a restart from a checkpoint replays each record into the model
 * once. Before each batch the model is rebased when the current manifest publishes a model of the same definition
 * (fingerprint) from another run. Without any batch model a k-means starts from random centers (weight 0) and a
 * regression from zero weights, sized by the first example. Examples whose features (or label) are not finite
 * numbers of the model's length are skipped.
 */
import type { FileSystem, RedisClient } from '@oxbow/connectors';
import {
  type BatchManifest,
  encodeSpeedModel,
  type RedisLayout,
  SPEED_MODEL_FORMAT,
  type SpeedModelRecord,
} from '@oxbow/contracts';
import { DStream, type RDD } from '@oxbow/dataflow';
import {
  KMeansModel,
  type LabeledPoint,
  LinearRegressionModel,
  StreamingKMeans,
  StreamingKMeansModel,
  StreamingLinearRegressionWithSGD,
  type Vector,
} from '@oxbow/ml';
import type { AnyEvent, KMeansModelParams, LinearRegressionModelParams, ModelDefinition } from '@oxbow/views';

/** What the model streams read and write. */
export interface ModelStreamDeps {
  readonly redis: RedisClient;
  readonly layout: RedisLayout;
  /** The lake the published models are read from. */
  readonly lake: FileSystem;
  /** The newest batch manifest seen. */
  readonly manifest: () => BatchManifest | undefined;
  readonly log: (message: string) => void;
}

/** A model's state in the stream's checkpoints. */
interface ModelCheckpoint {
  readonly format: 'oxbow-speed-model-state';
  readonly version: 1;
  readonly fingerprint: string;
  readonly baseRunId: string | null;
  readonly examples: number;
  /** `@oxbow/ml`'s saved model, or null before the first example. */
  readonly model: unknown;
}

type Learner = StreamingKMeans | StreamingLinearRegressionWithSGD;

/** The examples of a batch: features (and labels), the events that gave none skipped. */
function examplesOf(model: ModelDefinition, events: readonly AnyEvent[], dimension: number | undefined) {
  const features: Vector[] = [];
  const labels: number[] = [];
  let dim = dimension;
  for (const event of events) {
    try {
      if (model.filter !== undefined && !model.filter(event)) continue;
      const vector = model.features(event);
      if (!Array.isArray(vector) || vector.length === 0 || (dim !== undefined && vector.length !== dim))
        continue;
      if (!vector.every((x) => typeof x === 'number' && Number.isFinite(x))) continue;
      let label = 0;
      if (model.label !== undefined) {
        label = model.label(event);
        if (typeof label !== 'number' || !Number.isFinite(label)) continue;
      }
      dim = vector.length;
      features.push([...vector]);
      labels.push(label);
    } catch {
      // An event the user's functions cannot take is not an example.
    }
  }
  return { features, labels };
}

/**
 * The training stream of one project model: an output of the graph (it runs every batch), its state in the
 * stream's checkpoints.
 */
export class ProjectModelDStream extends DStream<AnyEvent> {
  readonly #parent: DStream<AnyEvent>;
  readonly #model: ModelDefinition;
  readonly #deps: ModelStreamDeps;
  #learner: Learner | undefined;
  #baseRunId: string | null = null;
  #examples = 0;

  constructor(parent: DStream<AnyEvent>, model: ModelDefinition, deps: ModelStreamDeps) {
    super(parent.ssc);
    this.#parent = parent;
    this.#model = model;
    this.#deps = deps;
    this.foreachRDD(() => undefined);
  }

  get slideDuration(): number {
    return this.#parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.#parent as DStream<unknown>];
  }

  /** Names the model, so a checkpoint of another graph's models does not fit. */
  override get name(): string {
    return `ProjectModelDStream[${this.#model.name}:${this.#model.kind}]`;
  }

  /** The current model (`undefined` before the first batch model or example). */
  latestModel(): KMeansModel | LinearRegressionModel | undefined {
    return this.#learner?.latestModel();
  }

  async compute(time: number): Promise<RDD<AnyEvent> | undefined> {
    const rdd = await this.#parent.getOrCompute(time);
    if (rdd === undefined) return undefined;
    const rebased = await this.#rebase();
    const dimension = this.#dimension();
    const { features, labels } = examplesOf(this.#model, await rdd.collect(), dimension);
    if (features.length > 0 || rebased) {
      if (features.length > 0) {
        const learner = this.#learner ?? this.#fresh(features[0]?.length ?? 1);
        const ctx = this.ssc.dataflowContext;
        if (learner instanceof StreamingKMeans) await learner.update(ctx.parallelize(features, 1));
        else {
          const points: LabeledPoint[] = features.map((vector, index) => ({
            label: labels[index] ?? 0,
            features: vector,
          }));
          await learner.update(ctx.parallelize(points, 1));
        }
        this.#examples += features.length;
      }
      await this.#publish(time);
    }
    return rdd;
  }

  override checkpointState(): ModelCheckpoint {
    return {
      format: 'oxbow-speed-model-state',
      version: 1,
      fingerprint: this.#model.fingerprint,
      baseRunId: this.#baseRunId,
      examples: this.#examples,
      model: this.#learner === undefined ? null : this.#learner.latestModel().toJSON(),
    };
  }

  /** Puts the checkpointed model back; a model of another definition is dropped (the next batch model starts it). */
  override restoreState(saved: unknown): void {
    const state = saved as Partial<ModelCheckpoint> | undefined;
    if (state?.format !== 'oxbow-speed-model-state' || state.fingerprint !== this.#model.fingerprint) return;
    this.#baseRunId = state.baseRunId ?? null;
    this.#examples = state.examples ?? 0;
    this.#learner =
      state.model === null || state.model === undefined ? undefined : this.#learnerFrom(state.model);
  }

  #dimension(): number | undefined {
    const model = this.#learner?.latestModel();
    if (model === undefined) return undefined;
    return model instanceof KMeansModel ? model.dimension : model.numFeatures;
  }

  /** A learner with the model's streaming parameters and no model yet. */
  #empty(): Learner {
    if (this.#model.kind === 'kmeans') {
      const params = this.#model.params as KMeansModelParams;
      return new StreamingKMeans({ k: params.k, decayFactor: params.decayFactor ?? 1 });
    }
    const params = this.#model.params as LinearRegressionModelParams;
    return new StreamingLinearRegressionWithSGD({
      ...(params.streamingStepSize === undefined ? {} : { stepSize: params.streamingStepSize }),
      ...(params.streamingIterations === undefined ? {} : { numIterations: params.streamingIterations }),
      ...(params.miniBatchFraction === undefined ? {} : { miniBatchFraction: params.miniBatchFraction }),
      ...(params.intercept === undefined ? {} : { intercept: params.intercept }),
      ...(params.seed === undefined ? {} : { seed: params.seed }),
    });
  }

  /** A learner starting from nothing: random centers of weight 0, or zero weights. */
  #fresh(dimension: number): Learner {
    const learner = this.#empty();
    if (learner instanceof StreamingKMeans) {
      const params = this.#model.params as KMeansModelParams;
      learner.setRandomCenters(dimension, 0, params.seed ?? 42);
    } else {
      learner.setInitialWeights(new Array<number>(dimension).fill(0));
    }
    this.#learner = learner;
    return learner;
  }

  /** A learner starting from a saved model (a batch model, or a checkpointed streaming one). */
  #learnerFrom(saved: unknown): Learner {
    const learner = this.#empty();
    if (learner instanceof StreamingKMeans) {
      const document = typeof saved === 'string' ? JSON.parse(saved) : saved;
      const model =
        (document as { type?: unknown }).type === 'streaming-kmeans'
          ? StreamingKMeansModel.fromJSON(document)
          : KMeansModel.fromJSON(document);
      const weight = (this.#model.params as KMeansModelParams).initialWeight;
      learner.setInitialModel(model, model instanceof StreamingKMeansModel ? undefined : weight);
    } else {
      learner.setInitialModel(LinearRegressionModel.fromJSON(saved));
    }
    return learner;
  }

  /** Starts again from the current manifest's model of this definition, when it comes from another run. */
  async #rebase(): Promise<boolean> {
    const manifest = this.#deps.manifest();
    const entry = manifest?.models?.find((model) => model.name === this.#model.name);
    if (manifest === undefined || entry === undefined || manifest.runId === this.#baseRunId) return false;
    if (entry.fingerprint !== this.#model.fingerprint) return false;
    try {
      const text = new TextDecoder().decode(await this.#deps.lake.read(entry.path));
      this.#learner = this.#learnerFrom(text);
      this.#baseRunId = manifest.runId;
      this.#examples = 0;
      this.#deps.log(`speed: model ${this.#model.name} starts from the batch model of run ${manifest.runId}`);
      return true;
    } catch (error) {
      this.#deps.log(
        `speed: model ${this.#model.name}: the batch model ${entry.path} cannot be read (${error instanceof Error ? error.message : String(error)}); keeping the current one`,
      );
      return false;
    }
  }

  async #publish(time: number): Promise<void> {
    const learner = this.#learner;
    if (learner === undefined) return;
    const record: SpeedModelRecord = {
      format: SPEED_MODEL_FORMAT,
      version: 1,
      name: this.#model.name,
      kind: this.#model.kind,
      fingerprint: this.#model.fingerprint,
      baseRunId: this.#baseRunId,
      batchTime: time,
      updatedAt: new Date().toISOString(),
      examples: this.#examples,
      model: JSON.parse(JSON.stringify(learner.latestModel())) as Record<string, unknown>,
    };
    await this.#deps.redis.set(this.#deps.layout.model(this.#model.name), encodeSpeedModel(record));
  }
}

/**
 * Adds a training stream to the graph for every model of `models` over `events` (the live views' events of
 * their topic). Returns the streams (for tests and status).
 *
 * @example
 * wireProjectModels(events, project.models.filter((m) => m.topic === 'sensor_readings'), { redis, layout, lake, manifest, log });
 */
export function wireProjectModels(
  events: DStream<AnyEvent>,
  models: readonly ModelDefinition[],
  deps: ModelStreamDeps,
): ProjectModelDStream[] {
  return models.map((model) => new ProjectModelDStream(events, model, deps));
}
