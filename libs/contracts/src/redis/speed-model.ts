/**
 * The speed layer's record of a project model in Redis (`RedisLayout.model(name)`): the latest version of the
 * model, updated with every micro-batch since the batch model it started from, and where it came from — so the
 * serving layer can answer `GET /v1/models/:name` with the newer of the batch layer's and the speed layer's.
 */
import { ContractError } from '../errors/contract-error.ts';
import { type Fail, integerField, objectField, parseJson, stringField } from '../json-fields.ts';

/** The `format` tag of a speed model record. */
export const SPEED_MODEL_FORMAT = 'oxbow-speed-model';

/** What the speed layer writes under `RedisLayout.model(name)`. */
export interface SpeedModelRecord {
  readonly format: typeof SPEED_MODEL_FORMAT;
  readonly version: 1;
  /** The model's name in the project. */
  readonly name: string;
  /** `kmeans` or `linear-regression`. */
  readonly kind: string;
  /** The model definition's fingerprint the speed layer ran. */
  readonly fingerprint: string;
  /** The batch run whose published model the speed layer started from; `null` when it started without one. */
  readonly baseRunId: string | null;
  /** The micro-batch time (ms) of the last update. */
  readonly batchTime: number;
  /** When the record was written (ISO-8601). */
  readonly updatedAt: string;
  /** Examples learnt from since the base model. */
  readonly examples: number;
  /** The model as `@oxbow/ml` saves it (`JSON.parse(JSON.stringify(model))`). */
  readonly model: Readonly<Record<string, unknown>>;
}

/**
 * The record as the JSON text stored in Redis.
 *
 * @example
 * await redis.set(layout.model('sensor_clusters'), encodeSpeedModel(record));
 */
export function encodeSpeedModel(record: SpeedModelRecord): string {
  return JSON.stringify(record);
}

/**
 * Parses and checks a record read from Redis key `key` (for messages); throws `OXBOW_SPEED_MODEL_INVALID` naming
 * the first problem. The model document itself is checked by `@oxbow/ml`'s `modelFromJSON`.
 */
export function decodeSpeedModel(input: string | Uint8Array, key: string): SpeedModelRecord {
  const fail: Fail = (problem) => {
    throw new ContractError('OXBOW_SPEED_MODEL_INVALID', `speed model ${key}: ${problem}`);
  };
  const record = objectField(
    parseJson(input, (error) => fail(`not JSON: ${String(error)}`)),
    'the record',
    fail,
  );
  if (record.format !== SPEED_MODEL_FORMAT)
    fail(`format ${JSON.stringify(record.format)}, not ${SPEED_MODEL_FORMAT}`);
  if (record.version !== 1) fail(`unsupported version ${JSON.stringify(record.version)}`);
  const baseRunId = record.baseRunId === null ? null : stringField(record.baseRunId, 'baseRunId', fail);
  return {
    format: SPEED_MODEL_FORMAT,
    version: 1,
    name: stringField(record.name, 'name', fail),
    kind: stringField(record.kind, 'kind', fail),
    fingerprint: stringField(record.fingerprint, 'fingerprint', fail),
    baseRunId,
    batchTime: integerField(record.batchTime, 'batchTime', fail, 0),
    updatedAt: stringField(record.updatedAt, 'updatedAt', fail),
    examples: integerField(record.examples, 'examples', fail, 0),
    model: objectField(record.model, 'model', fail),
  };
}
