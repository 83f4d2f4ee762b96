import { hash64 } from './src/aggregators/hash.ts';
const P = 12;
const idx = (s: string) => hash64(s, { high: 0, low: 0 }).high >>> (32 - P);
const id = (r: number) => `u${String(r).padStart(6, '0')}`;
for (const N of [100, 500, 1000, 4096, 20000]) {
  const counts = new Map<number, number>();
  for (let r = 1; r <= N; r++) { const i = idx(id(r)); counts.set(i, (counts.get(i) ?? 0) + 1); }
  let pairs = 0; for (const c of counts.values()) pairs += (c * (c - 1)) / 2;
  const expected = (N * (N - 1)) / 2 / 4096;
  console.log(`N=${N}: occupied ${counts.size}, colliding pairs ${pairs}, expected ${expected.toFixed(1)}`);
}
// random strings comparison
const rnd = () => Math.random().toString(36).slice(2, 9);
{ const N=1000; const counts = new Map<number, number>();
  for (let r = 1; r <= N; r++) { const i = idx(rnd()); counts.set(i, (counts.get(i) ?? 0) + 1); }
  let pairs = 0; for (const c of counts.values()) pairs += (c * (c - 1)) / 2;
  console.log(`random N=${N}: colliding pairs ${pairs}, expected ${((N*(N-1))/2/4096).toFixed(1)}`); }
