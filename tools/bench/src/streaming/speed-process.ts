/**
 * The speed layer under benchmark, run as its own process with the app's own defaults: `startSpeed` on the
 * configuration of its environment (`OXBOW_*`, set by the suite: project, topics, Redis prefix, lake), exactly as
 * `oxbow speed` runs it. It prints JSON lines on stdout: `{ "event": "started" }` once consuming, then after every
 * batch `{ "event": "batch", records, cachedCells, cachedCellBytes, lagRecords, rssBytes }`; on SIGTERM it stops
 * gracefully and prints `{ "event": "stopped" }`. With `OXBOW_BENCH_NO_LIVE_VIEWS=1` it maintains the views only
 * (how much memory the cells take, without the live views' state beside them). Started with `--expose-gc`, it
 * answers a `gc` line on stdin with a full collection and `{ "event": "memory", rssBytes, heapUsedBytes,
 * arrayBufferBytes }`.
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '@oxbow/config';
import { startSpeed } from '@oxbow/speed';
import { rssBytesOfProcess } from './proc.ts';

const { config } = await loadConfig({ env: process.env, noFile: true });
const speed = await startSpeed(config, {
  log: (line) => process.stderr.write(`${line}\n`),
  ...(process.env.OXBOW_BENCH_NO_LIVE_VIEWS === '1' ? { liveViews: false as const } : {}),
});
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
print({ event: 'started', rssBytes: rssBytesOfProcess() });
const collect = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'gc' || collect === undefined) return;
  collect();
  collect();
  const usage = process.memoryUsage();
  print({
    event: 'memory',
    rssBytes: rssBytesOfProcess(),
    heapUsedBytes: usage.heapUsed,
    arrayBufferBytes: usage.arrayBuffers,
  });
});
let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
  void speed.stop().then(() => {
    print({ event: 'stopped' });
    process.exit(0);
  });
});
while (!stopping) {
  await speed.nextBatch();
  const status = speed.status();
  print({
    event: 'batch',
    records: status.records,
    cachedCells: status.cachedCells,
    cachedCellBytes: status.cachedCellBytes,
    lagRecords: status.lagRecords,
    lastBatchMs: status.lastBatchMs,
    rssBytes: rssBytesOfProcess(),
  });
}
