/**
 * Computes an RDD once and returns an equivalent RDD made of its partitions (keeping its partitioner), so a
 * stateful stream's lineage does not grow batch after batch: Spark's RDD checkpoint, in memory.
 */
import type { DataflowContext } from '../../context.ts';
import type { Partitioner } from '../../partitioner.ts';
import type { RDD } from '../../rdd/rdd.ts';

export async function materialize<T>(ctx: DataflowContext, rdd: RDD<T>): Promise<RDD<T>> {
  const partitions = await rdd.glom().collect();
  return ctx.fromPartitions(partitions, rdd.partitioner);
}

/** A stateful stream's latest RDD as data: what goes into a checkpoint. */
export interface StateSnapshot<T> {
  time: number;
  partitions: T[][];
}

/** The latest generated RDD of a stateful stream, as data. */
export async function snapshotLatest<T>(
  generated: ReadonlyMap<number, RDD<T>>,
): Promise<StateSnapshot<T> | undefined> {
  const latest = [...generated.entries()].sort((a, b) => b[0] - a[0])[0];
  if (!latest) return undefined;
  return { time: latest[0], partitions: await latest[1].glom().collect() };
}

/** Puts a snapshot back as the RDD generated at its time. */
export function restoreSnapshot<T>(
  ctx: DataflowContext,
  generated: Map<number, RDD<T>>,
  snapshot: StateSnapshot<T> | undefined,
  partitioner: Partitioner,
): void {
  if (snapshot) generated.set(snapshot.time, ctx.fromPartitions(snapshot.partitions, partitioner));
}
