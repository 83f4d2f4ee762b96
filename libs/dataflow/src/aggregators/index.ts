/**
 * The aggregator algebra of `@oxbow/dataflow`: monoids, groups, codecs, exact aggregators and
 * mergeable sketches that views fold in both layers and the serving layer merges.
 */
export {
  type Aggregator,
  aggregate,
  andThenPresent,
  type Codec,
  type ErrorBound,
  fold,
  type Group,
  type GroupAggregator,
  type InputOf,
  type Monoid,
  type OutputOf,
  type Semigroup,
  type StateOf,
  sumAll,
} from './algebra.ts';
export { count } from './count.ts';
export { distinctSet, setUnionMonoid } from './distinct-set.ts';
export { max, maxMonoid, min, minMonoid } from './extremes.ts';
export { type FromMonoidOptions, fromMonoid } from './from-monoid.ts';
export { type Hash64, hash64 } from './hash.ts';
export {
  addToHyperLogLog,
  emptyHyperLogLog,
  estimateCardinality,
  HYPERLOGLOG_PRECISION_RANGE,
  type HyperLogLogOptions,
  type HyperLogLogState,
  hyperLogLog,
  hyperLogLogCodec,
  hyperLogLogMonoid,
  hyperLogLogStandardError,
} from './hyperloglog.ts';
export { type MeanState, mean, meanMonoid } from './mean.ts';
export {
  type AggregatorFields,
  type ProductAggregator,
  type ProductInput,
  type ProductOutput,
  type ProductState,
  product,
} from './product.ts';
export {
  addToQuantileSketch,
  type BucketStore,
  emptyQuantileSketch,
  mergeQuantileSketches,
  type QuantileSketch,
  type QuantileSketchOptions,
  type QuantileSummary,
  quantile,
  quantileSketchCodec,
  quantileSketchMonoid,
  quantiles,
} from './quantiles.ts';
export { sum, sumMonoid } from './sum.ts';
export {
  addToSpaceSaving,
  emptySpaceSaving,
  mergeSpaceSaving,
  type RankedItem,
  rankedCounters,
  type SpaceSavingCounter,
  type SpaceSavingSummary,
  spaceSavingCodec,
  spaceSavingSemigroup,
  type TopKOptions,
  topK,
} from './top-k.ts';
export type { HashableInput, HashableValue, NumericInput } from './values.ts';
