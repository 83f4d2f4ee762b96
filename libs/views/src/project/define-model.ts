/**
 * `defineModel`: a machine-learning model of the user's project — k-means clusters or a linear regression over
 * the events of one topic, each event turned into a feature vector (and a label) by the user's functions. The
 * batch layer trains it on the lake's history and publishes it beside the batch views; the speed layer starts from
 * the published model and keeps updating it per micro-batch; the serving layer answers `GET /v1/models/:name`.
 * This module only declares and checks models: the training is `@oxbow/ml`'s, run by the apps.
 */
import { createHash } from 'node:crypto';
import { ViewsError } from '../errors.ts';
import type { Schema } from '../schema/define-schema.ts';
import { type AnyEvent, normalizedSource } from './define-view.ts';

/** The kinds of models a project can declare. */
export type ModelKind = 'kmeans' | 'linear-regression';

/** The model kinds, in the order the docs list them. */
export const MODEL_KINDS: readonly ModelKind[] = ['kmeans', 'linear-regression'];

/**
 * Parameters of a k-means model: the batch training's (`KMeans.train` of `@oxbow/ml`) and the speed layer's
 * (`StreamingKMeans`).
 */
export interface KMeansModelParams {
  /** Clusters (at least 1). */
  readonly k: number;
  /** Batch: Lloyd's iterations at most (default 20). */
  readonly maxIterations?: number;
  /** Batch: `'k-means||'` (default) or `'random'`. */
  readonly initializationMode?: 'k-means||' | 'random';
  /** Batch: rounds of k-means|| (default 2). */
  readonly initializationSteps?: number;
  /** Batch: stop when no center moves more than this (default 1e-4). */
  readonly epsilon?: number;
  /** Every random choice is seeded (default 42). */
  readonly seed?: number;
  /** Speed: how much older data weighs per batch, in (0, 1] (default 1: no forgetting). */
  readonly decayFactor?: number;
  /** Speed: the weight of every batch model's center when the speed layer starts from it (default: its cluster size). */
  readonly initialWeight?: number;
}

/**
 * Parameters of a linear regression: the batch training's (`LinearRegressionWithSGD.train`) and the speed
 * layer's (`StreamingLinearRegressionWithSGD`).
 */
export interface LinearRegressionModelParams {
  /** Batch: SGD iterations (default 100). */
  readonly numIterations?: number;
  /** Batch: the step size (default 1). */
  readonly stepSize?: number;
  /** Fraction of the examples each iteration samples, in (0, 1] (default 1). */
  readonly miniBatchFraction?: number;
  /** Batch: stop when the weights move relatively less than this (default 0.001). */
  readonly convergenceTol?: number;
  /** Learn an intercept (default false). */
  readonly intercept?: boolean;
  /** Every random choice is seeded (default 42). */
  readonly seed?: number;
  /** Speed: the step size of each micro-batch's SGD (default 0.1). */
  readonly streamingStepSize?: number;
  /** Speed: SGD iterations per micro-batch (default 50). */
  readonly streamingIterations?: number;
}

/** What a user writes: see {@link defineModel}. */
export type ModelSpec<E = AnyEvent> = {
  /** The model's name: letters, digits and `_`, at most 64 (it names files, Redis keys and routes). */
  readonly name: string;
  /** The project topic whose events the model learns from. */
  readonly topic: string;
  /** The event's feature vector: finite numbers, the same length for every event. */
  readonly features: (event: E) => readonly number[];
  /** Only events for which this is true are learnt from. */
  readonly filter?: (event: E) => boolean;
  /** What the model is for, for the API and docs. */
  readonly description?: string;
} & (
  | { readonly kind: 'kmeans'; readonly params: KMeansModelParams; readonly label?: undefined }
  | {
      readonly kind: 'linear-regression';
      /** The value to predict from the features (a finite number). */
      readonly label: (event: E) => number;
      readonly params?: LinearRegressionModelParams;
    }
);

/** A declared, not yet bound model: what {@link defineModel} returns and `defineProject` takes. */
export interface ModelDeclaration {
  readonly kind: 'model';
  // biome-ignore lint/suspicious/noExplicitAny: the event type is erased once declared; the project binds it.
  readonly spec: ModelSpec<any>;
}

/** A model of a loaded project, bound to its topic's schema. */
export interface ModelDefinition {
  readonly name: string;
  readonly topic: string;
  readonly kind: ModelKind;
  readonly description: string;
  /** The topic's schema. */
  readonly schema: Schema<AnyEvent>;
  readonly features: (event: AnyEvent) => readonly number[];
  /** The label of a regression; `undefined` for k-means. */
  readonly label: ((event: AnyEvent) => number) | undefined;
  readonly filter: ((event: AnyEvent) => boolean) | undefined;
  /** The parameters as declared (defaults are `@oxbow/ml`'s). */
  readonly params: Readonly<KMeansModelParams> | Readonly<LinearRegressionModelParams>;
  /**
   * 16 hex digits of SHA-256 over what changes the model: kind, topic, parameters and the functions' source. A
   * published model trained with another fingerprint is not the model the project declares now.
   */
  readonly fingerprint: string;
}

/**
 * Declares a model over the events of one topic. Give the event type to have the functions typed
 * (`defineModel<HttpLogEvent>({ … })`); the project checks the rest when it loads.
 *
 * @example
 * ```ts
 * defineModel<SensorReadingEvent>({
 *   name: 'sensor_clusters', topic: 'sensor_readings', kind: 'kmeans',
 *   features: (e) => [e.temperature, e.humidity],
 *   params: { k: 3, decayFactor: 0.9 },
 * });
 * defineModel<HttpLogEvent>({
 *   name: 'latency_predictor', topic: 'http_logs', kind: 'linear-regression',
 *   features: (e) => [e.bytes / 1e6, e.status >= 500 ? 1 : 0],
 *   label: (e) => e.latencyMs,
 *   params: { numIterations: 200, stepSize: 0.5, intercept: true },
 * });
 * ```
 */
export function defineModel<E = AnyEvent>(spec: ModelSpec<E>): ModelDeclaration {
  return { kind: 'model', spec: spec as ModelSpec<unknown> as ModelDeclaration['spec'] };
}

const MODEL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

type ParamCheck = (value: unknown) => boolean;

const positiveInteger: ParamCheck = (value) => Number.isSafeInteger(value) && (value as number) >= 1;
const nonNegativeInteger: ParamCheck = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const positive: ParamCheck = (value) => typeof value === 'number' && Number.isFinite(value) && value > 0;
const fraction: ParamCheck = (value) => typeof value === 'number' && value > 0 && value <= 1;
const integer: ParamCheck = (value) => Number.isSafeInteger(value);

/** Each kind's parameters: the check and what it means, for the message. */
const PARAMS: Readonly<Record<ModelKind, Readonly<Record<string, [ParamCheck, string]>>>> = {
  kmeans: {
    k: [positiveInteger, 'an integer ≥ 1'],
    maxIterations: [positiveInteger, 'an integer ≥ 1'],
    initializationMode: [(value) => value === 'k-means||' || value === 'random', '"k-means||" or "random"'],
    initializationSteps: [positiveInteger, 'an integer ≥ 1'],
    epsilon: [(value) => typeof value === 'number' && value >= 0, 'a number ≥ 0'],
    seed: [integer, 'an integer'],
    decayFactor: [fraction, 'a number in (0, 1]'],
    initialWeight: [(value) => typeof value === 'number' && value >= 0, 'a number ≥ 0'],
  },
  'linear-regression': {
    numIterations: [nonNegativeInteger, 'an integer ≥ 0'],
    stepSize: [positive, 'a number > 0'],
    miniBatchFraction: [fraction, 'a number in (0, 1]'],
    convergenceTol: [(value) => typeof value === 'number' && value >= 0, 'a number ≥ 0'],
    intercept: [(value) => typeof value === 'boolean', 'true or false'],
    seed: [integer, 'an integer'],
    streamingStepSize: [positive, 'a number > 0'],
    streamingIterations: [positiveInteger, 'an integer ≥ 1'],
  },
};

function fingerprintOf(spec: ModelSpec<AnyEvent>, params: Readonly<Record<string, unknown>>): string {
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1)));
  const text = JSON.stringify([
    spec.kind,
    spec.topic,
    sorted,
    normalizedSource(spec.features),
    spec.label === undefined ? null : normalizedSource(spec.label),
    spec.filter === undefined ? null : normalizedSource(spec.filter),
  ]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Binds a declared model to its topic's schema and checks it: its name, kind, functions and parameters (each a
 * `OXBOW_INVALID_PROJECT` error naming the model and the reason). The topic itself is checked by the caller.
 */
export function bindModel(
  declaration: ModelDeclaration,
  schema: Schema<AnyEvent>,
  where: string,
): ModelDefinition {
  const spec = declaration.spec as ModelSpec<AnyEvent>;
  const name = String(spec.name);
  const fail = (reason: string): never => {
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: model "${name}": ${reason}`);
  };
  if (!MODEL_NAME.test(name)) fail('not a valid name (letters, digits and _, at most 64, a letter first)');
  if (!(MODEL_KINDS as readonly string[]).includes(spec.kind)) {
    fail(`unknown kind ${JSON.stringify(spec.kind)} (kinds: ${MODEL_KINDS.join(', ')})`);
  }
  if (typeof spec.features !== 'function') fail('features must be a function of the event giving number[]');
  if (spec.filter !== undefined && typeof spec.filter !== 'function') fail('filter must be a function');
  if (spec.kind === 'linear-regression' && typeof spec.label !== 'function') {
    fail('a linear-regression needs label: a function of the event giving the number to predict');
  }
  if (spec.kind === 'kmeans' && spec.label !== undefined) fail('a kmeans model takes no label');
  const params = (spec.params ?? {}) as Readonly<Record<string, unknown>>;
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    fail('params must be an object');
  const known = PARAMS[spec.kind];
  for (const [param, value] of Object.entries(params)) {
    const rule = known[param];
    if (rule === undefined) {
      fail(
        `unknown parameter "${param}" of a ${spec.kind} model (parameters: ${Object.keys(known).join(', ')})`,
      );
    } else if (value !== undefined && !rule[0](value)) {
      fail(`params.${param} must be ${rule[1]}, got ${JSON.stringify(value)}`);
    }
  }
  if (spec.kind === 'kmeans' && params.k === undefined) fail('params.k (the number of clusters) is required');
  return {
    name,
    topic: spec.topic,
    kind: spec.kind,
    description: spec.description ?? '',
    schema,
    features: spec.features,
    label: spec.kind === 'linear-regression' ? spec.label : undefined,
    filter: spec.filter,
    params,
    fingerprint: fingerprintOf(spec, params),
  };
}
