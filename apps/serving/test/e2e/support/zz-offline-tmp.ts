import { generateHttpLogs, PAGE_VIEWS_HLL_PRECISION } from '@oxbow/views';
import { hyperLogLog, fold, estimateCardinality, hyperLogLogStandardError } from '@oxbow/dataflow';
const EVENTS = Number(process.env.N ?? 300000);
const sigma = hyperLogLogStandardError(12);
const agg = hyperLogLog((e: { userId: string }) => e.userId, { precision: PAGE_VIEWS_HLL_PRECISION });
function run(seed: number, chunks: number[]) {
  const httpCount = Math.round(EVENTS * 0.9);
  const startMs = Date.now() - 3 * 3600000 + Number(process.env.OFF ?? 0);
  const http = [...generateHttpLogs({ count: httpCount, seed, startMs, ratePerSec: httpCount / 7200 })];
  let cellsTotal = 0, fails: string[] = [];
  for (const c of chunks) {
    const through = http.slice(0, Math.round((http.length * (c + 1)) / 10));
    const groups = new Map<string, typeof through>();
    for (const e of through) {
      const b = Math.floor(Date.parse(e.ts) / 3600000);
      for (const g of [`${e.path} total`, `${e.path} @ ${b}`]) { const l = groups.get(g) ?? []; l.push(e); groups.set(g, l); }
    }
    let out3 = 0, buckets = 0;
    for (const [g, evs] of groups) {
      const exact = new Set(evs.map((e) => e.userId)).size;
      const est = estimateCardinality(fold(agg, evs));
      const err = Math.abs(est - exact);
      if (!g.endsWith(' total')) { buckets++; if (err > 3 * sigma * exact) out3++; }
      cellsTotal++;
      if (err > Math.max(5 * sigma * exact, 3)) fails.push(`seed ${seed} chunk ${c} ${g}: ${est.toFixed(2)} vs ${exact}`);
    }
    if (out3 > Math.max(1, Math.floor(buckets / 100))) fails.push(`seed ${seed} chunk ${c}: ${out3} buckets outside 3σ of ${buckets}`);
  }
  return { cellsTotal, fails };
}
const r1 = run(2026, [2, 5, 9]); const r2 = run(4242, [3, 3, 5, 7, 9]);
console.log(EVENTS, 'clean', r1.cellsTotal, r1.fails, 'fault', r2.cellsTotal, r2.fails);
