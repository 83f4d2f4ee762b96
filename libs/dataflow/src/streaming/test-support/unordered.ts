/** Batches compared without caring about the order of elements inside a batch (tests of streaming operators). */
import { canonicalKey } from '../../keys/key-map.ts';

export function unordered(batches: readonly (readonly unknown[])[]): string[][] {
  return batches.map((batch) => batch.map((x) => canonicalKey(x)).sort());
}
