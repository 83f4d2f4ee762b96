/**
 * `defineProject`: a user's schemas, views, live views and models — what every layer (archiver, speed, batch, serving,
 * `oxbow produce`, `oxbow start`) runs. Defining checks everything and fails fast with the view and the reason.
 */
import { ViewsError } from '../errors.ts';
import type { GeneratorOptions } from '../generator/arrivals.ts';
import type { Schema } from '../schema/define-schema.ts';
import type { ViewDefinition } from '../views/view-definition.ts';
import type { LiveViewDefinition } from './define-live-view.ts';
import { bindModel, type ModelDeclaration, type ModelDefinition } from './define-model.ts';
import { type AnyEvent, bindView, type ViewDeclaration } from './define-view.ts';

/** Makes records (as produced to Kafka) for one topic, deterministically from `options.seed`. */
export type EventGenerator = (options: GeneratorOptions) => Iterable<Readonly<Record<string, unknown>>>;

/** What a user writes: see {@link defineProject}. */
export interface ProjectSpec<T extends Readonly<Record<string, Schema<AnyEvent>>>> {
  /** Kafka topic → the schema of its records. */
  readonly topics: T;
  /** The views both layers maintain. */
  readonly views?: readonly ViewDeclaration[];
  /** The speed-only views. */
  // biome-ignore lint/suspicious/noExplicitAny: live views' stream and value types are their own.
  readonly live?: readonly LiveViewDefinition<any, any, any>[];
  /** Machine-learning models over a topic's events (`defineModel`): trained by batch, updated by speed. */
  readonly models?: readonly ModelDeclaration[];
  /**
   * Hand-tuned event generators per topic for `oxbow produce` (topics without one get events generated from
   * their schema's field types and constraints).
   */
  readonly generators?: Partial<Record<keyof T & string, EventGenerator>>;
  /** What the project is, for the docs. */
  readonly description?: string;
}

/** A loaded, checked project. */
export interface Project {
  /** Where it was loaded from (a file URL), or `'(inline)'`. */
  readonly source: string;
  readonly description: string;
  /** Topic → schema, in declaration order. */
  readonly topics: ReadonlyMap<string, Schema<AnyEvent>>;
  /** The views, bound to their schemas, in declaration order. */
  readonly views: readonly ViewDefinition<AnyEvent>[];
  /** The live views, in declaration order. */
  readonly liveViews: readonly LiveViewDefinition[];
  /** Hand-tuned generators by topic. */
  readonly generators: ReadonlyMap<string, EventGenerator>;
  /** The models, bound to their schemas, in declaration order. */
  readonly models: readonly ModelDefinition[];
  /** The model named `name`, or `undefined`. */
  model(name: string): ModelDefinition | undefined;
  /** The view named `name`; throws `OXBOW_UNKNOWN_VIEW` naming the known views otherwise. */
  view(name: string): ViewDefinition<AnyEvent>;
  /** True when the project defines a view (not a live view) named `name`. */
  hasView(name: string): boolean;
  /** The live view named `name`, or `undefined`. */
  liveView(name: string): LiveViewDefinition | undefined;
  /** The schema of `topic`; throws `OXBOW_UNKNOWN_TOPIC` naming the known topics otherwise. */
  schemaOf(topic: string): Schema<AnyEvent>;
  /** The views over `topic`. */
  viewsOf(topic: string): readonly ViewDefinition<AnyEvent>[];
  /** The live views over `topic`. */
  liveViewsOf(topic: string): readonly LiveViewDefinition[];
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Defines a project: binds every view and model to its topic's schema and checks the whole (unknown topic, a
 * key field not in the schema, duplicate names, an unserialisable aggregator, a bucket that does not divide a
 * day, a model's missing label or unknown parameter), each failure an `OXBOW_INVALID_PROJECT` error naming the view and the reason.
 *
 * @example
 * ```ts
 * export default defineProject({
 *   topics: { orders },
 *   views: [defineView({ name: 'orders_by_store_hourly', topic: 'orders', bucket: '1h', key: 'store',
 *                        fields: { orders: count() } })],
 * });
 * ```
 */
export function defineProject<const T extends Readonly<Record<string, Schema<AnyEvent>>>>(
  spec: ProjectSpec<T>,
  source = '(inline)',
): Project {
  const where = 'project';
  if (typeof spec !== 'object' || spec === null || typeof spec.topics !== 'object' || spec.topics === null) {
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: defineProject needs { topics, views }`);
  }
  const topics = new Map<string, Schema<AnyEvent>>();
  for (const [topic, schema] of Object.entries(spec.topics)) {
    if (!TOPIC_NAME.test(topic)) {
      throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: "${topic}" is not a Kafka topic name`);
    }
    if (typeof schema !== 'object' || schema === null || typeof schema.parse !== 'function') {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: topic "${topic}" is not bound to a defineSchema(…)`,
      );
    }
    topics.set(topic, schema);
  }
  if (topics.size === 0) throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: no topics`);
  const names = new Set<string>();
  const claim = (kind: string, name: string) => {
    if (names.has(name)) {
      throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: ${kind} "${name}": the name is used twice`);
    }
    names.add(name);
  };
  const topicOf = (kind: string, name: string, topic: unknown): Schema<AnyEvent> => {
    const schema = typeof topic === 'string' ? topics.get(topic) : undefined;
    if (schema === undefined) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: ${kind} "${name}": unknown topic ${JSON.stringify(topic)} (topics: ${[...topics.keys()].join(', ')})`,
      );
    }
    return schema;
  };
  const views: ViewDefinition<AnyEvent>[] = [];
  for (const declaration of spec.views ?? []) {
    if (declaration?.kind !== 'view') {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: views holds something that is not a defineView(…)`,
      );
    }
    const name = String(declaration.spec.name);
    claim('view', name);
    const schema = topicOf('view', name, declaration.spec.topic);
    views.push(bindView(declaration, declaration.spec.topic, schema, where));
  }
  const liveViews: LiveViewDefinition[] = [];
  for (const live of spec.live ?? []) {
    if (live?.kind !== 'live' || typeof live.build !== 'function' || typeof live.present !== 'function') {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: live holds something that is not a defineLiveView(…)`,
      );
    }
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(live.name)) {
      throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: live view "${live.name}": not a valid name`);
    }
    claim('live view', live.name);
    topicOf('live view', live.name, live.topic);
    liveViews.push(live as LiveViewDefinition);
  }
  const models: ModelDefinition[] = [];
  for (const declaration of spec.models ?? []) {
    if (declaration?.kind !== 'model' || typeof declaration.spec !== 'object' || declaration.spec === null) {
      throw new ViewsError(
        'OXBOW_INVALID_PROJECT',
        `${where}: models holds something that is not a defineModel(…)`,
      );
    }
    const name = String(declaration.spec.name);
    claim('model', name);
    models.push(bindModel(declaration, topicOf('model', name, declaration.spec.topic), where));
  }
  const generators = new Map<string, EventGenerator>();
  for (const [topic, generator] of Object.entries(spec.generators ?? {})) {
    if (!topics.has(topic)) {
      throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: generator for unknown topic "${topic}"`);
    }
    if (typeof generator !== 'function') {
      throw new ViewsError('OXBOW_INVALID_PROJECT', `${where}: generator for "${topic}" is not a function`);
    }
    generators.set(topic, generator as EventGenerator);
  }
  const byName = new Map(views.map((view) => [view.name, view]));
  const liveByName = new Map(liveViews.map((view) => [view.name, view]));
  const modelByName = new Map(models.map((model) => [model.name, model]));
  return {
    source,
    description: spec.description ?? '',
    topics,
    views,
    liveViews,
    generators,
    models,
    model: (name) => modelByName.get(name),
    view(name) {
      const view = byName.get(name);
      if (view === undefined) {
        throw new ViewsError(
          'OXBOW_UNKNOWN_VIEW',
          `unknown view "${name}" (views: ${[...byName.keys()].join(', ') || 'none'})`,
        );
      }
      return view;
    },
    hasView: (name) => byName.has(name),
    liveView: (name) => liveByName.get(name),
    schemaOf(topic) {
      const schema = topics.get(topic);
      if (schema === undefined) {
        throw new ViewsError(
          'OXBOW_UNKNOWN_TOPIC',
          `unknown topic "${topic}" (topics: ${[...topics.keys()].join(', ')})`,
        );
      }
      return schema;
    },
    viewsOf: (topic) => views.filter((view) => view.topic === topic),
    liveViewsOf: (topic) => liveViews.filter((view) => view.topic === topic),
  };
}
