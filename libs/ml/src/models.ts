/** Reading any saved model by its `type`, for servers that load whatever the batch or speed layer published. */

import type { StreamingKMeansModel } from './clustering/kmeans-model.ts';
import { KMeansModel } from './clustering/kmeans-model.ts';
import { MlError } from './errors.ts';
import { LinearRegressionModel } from './regression/linear-regression-model.ts';
import { parseModelDocument } from './serialization.ts';

/** Any model this library saves. */
export type SavedModel = KMeansModel | StreamingKMeansModel | LinearRegressionModel;

/**
 * Reads a saved model of any type (a JSON string or the parsed object): a {@link KMeansModel}, a
 * {@link StreamingKMeansModel} or a {@link LinearRegressionModel}, by the document's `type`.
 *
 * @example
 * ```ts
 * const model = modelFromJSON(await readFile('model.json', 'utf8'));
 * if (model instanceof LinearRegressionModel) model.predict([1, 2]);
 * ```
 */
export function modelFromJSON(json: unknown): SavedModel {
  const document = parseModelDocument(json);
  switch (document.type) {
    case 'kmeans':
    case 'streaming-kmeans':
      return KMeansModel.fromJSON(document);
    case 'linear-regression':
      return LinearRegressionModel.fromJSON(document);
    default:
      throw new MlError('OXBOW_INVALID_MODEL', `unknown model type ${JSON.stringify(document.type)}`);
  }
}
