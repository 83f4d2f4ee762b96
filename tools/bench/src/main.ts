/**
 * `npm run bench -- <suite> [--scale X]`: runs a benchmark suite and writes its section of docs/benchmarks.md.
 * Suites: rdd, streaming, serving, batch, archiver.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSection } from './report.ts';
import { runArchiverSuite } from './suites/archiver.ts';
import { runBatchSuite } from './suites/batch.ts';
import { runRddSuite } from './suites/rdd.ts';
import { runServingSuite } from './suites/serving.ts';
import { runStreamingSuite } from './suites/streaming.ts';

const SUITES: Record<string, (options: { scale: number }) => Promise<string>> = {
  rdd: runRddSuite,
  streaming: runStreamingSuite,
  serving: runServingSuite,
  batch: runBatchSuite,
  archiver: runArchiverSuite,
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    scale: { type: 'string', default: '1' },
    report: { type: 'string', default: 'docs/benchmarks.md' },
  },
});
const names = positionals.length > 0 ? positionals : Object.keys(SUITES);
const scale = Number(values.scale);
if (!Number.isFinite(scale) || scale <= 0) {
  console.error(`--scale must be a positive number, got ${values.scale}`);
  process.exit(2);
}
for (const name of names) {
  const suite = SUITES[name];
  if (!suite) {
    console.error(`unknown suite ${name}; suites: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  const section = await suite({ scale });
  writeSection(resolve(values.report), name, section);
  console.log(`bench ${name}: written to ${values.report}`);
}
