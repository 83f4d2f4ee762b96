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
import { startSpeed } from '@oxbow/speed';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
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

const FRESHNESS_SAMPLES = 30;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * End-to-end freshness: with the speed layer and the API running on a fresh topic, one event at a time with a
 * path seen nowhere else; the time from the produce call until `GET /v1/views/page_views_hourly?key=<path>`
 * counts it. Milliseconds, sorted.
 */
async function measureFreshness(lakeUrl: string, cacheDir: string): Promise<number[]> {
  const suffix = Math.random().toString(16).slice(2, 10);
  const topic = `bench-fresh-${suffix}`;
  const brokers = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
  const kafka = new Kafka({ clientId: 'oxbow-bench-fresh', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 3,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
    ],
  });
  await admin.disconnect();
  const { config } = await loadConfig({
    env: {
      ...process.env,
      OXBOW_LAKE: lakeUrl,
      OXBOW_REDIS_PREFIX: `oxbow-bench-fresh-${suffix}:`,
      OXBOW_SPEED_TOPICS: `${topic}:http_logs`,
      OXBOW_SPEED_GROUP_ID: `bench-fresh-${suffix}`,
      OXBOW_SPEED_HEALTH_PORT: '0',
      OXBOW_SERVING_CACHE_DIR: cacheDir,
      OXBOW_API_RATE_LIMIT: '100000000',
    },
    noFile: true,
  });
  const speed = await startSpeed(config);
  const serving = await startServing(config, { port: 0, host: '127.0.0.1' });
  const producer = kafka.producer();
  await producer.connect();
  const samples: number[] = [];
  try {
    for (let i = 0; i < FRESHNESS_SAMPLES; i++) {
      const path = `/fresh/${suffix}/${i}`;
      const event = {
        ts: new Date().toISOString(),
        host: 'bench',
        method: 'GET',
        path,
        status: 200,
        bytes: 100,
        latencyMs: 5,
        userId: `u${i}`,
        country: 'NL',
        userAgent: 'bench',
      };
      const started = performance.now();
      await producer.send({ topic, messages: [{ key: path, value: JSON.stringify(event) }], acks: -1 });
      for (;;) {
        const response = await fetch(
          `${serving.url}/v1/views/page_views_hourly?key=${encodeURIComponent(path)}`,
        );
        const body = (await response.json()) as { total?: { hits?: number } };
        if ((body.total?.hits ?? 0) >= 1) break;
        if (performance.now() - started > 30_000) throw new Error(`event ${i} not visible after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      samples.push(performance.now() - started);
    }
  } finally {
    await producer.disconnect();
    await serving.close();
    await speed.stop();
  }
  return samples.sort((a, b) => a - b);
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
    const freshness = await measureFreshness(`${pathToFileURL(lake.dir).href}/`, cacheDir);
    const ceiling = rows[0]?.requestsPerSecond ?? 1;
    const table = [
      '| run | requests/s | p50 ms | p99 ms | vs ceiling | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${(r.requestsPerSecond / ceiling).toFixed(3)}× | ${r.non2xx} |`,
      ),
    ].join('\n');
    const freshnessLine = `End-to-end freshness (produce → counted by \`GET /v1/views/page_views_hourly?key=…\`, speed layer with 1 s batches, ${freshness.length} events one at a time): p50 ${Math.round(percentile(freshness, 0.5))} ms, p99 ${Math.round(percentile(freshness, 0.99))} ms, max ${Math.round(freshness.at(-1) ?? 0)} ms.`;
    console.log(table);
    console.log(freshnessLine);
    return [
      '## Serving (`npm run bench -- serving`)',
      '',
      `Machine: ${machineLine()}. A batch run over ${events.toLocaleString('en-US')} generated events publishes`,
      '`page_views_hourly`; the server answers for the busiest path over all time (every hourly bucket of the key:',
      `DuckDB lookup, sketch decode and merge, Redis epochs). autocannon, ${CONNECTIONS} connections, ${DURATION_S} s`,
      'each, on loopback; the load generator shares the 2 cores with the server, so both rows are lower than on',
      'separate machines.',
      '',
      table,
      '',
      freshnessLine,
    ].join('\n');
  } finally {
    await bare.close();
    await serving.close();
  }
}
