import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { serveOperations } from './operations-server.ts';
import { exposition, lagSamples, scrapedCounter, scrapedGauge } from './prometheus.ts';
import { writeMetricsTextfile } from './textfile.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('scraped metrics', () => {
  it('read the app counters and gauges at every scrape, typed as declared', async () => {
    const registry = new Registry();
    let files = 2;
    let lag: Record<string, string> = { 'web-logs:0': '5', 'web-logs:1': '0' };
    scrapedCounter({ name: 'test_files_total', help: 'Files.', registry, read: () => files });
    scrapedGauge({
      name: 'test_lag_records',
      help: 'Lag.',
      labelNames: ['topic', 'partition'],
      registry,
      read: () => lagSamples(lag),
    });
    const first = await registry.metrics();
    expect(first).toContain('# TYPE test_files_total counter\ntest_files_total 2\n');
    expect(first).toContain('test_lag_records{topic="web-logs",partition="0"} 5');
    files = 7;
    lag = { 'web-logs:1': '3' };
    const second = await registry.metrics();
    expect(second).toContain('test_files_total 7');
    expect(second).toContain('test_lag_records{topic="web-logs",partition="1"} 3');
    expect(second).not.toContain('partition="0"');
  });

  it('adds the process metrics to an exposition', async () => {
    const registry = new Registry();
    scrapedGauge({ name: 'test_one', help: 'One.', registry, read: () => 1 });
    const text = await exposition(registry);
    expect(text).toContain('test_one 1');
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(await exposition(registry, false)).not.toContain('process_cpu_seconds_total');
  });
});

describe('serveOperations', () => {
  it('answers /healthz by the health probe and /metrics in the text format', async () => {
    const registry = new Registry();
    scrapedGauge({ name: 'test_up', help: 'Up.', registry, read: () => 1 });
    let healthy = true;
    const ops = await serveOperations({
      port: 0,
      registry,
      health: () => ({ healthy, body: { state: healthy ? 'running' : 'stopped' } }),
    });
    cleanups.push(() => ops.close());
    const metrics = await fetch(`${ops.url}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('test_up 1');
    expect(await (await fetch(`${ops.url}/healthz`)).json()).toEqual({ healthy: true, state: 'running' });
    healthy = false;
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${ops.url}/nothing`)).status).toBe(404);
  });
});

describe('writeMetricsTextfile', () => {
  it('replaces the file with the registry metrics and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oxbow-textfile-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const registry = new Registry();
    let runs = 1;
    scrapedCounter({ name: 'test_runs_total', help: 'Runs.', registry, read: () => runs });
    const path = join(dir, 'oxbow_batch.prom');
    await writeMetricsTextfile(path, registry);
    runs = 2;
    await writeMetricsTextfile(path, registry);
    expect(await readFile(path, 'utf8')).toContain('test_runs_total 2');
    expect(await readdir(dir)).toEqual(['oxbow_batch.prom']);
  });
});
