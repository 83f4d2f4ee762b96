/**
 * `@oxbow/ml`: streaming and batch machine learning on Oxbow's RDDs and DStreams, with Spark MLlib's API and
 * update rules: k-means (batch with k-means|| initialisation, streaming with decay and dying-cluster splits) and
 * linear regression by mini-batch SGD (batch and streaming). Models are immutable, saved as versioned JSON, and
 * streaming models are checkpointed with the `StreamingContext`.
 */
export { type InitializationMode, KMeans, type KMeansOptions } from './clustering/kmeans.ts';
export {
  KMeansModel,
  type KMeansModelJSON,
  type KMeansTrainingSummary,
  StreamingKMeansModel,
  type StreamingKMeansModelJSON,
  type TimeUnit,
} from './clustering/kmeans-model.ts';
export { StreamingKMeans, type StreamingKMeansOptions } from './clustering/streaming-kmeans.ts';
export { ML_ERROR_CODES, MlError, type MlErrorCode } from './errors.ts';
export { dot, type LabeledPoint, norm, squaredDistance, type Vector } from './linalg.ts';
export { modelFromJSON, type SavedModel } from './models.ts';
export { runMiniBatchSgd, type SgdOptions } from './regression/gradient-descent.ts';
export {
  LinearRegressionWithSGD,
  type LinearRegressionWithSGDOptions,
} from './regression/linear-regression.ts';
export {
  LinearRegressionModel,
  type LinearRegressionModelJSON,
  type SgdSummary,
} from './regression/linear-regression-model.ts';
export {
  type StreamingLinearRegressionOptions,
  StreamingLinearRegressionWithSGD,
} from './regression/streaming-linear-regression.ts';
export { MODEL_FORMAT, type ModelEnvelope, type ModelType } from './serialization.ts';
