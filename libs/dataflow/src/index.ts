/**
 * `@oxbow/dataflow`: an RDD engine shaped like Apache Spark's API, and the aggregator algebra views merge with.
 */

export * from './aggregators/index.ts';
export * as aggregators from './aggregators/index.ts';
export { DataflowContext, type DataflowContextOptions } from './context.ts';
export { DATAFLOW_ERROR_CODES, DataflowError, type DataflowErrorCode } from './errors.ts';
export { defineJob, type JobDefinition, type JobOptions, type RddFactory } from './jobs/job-definition.ts';
export { hashCode } from './keys/java-hash.ts';
export { KeyMap } from './keys/key-map.ts';
export { type Comparator, naturalCompare } from './keys/ordering.ts';
export {
  HashPartitioner,
  type Partitioner,
  type PartitionerDescription,
  RangePartitioner,
} from './partitioner.ts';
export type { PartitionSource } from './rdd/nodes/source.ts';
export { type PartitionsArg, RDD, type StorageLevel } from './rdd/rdd.ts';
export type { TableCatalog } from './rdd/table-catalog.ts';
export { analyzeFunction, type Shippability } from './scheduler/closure-analysis.ts';
export type { SchedulerStats } from './scheduler/dag-scheduler.ts';
export { Broadcast, LongAccumulator } from './shared-variables.ts';
export type { Stats } from './stats/stat-counter.ts';
export * from './streaming/index.ts';
