/**
 * The versioned JSON form every model is saved in: an envelope `{ format: 'oxbow-ml-model', type, version }`
 * around the model's parameters as plain numbers. A reader accepts every version up to the one it writes and
 * refuses newer ones (and malformed documents) with `OXBOW_INVALID_MODEL`, so a model published by a newer batch
 * layer is never half-read by an older server.
 */
import { MlError } from './errors.ts';
import type { Vector } from './linalg.ts';

/** The `format` field of every saved model. */
export const MODEL_FORMAT = 'oxbow-ml-model';

/** The kinds of saved models. */
export type ModelType = 'kmeans' | 'streaming-kmeans' | 'linear-regression';

/** The fields every saved model starts with. */
export interface ModelEnvelope<T extends ModelType = ModelType> {
  /** Always {@link MODEL_FORMAT}. */
  readonly format: typeof MODEL_FORMAT;
  /** Which model this is. */
  readonly type: T;
  /** The format version of this type (1 today). */
  readonly version: number;
}

/** Parses `json` (a string, or an already parsed value) into an object, or throws `OXBOW_INVALID_MODEL`. */
export function parseModelDocument(json: unknown): Record<string, unknown> {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (cause) {
      throw new MlError('OXBOW_INVALID_MODEL', 'the saved model is not valid JSON', { cause });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MlError('OXBOW_INVALID_MODEL', 'a saved model must be a JSON object');
  }
  const document = value as Record<string, unknown>;
  if (document.format !== MODEL_FORMAT) {
    throw new MlError(
      'OXBOW_INVALID_MODEL',
      `not a saved model: format is ${JSON.stringify(document.format)}, expected "${MODEL_FORMAT}"`,
    );
  }
  return document;
}

/**
 * Checks the envelope of a parsed document: one of `types`, a version from 1 to `latestVersion`. Returns the
 * type and version found.
 */
export function readEnvelope<T extends ModelType>(
  document: Record<string, unknown>,
  types: readonly T[],
  latestVersion: number,
): { type: T; version: number } {
  const type = document.type;
  if (typeof type !== 'string' || !(types as readonly string[]).includes(type)) {
    throw new MlError(
      'OXBOW_INVALID_MODEL',
      `the saved model is a ${JSON.stringify(type)} model, expected ${types.map((t) => `"${t}"`).join(' or ')}`,
    );
  }
  const version = document.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new MlError(
      'OXBOW_INVALID_MODEL',
      `the saved model has no valid version: ${JSON.stringify(version)}`,
    );
  }
  if (version > latestVersion) {
    throw new MlError(
      'OXBOW_INVALID_MODEL',
      `the saved ${type} model has format version ${version}; this version of @oxbow/ml reads up to ${latestVersion}`,
    );
  }
  return { type: type as T, version };
}

/** Reads a finite number field. */
export function readNumber(document: Record<string, unknown>, field: string, where: string): number {
  const value = document[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MlError(
      'OXBOW_INVALID_MODEL',
      `${where}.${field} must be a finite number, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Reads a vector field: a non-empty array of finite numbers (of `dimension` entries when given). */
export function readVector(value: unknown, where: string, dimension?: number): Vector {
  if (!Array.isArray(value) || value.length === 0) {
    throw new MlError('OXBOW_INVALID_MODEL', `${where} must be a non-empty array of numbers`);
  }
  if (dimension !== undefined && value.length !== dimension) {
    throw new MlError('OXBOW_INVALID_MODEL', `${where} has ${value.length} entries, expected ${dimension}`);
  }
  for (const x of value) {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new MlError('OXBOW_INVALID_MODEL', `${where} has a non-finite entry: ${JSON.stringify(x)}`);
    }
  }
  return value as Vector;
}

/** Reads a non-empty list of vectors of one dimension. */
export function readVectors(value: unknown, where: string): Vector[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new MlError('OXBOW_INVALID_MODEL', `${where} must be a non-empty array of vectors`);
  }
  const first = readVector(value[0], `${where}[0]`);
  return value.map((v, i) => (i === 0 ? first : readVector(v, `${where}[${i}]`, first.length)));
}
