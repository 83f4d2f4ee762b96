/**
 * Smoke test of `npm run bench -- batch`: the whole suite at a tiny scale (2,000 http_logs events) without the
 * Spark peer and the s3:// case, in a temporary directory. It fails if any process fails, if the engines disagree
 * on rows or counts, or if Oxbow's runs that must agree (auto and RDD, incremental and full, spilled and not)
 * publish different states — the suite throws then. Figures are not asserted: speed belongs to the benchmark.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchSuite } from './batch.ts';

const roots: string[] = [];

afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe('the batch benchmark suite', () => {
  it('runs every engine in its own process and checks the results agree', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oxbow-bench-batch-'));
    roots.push(root);
    const section = await runBatchSuite({ scale: 0.0002, spark: false, s3: false, root, repeats: 2 });
    expect(section).toContain('## Batch recompute');
    for (const row of [
      '| Oxbow auto (SQL-compiled), full, file:// |',
      '| Oxbow RDD path, full, file:// |',
      '| DuckDB SQL, hand-written, → DuckDB file |',
      '| Oxbow auto, incremental (one new epoch) |',
      '| Oxbow auto, full (after the new epoch) |',
    ]) {
      expect(section).toContain(row);
    }
    expect(section).toContain('every view of the example compiled');
    expect(section).toMatch(/median of 2 runs \(wall [\d.]+, [\d.]+ s\)/);
    expect(section).toMatch(/RDD path, full, memory budget/);
  }, 300_000);
});
