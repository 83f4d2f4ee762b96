/**
 * Which partitions of which RDDs a task computes (through narrow dependencies, stopping at cached partitions the
 * task can read), and the asynchronous loading of source partitions before the synchronous computation.
 */
import type { RDD } from '../rdd/rdd.ts';

/** The partitions a task computes, per RDD. */
export function partitionsComputedBy(
  root: RDD<unknown>,
  partition: number,
  isCached: (rdd: RDD<unknown>, partition: number) => boolean,
): Map<RDD<unknown>, Set<number>> {
  const needed = new Map<RDD<unknown>, Set<number>>();
  const visit = (rdd: RDD<unknown>, p: number): void => {
    let set = needed.get(rdd);
    if (!set) {
      set = new Set();
      needed.set(rdd, set);
    }
    if (set.has(p)) return;
    set.add(p);
    if (rdd.getStorageLevel() && isCached(rdd, p)) return;
    for (const input of rdd.node.narrowInputs(p)) {
      const parent = rdd.node.narrowParents[input.parentIndex];
      if (parent) visit(parent, input.partition);
    }
  };
  visit(root, partition);
  return needed;
}

/** Loads every source partition a task reads, runs `body`, then frees them. */
export async function withLoadedSources<R>(
  needed: Map<RDD<unknown>, Set<number>>,
  body: () => R,
): Promise<R> {
  const loaded: Array<[RDD<unknown>, number]> = [];
  try {
    for (const [rdd, partitions] of needed) {
      if (!rdd.node.load) continue;
      for (const p of partitions) {
        await rdd.node.load(p);
        loaded.push([rdd, p]);
      }
    }
    return body();
  } finally {
    for (const [rdd, p] of loaded) rdd.node.unload?.(p);
  }
}
