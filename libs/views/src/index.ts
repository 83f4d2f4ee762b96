/**
 * `@oxbow/views`: how a user defines a project — schemas (`defineSchema`, `f`), views (`defineView`), live views
 * (`defineLiveView`) and the project (`defineProject`) — and the view runner the batch and speed layers share.
 * No domain of its own: the example projects live under `examples/`.
 */
export { requireArgument, VIEWS_ERROR_CODES, ViewsError, type ViewsErrorCode } from './errors.ts';
export type { ParseOptions, ParseResult } from './events/parse-result.ts';
export { EARLIEST_EVENT_MS, MAX_FUTURE_MS, parseIsoTimestamp } from './events/timestamp.ts';
export {
  ArrivalProcess,
  checkGeneratorOptions,
  diurnalFactor,
  type GeneratorOptions,
  MAX_LATENESS_MS,
  MIN_LATENESS_MS,
} from './generator/arrivals.ts';
export { SeededRandom, WeightedChoice, WeightedIndex } from './generator/random.ts';
export { type BucketLength, bucketMsOf, DAY_MS } from './project/buckets.ts';
export {
  defineLiveView,
  type LiveViewDefinition,
  type LiveViewSettings,
  type LiveViewSpec,
} from './project/define-live-view.ts';
export {
  bindModel,
  defineModel,
  type KMeansModelParams,
  type LinearRegressionModelParams,
  MODEL_KINDS,
  type ModelDeclaration,
  type ModelDefinition,
  type ModelKind,
  type ModelSpec,
} from './project/define-model.ts';
export {
  defineProject,
  type EventGenerator,
  type Project,
  type ProjectSpec,
} from './project/define-project.ts';
export {
  type AnyEvent,
  bindView,
  defineView,
  type ViewDeclaration,
  type ViewSpec,
  viewsOf,
} from './project/define-view.ts';
export {
  BUNDLED_EXAMPLE_PROJECT,
  DEFAULT_PROJECT_FILE,
  loadedProject,
  loadProject,
  resolveProjectPath,
} from './project/load-project.ts';
export {
  generatorOf,
  type SamplePlan,
  sampleJsonLines,
  type WriteSampleOptions,
  writeSampleData,
} from './project/sample-data.ts';
export { bindTopics, parseTopicSetting, type TopicBinding } from './project/topic-bindings.ts';
export {
  defineSchema,
  type EventOf,
  type EventOfFields,
  type JsonSchema,
  KAFKA_METADATA_COLUMNS,
  type LakeColumn,
  type LakeColumnType,
  type Schema,
  type SchemaFields,
  type SchemaOptions,
} from './schema/define-schema.ts';
export {
  DEFAULT_MAX_DOUBLE,
  DEFAULT_MAX_STRING_LENGTH,
  type FieldKind,
  type FieldSpec,
  type FieldType,
  f,
  type NumberConstraints,
  type StringConstraints,
  type TimestampConstraints,
  type ValueOfField,
} from './schema/field-types.ts';
export { generateEvents, type SchemaGeneratorOptions } from './schema/generate-events.ts';
export { aggregateView, presentViewRows, type ViewKey, type ViewRow } from './views/aggregate-view.ts';
export {
  bucketStart,
  type TimedEvent,
  type ViewDefinition,
  type ViewField,
  type ViewFieldKind,
} from './views/view-definition.ts';
export { type ViewJobInput, viewJob } from './views/view-job.ts';
