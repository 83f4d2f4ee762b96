/**
 * `npm run bench -- serving`: requests/s and latency of `GET /v1/views/:view?key=…` (a batch view merged with
 * realtime increments from Redis), beside a bare fastify route returning a constant (the ceiling), both under the
 * same loopback load generator (autocannon) in the same run. Needs the local stack's Redis.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runBatch } from '@oxbow/batch';
import { loadConfig } from '@oxbow/config';
import { startServing } from '@oxbow/serving';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { ensureBenchLake } from '../batch/lake.ts';
import { machineLine } from '../report.ts';

const EVENTS = 200_000;
const DURATION_S = 10;
const CONNECTIONS = 10;

interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function load(name: string, url: string): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

/** Runs the suite and returns the Markdown section. */
export async function runServingSuite(options: { scale: number }): Promise<string> {
  const events = Math.round(EVENTS * options.scale);
  const lake = await ensureBenchLake({ events, root: resolve('.oxbow/bench') });
  const cacheDir = resolve('.oxbow/bench/serving-cache');
  rmSync(join(lake.dir, 'views'), { recursive: true, force: true });
  const { config } = await loadConfig({
    env: {
      ...process.env,
      OXBOW_LAKE: `${pathToFileURL(lake.dir).href}/`,
      OXBOW_REDIS_PREFIX: 'oxbow-bench-serving:',
      OXBOW_SERVING_CACHE_DIR: cacheDir,
      OXBOW_API_RATE_LIMIT: '100000000',
    },
    noFile: true,
  });
  const summary = await runBatch(config, { engine: 'auto', views: ['page_views_hourly'] });
  if (summary.status !== 'published') throw new Error(`the batch run did not publish (${summary.status})`);

  const serving = await startServing(config, { port: 0, host: '127.0.0.1' });
  const bare = Fastify({ logger: false });
  bare.get('/constant', async () => ({ view: 'constant', total: { hits: 1 } }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareAddress = bare.server.address();
  const barePort = typeof bareAddress === 'object' && bareAddress ? bareAddress.port : 0;
  try {
    const top = (await (
      await fetch(`${serving.url}/v1/views/page_views_hourly/top?by=hits&limit=1`)
    ).json()) as {
      keys?: Array<{ key: string }>;
      items?: Array<{ key: string }>;
    };
    const key = (top.keys ?? top.items ?? [])[0]?.key ?? '/';
    const viewUrl = `${serving.url}/v1/views/page_views_hourly?key=${encodeURIComponent(key)}`;
    const check = await fetch(viewUrl);
    if (check.status !== 200) throw new Error(`GET ${viewUrl} answered ${check.status}`);
    const rows = [
      await load('bare fastify route, constant JSON (ceiling)', `http://127.0.0.1:${barePort}/constant`),
      await load(`GET /v1/views/page_views_hourly?key=${key} (batch ⊕ realtime)`, viewUrl),
    ];
    const ceiling = rows[0]?.requestsPerSecond ?? 1;
    const table = [
      '| run | requests/s | p50 ms | p99 ms | vs ceiling | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${(r.requestsPerSecond / ceiling).toFixed(3)}× | ${r.non2xx} |`,
      ),
    ].join('\n');
    console.log(table);
    return [
      '## Serving (`npm run bench -- serving`)',
      '',
      `Machine: ${machineLine()}. A batch run over ${events.toLocaleString('en-US')} generated events publishes`,
      '`page_views_hourly`; the server answers for the busiest path over all time (every hourly bucket of the key:',
      `DuckDB lookup, sketch decode and merge, Redis epochs). autocannon, ${CONNECTIONS} connections, ${DURATION_S} s`,
      'each, on loopback; the load generator shares the 2 cores with the server, so both rows are lower than on',
      'separate machines. End-to-end freshness (produce → visible) is measured by the speed layer suite once it lands.',
      '',
      table,
    ].join('\n');
  } finally {
    await bare.close();
    await serving.close();
  }
}
