import { DataflowContext } from './src/index.ts';

for (const parallelism of [1, 2]) {
  const ctx = new DataflowContext({ parallelism });
  await ctx
    .range(0, 1000, 1, 4)
    .map((i) => i)
    .count();
  for (const n of [10_000_000]) {
    const t = performance.now();
    const r = await ctx
      .range(0, n, 1, 8)
      .map((i): [number, number] => [i % 10000, i])
      .reduceByKey((a, b) => a + b)
      .count();
    const ms = performance.now() - t;
    console.log(parallelism, r, Math.round(ms), 'ms', Math.round((n / ms) * 1000), 'rec/s');
  }
  await ctx.stop();
}
