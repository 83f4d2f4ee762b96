/**
 * Compact binary form of records that cross a shuffle, a worker boundary or a spill file (MessagePack).
 * Round-trips primitives, `undefined`, bigint, Date, arrays, plain objects, Map, Set and typed arrays;
 * class instances come back as plain objects, as with any serialization without code shipping.
 */
import { Packr } from 'msgpackr';
import { DataflowError } from '../errors.ts';

const packr = new Packr({
  mapsAsObjects: false,
  useBigIntExtension: true,
  int64AsType: 'bigint',
  moreTypes: true,
});

/**
 * Serializes any structured value to bytes. The result owns an exact-size buffer of its own (the encoder reuses a
 * shared pool internally), so it can be kept, transferred to another thread or written out.
 */
export function serialize(value: unknown): Uint8Array {
  try {
    return new Uint8Array(packr.pack(value));
  } catch (cause) {
    throw new DataflowError('OXBOW_SERIALIZATION', `cannot serialize a record: ${String(cause)}`, { cause });
  }
}

/** Reads bytes written by {@link serialize}. */
export function deserialize<T>(bytes: Uint8Array): T {
  try {
    return packr.unpack(bytes) as T;
  } catch (cause) {
    throw new DataflowError('OXBOW_SERIALIZATION', `cannot deserialize a block: ${String(cause)}`, { cause });
  }
}

/** A deep copy through the serializer, used to give each key its own copy of a zero value. */
export function cloneValue<T>(value: T): T {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  return deserialize<T>(serialize(value));
}
