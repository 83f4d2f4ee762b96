/**
 * Rebuilds lineage steps from their descriptions, in a worker. Every step type a driver can describe has a
 * factory here.
 */
import { type PartitionerDescription, partitionerFromDescription } from '../../partitioner.ts';
import { buildCombiner, type CombinerDescription } from '../../shuffle/combiner.ts';
import type { LineageNode, UserFunction } from '../lineage.ts';
import type { RDD } from '../rdd.ts';
import { CartesianNode } from './cartesian.ts';
import { CoalescedNode } from './coalesced.ts';
import { CoGroupedNode } from './cogrouped.ts';
import { MapPartitionsNode, type MapPartitionsSpec } from './map-partitions.ts';
import { ParallelCollectionNode, type ParallelCollectionParams } from './parallel-collection.ts';
import { RangeNode, type RangeParams } from './range.ts';
import { ShuffledNode } from './shuffled.ts';
import { UnionNode } from './union.ts';
import { ZippedPartitionsNode } from './zipped-partitions.ts';

type Factory = (
  params: Record<string, unknown>,
  functions: readonly UserFunction[],
  parents: readonly RDD<unknown>[],
) => LineageNode<unknown>;

function first(parents: readonly RDD<unknown>[]): RDD<unknown> {
  const parent = parents[0];
  if (!parent) throw new Error('a rebuilt lineage step is missing its parent');
  return parent;
}

/** Factories by step type. */
export const NODE_FACTORIES: Readonly<Record<string, Factory>> = {
  parallelCollection: (params) => new ParallelCollectionNode(params as unknown as ParallelCollectionParams),
  range: (params) => new RangeNode(params as unknown as RangeParams),
  mapPartitions: (params, functions, parents) =>
    new MapPartitionsNode(first(parents), { ...(params as unknown as MapPartitionsSpec), functions }),
  union: (_params, _functions, parents) => new UnionNode(parents),
  coalesced: (params, _functions, parents) =>
    new CoalescedNode(first(parents), { numPartitions: params.numPartitions as number }),
  zippedPartitions: (_params, _functions, parents) =>
    new ZippedPartitionsNode(first(parents), parents[1] ?? first(parents)),
  cartesian: (_params, _functions, parents) =>
    new CartesianNode(first(parents), parents[1] ?? first(parents)),
  shuffled: (params, functions) => {
    const combiner = params.combiner as CombinerDescription | undefined;
    return new ShuffledNode(undefined, {
      operator: params.operator as string,
      shuffleId: params.shuffleId as number,
      numPartitions: params.numPartitions as number,
      partitioner: partitionerFromDescription(params.partitioner as PartitionerDescription),
      combiner: combiner ? buildCombiner(combiner, functions) : undefined,
      sortAscending: params.sortAscending as boolean | undefined,
    });
  },
  cogrouped: (params) =>
    new CoGroupedNode([], {
      shuffleIds: params.shuffleIds as number[],
      partitioner: partitionerFromDescription(params.partitioner as PartitionerDescription),
    }),
};
