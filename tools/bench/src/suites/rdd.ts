/**
 * `npm run bench -- rdd`: word count over about 100 MB of generated text, and reduceByKey over 10 million
 * `[key, number]` pairs with 10,000 keys, at parallelism 1 and 2.
 */
import { DataflowContext } from '@oxbow/dataflow';
import { type BenchRow, machineLine, markdownTable } from '../report.ts';
import { corpusLine, wordCountJob } from './word-count.job.ts';

const TEXT_BYTES = 100 * 1024 * 1024;
const PAIRS = 10_000_000;
const KEYS = 10_000;

async function timed<T>(body: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await body();
  return { value, seconds: (performance.now() - start) / 1000 };
}

/** Runs the suite and returns the Markdown section. */
export async function runRddSuite(options: { scale: number }): Promise<string> {
  const sampleBytes = Array.from({ length: 1000 }, (_, i) => corpusLine(i).length + 1).reduce(
    (a, b) => a + b,
    0,
  );
  const lines = Math.round(((TEXT_BYTES * options.scale) / sampleBytes) * 1000);
  const words = lines * 12;
  const pairs = Math.round(PAIRS * options.scale);
  const rows: BenchRow[] = [];
  for (const parallelism of [1, 2]) {
    const ctx = new DataflowContext({ parallelism });
    await ctx
      .range(0, 100, 1, parallelism)
      .map((x) => x)
      .count(); // start the workers before timing
    const slices = 8;
    const wc = await timed(() => ctx.job(wordCountJob, { lines, slices }).count());
    rows.push({
      name: `word count, parallelism ${parallelism}`,
      records: words,
      seconds: wc.seconds,
      note: `${wc.value} distinct words`,
    });
    const rbk = await timed(() =>
      ctx
        .range(0, pairs, 1, slices)
        .map((i): [number, number] => [i % 10_000, i])
        .reduceByKey((a, b) => a + b)
        .count(),
    );
    if (rbk.value !== KEYS) throw new Error(`reduceByKey produced ${rbk.value} keys, expected ${KEYS}`);
    rows.push({ name: `reduceByKey, parallelism ${parallelism}`, records: pairs, seconds: rbk.seconds });
    await ctx.stop();
    console.log(markdownTable(rows));
  }
  const mb = ((sampleBytes / 1000) * lines) / 2 ** 20;
  return [
    '## RDD engine (`npm run bench -- rdd`)',
    '',
    `Machine: ${machineLine()}. Scale ${options.scale}: word count over ${mb.toFixed(0)} MB of generated text`,
    `(${lines.toLocaleString('en-US')} lines, Zipf-distributed words; records = words), reduceByKey over`,
    `${pairs.toLocaleString('en-US')} pairs with ${KEYS.toLocaleString('en-US')} keys. Data is generated inside the`,
    'tasks, 8 partitions. Parallelism 2 runs tasks on 2 worker threads; on a 2-core machine the driver shares',
    'those cores. Single runs: expect ±10 % between runs on a shared machine.',
    '',
    markdownTable(rows),
  ].join('\n');
}
