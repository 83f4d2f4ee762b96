/**
 * The error of `@oxbow/contracts`: something read from the lake, Redis or a setting breaks a layer contract.
 */
import { OxbowError } from './oxbow-error.ts';

/** Every code a {@link ContractError} can carry. */
export const CONTRACT_ERROR_CODES = [
  /** A batch manifest does not decode: not JSON (a torn read: retriable), another format, a bad field. */
  'OXBOW_MANIFEST_INVALID',
  /** A lake file breaks the layout: an `_sealed` marker that does not decode, a bad path argument. */
  'OXBOW_LAKE_LAYOUT',
  /** A topic binding setting (`TOPIC` or `TOPIC:SCHEMA`, comma-separated) does not parse. */
  'OXBOW_TOPIC_BINDING',
  /** The speed layer's record of a model in Redis (`RedisLayout.model`) does not decode. */
  'OXBOW_SPEED_MODEL_INVALID',
  /** A Redis key layout is misused: a prefix with a brace under Redis Cluster, a cluster key without a partition. */
  'OXBOW_REDIS_LAYOUT',
] as const;

/** A code from {@link CONTRACT_ERROR_CODES}. */
export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];

/**
 * A contract violation found while decoding shared data.
 *
 * @example
 * ```ts
 * try { decodeManifest(bytes, MANIFEST_PATH); }
 * catch (error) { if (ContractError.is(error, 'OXBOW_MANIFEST_INVALID') && error.retriable) retry(); }
 * ```
 */
export class ContractError extends OxbowError<ContractErrorCode> {}
