/**
 * The latest version of each project model (`defineModel` of `@oxbow/views`), for `GET /v1/models/:name`: the
 * batch layer's, published with the current batch version (`manifest.models`, a JSON file in the lake, read once
 * per version), or the speed layer's (`RedisLayout.model(name)`, updated per micro-batch from the batch model it
 * started from) when that was written after the batch version was published.
 */
import type { FileSystem, RedisClient } from '@oxbow/connectors';
import {
  type BatchManifest,
  decodeSpeedModel,
  type ManifestModel,
  type ModelNotTrained,
  type ModelVersion,
  RedisLayout,
  type ServedModel,
  type SpeedModelRecord,
} from '@oxbow/contracts';
import type { ModelDefinition } from '@oxbow/views';
import { ServingError } from './errors.ts';

/** What the model store reads. */
export interface ModelStoreOptions {
  readonly models: readonly ModelDefinition[];
  readonly lake: FileSystem;
  readonly redis: RedisClient;
  readonly prefix: string;
  /** True for the Redis Cluster key layout (`RedisLayout`'s `cluster` option); default false. */
  readonly cluster?: boolean;
  /** The batch version served now. */
  readonly manifest: () => BatchManifest | undefined;
}

/** Reads the newest version of each model from the lake and Redis. */
export class ModelStore {
  readonly #options: ModelStoreOptions;
  readonly #layout: RedisLayout;
  readonly #byName: ReadonlyMap<string, ModelDefinition>;
  /** Published models by lake path (only those of the current version are kept). */
  #published = new Map<string, Promise<Readonly<Record<string, unknown>>>>();

  constructor(options: ModelStoreOptions) {
    this.#options = options;
    this.#layout = new RedisLayout(options.prefix, { cluster: options.cluster === true });
    this.#byName = new Map(options.models.map((model) => [model.name, model]));
  }

  /** The names of the project's models. */
  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /**
   * Every model of the project, in declaration order: its latest version without the model itself
   * (`trained: false` and no version for a model neither layer has trained yet).
   */
  async list(): Promise<Array<ModelVersion | ModelNotTrained>> {
    const entries: Array<ModelVersion | ModelNotTrained> = [];
    for (const definition of this.#byName.values()) {
      try {
        const { model: _model, ...summary } = await this.latest(definition.name);
        entries.push(summary);
      } catch (error) {
        if (!ServingError.is(error, 'OXBOW_NOT_FOUND')) throw error;
        entries.push({
          name: definition.name,
          kind: definition.kind,
          topic: definition.topic,
          trained: false,
        });
      }
    }
    return entries;
  }

  /**
   * The latest model named `name`: the speed layer's when it was written after the current batch version was
   * published (or there is no batch model), else the batch layer's. `OXBOW_NOT_FOUND` for a name the project does
   * not declare, or a model neither layer has trained yet.
   */
  async latest(name: string): Promise<ServedModel> {
    const definition = this.#byName.get(name);
    if (definition === undefined) {
      throw new ServingError(
        'OXBOW_NOT_FOUND',
        `unknown model "${name}" (models: ${this.names.join(', ') || 'none'})`,
      );
    }
    const manifest = this.#options.manifest();
    const entry = manifest?.models?.find((model) => model.name === name);
    const speed = await this.#speedModel(name);
    if (
      speed !== undefined &&
      (manifest === undefined ||
        entry === undefined ||
        Date.parse(speed.updatedAt) > Date.parse(manifest.finishedAt))
    ) {
      return {
        name,
        kind: speed.kind,
        topic: definition.topic,
        source: 'speed',
        version: `speed:${speed.baseRunId ?? 'none'}:${speed.batchTime}`,
        runId: speed.baseRunId,
        updatedAt: speed.updatedAt,
        examples: speed.examples,
        fingerprint: speed.fingerprint,
        current: speed.fingerprint === definition.fingerprint,
        model: speed.model,
      };
    }
    if (manifest === undefined || entry === undefined) {
      throw new ServingError(
        'OXBOW_NOT_FOUND',
        `model "${name}" has not been trained yet: no batch version publishes it and the speed layer has not updated it`,
      );
    }
    return {
      name,
      kind: entry.kind,
      topic: entry.topic,
      source: 'batch',
      version: `batch:${manifest.runId}`,
      runId: manifest.runId,
      watermarkEpoch: manifest.watermarkEpoch,
      updatedAt: manifest.finishedAt,
      examples: entry.examples,
      fingerprint: entry.fingerprint,
      current: entry.fingerprint === definition.fingerprint,
      model: await this.#publishedModel(manifest, entry),
    };
  }

  async #speedModel(name: string): Promise<SpeedModelRecord | undefined> {
    const key = this.#layout.model(name);
    let text: string | null;
    try {
      text = await this.#options.redis.get(key);
    } catch (cause) {
      throw new ServingError('OXBOW_UNAVAILABLE', `Redis did not answer for model "${name}"`, { cause });
    }
    return text === null ? undefined : decodeSpeedModel(text, key);
  }

  #publishedModel(manifest: BatchManifest, entry: ManifestModel): Promise<Readonly<Record<string, unknown>>> {
    const known = this.#published.get(entry.path);
    if (known !== undefined) return known;
    const current = new Set((manifest.models ?? []).map((model) => model.path));
    for (const path of this.#published.keys()) if (!current.has(path)) this.#published.delete(path);
    const loading = this.#options.lake.read(entry.path).then((bytes) => {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ServingError('OXBOW_INTERNAL', `the published model ${entry.path} is not a JSON object`);
      }
      return parsed as Readonly<Record<string, unknown>>;
    });
    loading.catch(() => this.#published.delete(entry.path));
    this.#published.set(entry.path, loading);
    return loading;
  }
}
