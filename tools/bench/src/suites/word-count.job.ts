/**
 * The benchmark's generated corpus and word count, as a job module so its tasks (which call the line generator)
 * run on worker threads at parallelism > 1.
 */
import { defineJob } from '@oxbow/dataflow';

const VOCABULARY_SIZE = 5000;
const WORDS_PER_LINE = 12;

/** Word `rank` of the vocabulary: short for frequent ranks, longer for rare ones. */
function word(rank: number): string {
  return `w${rank.toString(36)}`;
}

/** A Zipf-like rank from a uniform value in [0, 1): rank ≈ V^u, so small ranks are frequent. */
function zipfRank(uniform: number): number {
  return Math.min(VOCABULARY_SIZE - 1, Math.floor(VOCABULARY_SIZE ** uniform) - 1);
}

/** Line `index` of the corpus: the same text for the same index, everywhere. */
export function corpusLine(index: number): string {
  let state = (index * 2654435761) >>> 0 || 1;
  const words: string[] = [];
  for (let i = 0; i < WORDS_PER_LINE; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words.push(word(zipfRank((state >>> 0) / 4294967296)));
  }
  return words.join(' ');
}

/** Word count over `lines` generated lines in `slices` partitions. */
export const wordCountJob = defineJob(
  import.meta.url,
  'wordCountJob',
  (ctx, input: { lines: number; slices: number }) =>
    ctx
      .range(0, input.lines, 1, input.slices)
      .map(corpusLine)
      .flatMap((line) => line.split(' '))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b),
);
