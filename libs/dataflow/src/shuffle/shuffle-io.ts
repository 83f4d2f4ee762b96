/**
 * The two ends of a shuffle inside a task: the map side buckets records by partitioner (combining values of a
 * key first when the combiner allows) into serialized blocks; the reduce side reads the blocks of its partition
 * and merges them.
 */
import { KeyMap } from '../keys/key-map.ts';
import type { Partitioner } from '../partitioner.ts';
import type { Combiner } from './combiner.ts';
import { deserialize, serialize } from './record-serializer.ts';

/** Records per serialized block on the map side when values are not combined. */
const RECORDS_PER_BLOCK = 16_384;
/** Distinct keys held by a map-side combine before a partial result is flushed. */
const MAX_COMBINE_KEYS = 262_144;

/** Buckets `records` into blocks per reduce partition. */
export function writeShuffleBlocks<K, V, C>(
  records: Iterable<[K, V]>,
  partitioner: Partitioner,
  combiner: Combiner<V, C> | undefined,
): Uint8Array[][] {
  const numPartitions = partitioner.numPartitions;
  const blocks: Uint8Array[][] = Array.from({ length: numPartitions }, () => []);
  if (combiner?.mapSideCombine) {
    let combined = new KeyMap<K, C>();
    const flush = (): void => {
      const buckets: Array<Array<[K, C]>> = Array.from({ length: numPartitions }, () => []);
      for (const [key, value] of combined.entries())
        buckets[partitioner.getPartition(key)]?.push([key, value]);
      buckets.forEach((bucket, i) => {
        if (bucket.length > 0) blocks[i]?.push(serialize(bucket));
      });
      combined = new KeyMap<K, C>();
    };
    for (const [key, value] of records) {
      const current = combined.get(key);
      if (current === undefined && !combined.has(key)) combined.set(key, combiner.createCombiner(value));
      else combined.set(key, combiner.mergeValue(current as C, value));
      if (combined.size >= MAX_COMBINE_KEYS) flush();
    }
    flush();
    return blocks;
  }
  const buckets: Array<Array<[K, V]>> = Array.from({ length: numPartitions }, () => []);
  for (const record of records) {
    const p = partitioner.getPartition(record[0]);
    const bucket = buckets[p] as Array<[K, V]>;
    bucket.push(record);
    if (bucket.length >= RECORDS_PER_BLOCK) {
      blocks[p]?.push(serialize(bucket));
      buckets[p] = [];
    }
  }
  buckets.forEach((bucket, i) => {
    if (bucket.length > 0) blocks[i]?.push(serialize(bucket));
  });
  return blocks;
}

/** Every record in `blocks`, in order. */
export function* readShuffleRecords<R>(blocks: Iterable<Uint8Array>): Generator<R> {
  for (const block of blocks) yield* deserialize<R[]>(block);
}

/**
 * Merges the records of one reduce partition by key. Map-side-combined blocks hold combiners; others hold raw
 * values.
 */
export function combineByKeyOnReduceSide<K, V, C>(
  records: Iterable<[K, V | C]>,
  combiner: Combiner<V, C>,
): KeyMap<K, C> {
  const merged = new KeyMap<K, C>();
  if (combiner.mapSideCombine) {
    for (const [key, value] of records) {
      const current = merged.get(key);
      if (current === undefined && !merged.has(key)) merged.set(key, value as C);
      else merged.set(key, combiner.mergeCombiners(current as C, value as C));
    }
  } else {
    for (const [key, value] of records) {
      const current = merged.get(key);
      if (current === undefined && !merged.has(key)) merged.set(key, combiner.createCombiner(value as V));
      else merged.set(key, combiner.mergeValue(current as C, value as V));
    }
  }
  return merged;
}
