/**
 * `takeSample(false, num, seed)` for RDDs (the engine has no `takeSample`): `num` distinct records chosen
 * uniformly, with two jobs (partition sizes, then the chosen records) whose tasks are shippable.
 */
import type { RDD } from '@oxbow/dataflow';
import { partitionSizeKernel, pickKernel, withParams } from './kernels.ts';
import type { SeededRandom } from './random.ts';

/** Up to `num` distinct records of `rdd` (all of them when it has fewer), in the order they were drawn. */
export async function takeSample<T>(rdd: RDD<T>, num: number, random: SeededRandom): Promise<T[]> {
  const sizes = await rdd.mapPartitions(partitionSizeKernel).collect();
  const total = sizes.reduce((a, b) => a + b, 0);
  const m = Math.min(num, total);
  if (m <= 0) return [];

  // Partial Fisher–Yates shuffle of 0 … total − 1 on a sparse map: the first m positions are the sample.
  const swapped = new Map<number, number>();
  const chosen: number[] = [];
  for (let i = 0; i < m; i++) {
    const j = i + random.nextInt(total - i);
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    chosen.push(atJ);
  }

  const starts: number[] = [];
  let start = 0;
  for (const size of sizes) {
    starts.push(start);
    start += size;
  }
  const wanted: Array<Array<[number, number]>> = sizes.map(() => []);
  chosen.forEach((globalIndex, order) => {
    let partition = 0;
    while (partition + 1 < sizes.length && (starts[partition + 1] as number) <= globalIndex) partition++;
    (wanted[partition] as Array<[number, number]>).push([globalIndex - (starts[partition] as number), order]);
  });
  for (const list of wanted) list.sort((a, b) => a[0] - b[0]);

  const picked = await withParams(rdd, { wanted }).mapPartitionsWithIndex(pickKernel).collect();
  const sample = new Array<T>(m);
  for (const [order, record] of picked) sample[order] = record as T;
  return sample;
}
