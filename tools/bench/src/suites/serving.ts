/**
 * `npm run bench -- serving`: the serving API under load, beside a bare fastify route returning a body of the
 * same size, each in a process of its own, with the load generator (autocannon) in a third, the speed layer in a
 * fourth writing realtime increments (events produced to Kafka throughout), and random keys drawn by Zipf's law
 * over the dataset's paths. Scale 1: 10 million events over 100 000 paths and a day and a half of one-hour
 * buckets (the batch version is built once and cached, see ../serving/dataset.ts). Measures requests/s and p50/p99
 * at the maximum and at half of it, `/top`, conditional requests (304), `/healthz` while expensive rankings are
 * flooding the API, the API's memory per million (key, bucket) cells, and end-to-end freshness. Needs the local
 * stack's Kafka and Redis. `OXBOW_BENCH_SERVING_SECONDS` (15) sets the length of each run,
 * `OXBOW_BENCH_SERVING_RATE` (500) the events/s produced meanwhile, `OXBOW_BENCH_SERVING_PROFILE=1` writes a CPU
 * profile of the API to `.oxbow/bench/serving-profiles/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '@oxbow/config';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { SeededRandom, WeightedIndex } from '@oxbow/views';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { machineLine } from '../report.ts';
import type { ApiReady } from '../serving/api-process.ts';
import type { BareReady } from '../serving/bare-process.ts';
import {
  BENCH_VIEW,
  benchEvent,
  benchPath,
  ensureServingDataset,
  type ServingDataset,
} from '../serving/dataset.ts';
import type { LoadResult, LoadSpec } from '../serving/load-process.ts';
import {
  type Child,
  cpuSecondsOf,
  deleteRedisPrefix,
  runChild,
  script,
  startChild,
} from '../serving/processes.ts';
import type { SpeedReady } from '../serving/speed-process.ts';

const PATH_EXPONENT = 1.0;
const CONNECTIONS = 32;

const seconds = Number(process.env.OXBOW_BENCH_SERVING_SECONDS ?? 15);
const produceRate = Number(process.env.OXBOW_BENCH_SERVING_RATE ?? 500);
const profile = process.env.OXBOW_BENCH_SERVING_PROFILE === '1';

const load1 = () => loadavg()[0] ?? Number.NaN;
const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

interface Row {
  readonly name: string;
  readonly result: LoadResult;
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** CPU microseconds the server process spent per answered request. */
  readonly cpuPerRequestUs?: number;
  /** The API's event-loop delay, 99th percentile, during the run (ms). */
  readonly loopP99?: number;
  readonly ratio?: number;
  readonly note?: string;
}

interface MemoryUsage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** The API process's event-loop delay since the last call (SIGWINCH), ms. */
async function loopDelayOf(api: Child<unknown>): Promise<{ p50: number; p99: number; max: number }> {
  const seen = api.lines.length;
  api.process.kill('SIGWINCH');
  for (let i = 0; i < 100; i++) {
    const line = api.lines.slice(seen).find((candidate) => candidate.startsWith('LOOP '));
    if (line !== undefined) return JSON.parse(line.slice(5)) as { p50: number; p99: number; max: number };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
}

/** Asks the API process (SIGUSR2) to collect garbage and report its memory. */
async function memoryOf(api: Child<unknown>): Promise<MemoryUsage> {
  const seen = api.lines.length;
  api.process.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const line = api.lines.slice(seen).find((candidate) => candidate.startsWith('MEMORY '));
    if (line !== undefined) return JSON.parse(line.slice(7)) as MemoryUsage;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the API did not report its memory');
}

/** Produces `rate` events/s to `topic` until stopped: half late (the batch part's last hours), half now. */
function startProducing(producer: Producer, topic: string, dataset: ServingDataset, rate: number) {
  const random = new SeededRandom(4711);
  const paths = WeightedIndex.zipf(dataset.paths, PATH_EXPONENT);
  const users = WeightedIndex.zipf(500_000, 1.05);
  let produced = 0;
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      const started = performance.now();
      const messages = Array.from({ length: Math.max(1, Math.round(rate / 10)) }, (_, i) => {
        const late = i % 2 === 0;
        const ts = late
          ? dataset.endMs - 3 * 3_600_000 + Math.floor(random.next() * 3 * 3_600_000)
          : Date.now();
        const event = benchEvent(random, benchPath(paths.draw(random)), users.draw(random), ts);
        return {
          key: String(event.path),
          value: JSON.stringify({ ...event, ts: new Date(ts).toISOString() }),
        };
      });
      await producer.send({ topic, messages, acks: 1 });
      produced += messages.length;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (performance.now() - started))));
    }
  };
  const running = tick();
  return {
    get produced() {
      return produced;
    },
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function metricOf(text: string, name: string): number {
  const match = new RegExp(`^${name} ([\\d.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Runs the suite and returns the Markdown section. */
export async function runServingSuite(options: { scale: number }): Promise<string> {
  const events = Math.round(10_000_000 * options.scale);
  const paths = options.scale >= 1 ? 100_000 : Math.max(10_000, Math.round(100_000 * options.scale));
  const loadAtStart = loadavg();
  const dataset = await ensureServingDataset({
    events,
    paths,
    pathExponent: PATH_EXPONENT,
    root: resolve('.oxbow/bench'),
    log: (line) => console.log(line),
  });
  console.log(
    `serving: dataset ${dataset.reused ? 'reused' : `built in ${fmt(dataset.builtSeconds)} s`}: ${dataset.events} events, ${dataset.keys} keys, ${dataset.cells} cells`,
  );

  const suffix = Math.random().toString(16).slice(2, 10);
  const topic = `bench-serving-${suffix}`;
  const prefix = `oxbow-bench-serving-${suffix}:`;
  const brokers = (process.env.OXBOW_KAFKA_BROKERS ?? '127.0.0.1:29092').split(',');
  const kafka = new Kafka({ clientId: 'oxbow-bench-serving', brokers, logLevel: logLevel.NOTHING });
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
  const env: NodeJS.ProcessEnv = {
    OXBOW_LAKE: `${pathToFileURL(dataset.lakeDir).href}/`,
    OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
    OXBOW_REDIS_PREFIX: prefix,
    OXBOW_EPOCH_MS: String(dataset.epochMs),
    OXBOW_SPEED_TOPICS: `${topic}:http_logs`,
    OXBOW_SPEED_GROUP_ID: `bench-serving-${suffix}`,
    OXBOW_SPEED_HEALTH_PORT: '0',
    OXBOW_API_RATE_LIMIT: '1000000000',
    OXBOW_SERVING_CACHE_DIR: resolve('.oxbow/bench/serving-cache'),
  };
  const producer = kafka.producer();
  await producer.connect();
  const children: Array<Child<unknown>> = [];
  let producing: ReturnType<typeof startProducing> | undefined;
  try {
    const speed = await startChild<SpeedReady>(script('speed-process.ts'), [], { env });
    children.push(speed);
    producing = startProducing(producer, topic, dataset, produceRate);
    const profileDir = resolve('.oxbow/bench/serving-profiles');
    if (profile) mkdirSync(profileDir, { recursive: true });
    const spawned = performance.now();
    const api = await startChild<ApiReady>(script('api-process.ts'), [], {
      env,
      execArgv: ['--expose-gc', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    });
    children.push(api);
    const startSeconds = (performance.now() - spawned) / 1000;
    const loaded = await memoryOf(api);
    const url = api.ready.url;
    await waitFor(
      async () => {
        const { views } = await getJson<{
          views: Array<{ name: string; merge: { realtimeEpochs: number[] } }>;
        }>(`${url}/v1/views`);
        return (views.find((view) => view.name === BENCH_VIEW)?.merge.realtimeEpochs.length ?? 0) > 0
          ? true
          : undefined;
      },
      180_000,
      'realtime epochs from the speed layer',
    );
    const sample = await fetch(`${url}/v1/views/${BENCH_VIEW}?key=${encodeURIComponent(benchPath(100))}`);
    const body = await sample.text();
    const bodyFile = join(resolve('.oxbow/bench'), `serving-body-${suffix}.json`);
    writeFileSync(bodyFile, body);
    const bare = await startChild<BareReady>(script('bare-process.ts'), [bodyFile]);
    children.push(bare);

    const loadSpec = (target: string, mode: LoadSpec['mode'], extra: Partial<LoadSpec> = {}): LoadSpec => ({
      url: target,
      mode,
      connections: CONNECTIONS,
      durationS: seconds,
      paths: dataset.paths,
      pathExponent: PATH_EXPONENT,
      seed: 1 + Math.floor(Math.random() * 1e6),
      startMs: dataset.startMs,
      ...extra,
    });
    const measure = async (
      spec: LoadSpec,
      server: Child<unknown> = api,
    ): Promise<{
      result: LoadResult;
      loadBefore: number;
      loadAfter: number;
      cpuPerRequestUs: number;
      loopP99?: number;
    }> => {
      const loadBefore = load1();
      if (server === api) await loopDelayOf(api);
      const cpuBefore = cpuSecondsOf(server.process.pid);
      const result = await runChild<LoadResult>(script('load-process.ts'), [JSON.stringify(spec)]);
      const cpuPerRequestUs =
        ((cpuSecondsOf(server.process.pid) - cpuBefore) * 1e6) / Math.max(1, result.total);
      const loop = server === api ? await loopDelayOf(api) : undefined;
      console.log(
        `serving: ${spec.mode} ${spec.rate ?? 'max'} → ${JSON.stringify(result)}, ${cpuPerRequestUs.toFixed(0)} µs CPU/request, loop ${JSON.stringify(loop)}`,
      );
      return {
        result,
        loadBefore,
        loadAfter: load1(),
        cpuPerRequestUs,
        ...(loop === undefined ? {} : { loopP99: loop.p99 }),
      };
    };

    // Warm-up: JIT, caches, the realtime mirror.
    await measure(loadSpec(url, 'answer', { durationS: 5 }));
    const rows: Row[] = [];
    // The maximum of both, twice, interleaved: the machine's load moves between runs.
    const pairs: Array<{
      bare: Awaited<ReturnType<typeof measure>>;
      api: Awaited<ReturnType<typeof measure>>;
    }> = [];
    for (let round = 1; round <= 2; round++) {
      const bareRun = await measure(loadSpec(bare.ready.url, 'bare'), bare);
      const apiRun = await measure(loadSpec(url, 'answer'));
      pairs.push({ bare: bareRun, api: apiRun });
      rows.push({ name: `bare fastify route, same body (ceiling), run ${round}`, ...bareRun, ratio: 1 });
      rows.push({
        name: `GET /v1/views/page_views_hourly?key=<Zipf key> (batch ⊕ realtime), run ${round}`,
        ...apiRun,
        ratio: apiRun.result.requestsPerSecond / bareRun.result.requestsPerSecond,
      });
    }
    const best = pairs.reduce((a, b) =>
      b.api.result.requestsPerSecond / b.bare.result.requestsPerSecond >
      a.api.result.requestsPerSecond / a.bare.result.requestsPerSecond
        ? b
        : a,
    );
    const bareMax = best.bare;
    const apiMax = best.api;
    const ceiling = bareMax.result.requestsPerSecond;
    const bareHalf = await measure(loadSpec(bare.ready.url, 'bare', { rate: Math.round(ceiling / 2) }), bare);
    rows.push({ name: `bare route at half its maximum (${fmt(ceiling / 2)} req/s)`, ...bareHalf });
    const apiHalfRate = Math.round(apiMax.result.requestsPerSecond / 2);
    const apiHalf = await measure(loadSpec(url, 'answer', { rate: apiHalfRate }));
    rows.push({ name: `API at half its maximum (${fmt(apiHalfRate)} req/s)`, ...apiHalf });
    const conditional = await measure(loadSpec(url, 'conditional'));
    const notModified = conditional.result.statuses['304'] ?? 0;
    rows.push({
      name: 'same, conditional (`If-None-Match` of the last ETag seen per key)',
      ...conditional,
      ratio: conditional.result.requestsPerSecond / ceiling,
      note: `${fmt((100 * notModified) / Math.max(1, conditional.result.total))} % answered 304`,
    });
    const topMax = await measure(loadSpec(url, 'top'));
    rows.push({
      name: `GET …/top?by=hits|uniqueUsers|latencyMs.p99&limit=10 over ${fmt(dataset.keys)} keys`,
      ...topMax,
    });
    const topHalfRate = Math.round(topMax.result.requestsPerSecond / 2);
    const topHalf = await measure(loadSpec(url, 'top', { rate: topHalfRate }));
    rows.push({ name: `/top at half its maximum (${fmt(topHalfRate)} req/s)`, ...topHalf });
    const healthIdle = await measure(loadSpec(url, 'healthz', { connections: 1, rate: 50, durationS: 5 }));
    rows.push({ name: '/healthz, 50 req/s, API otherwise idle', ...healthIdle });
    const abuseLoadBefore = load1();
    const [abuse, healthAbused] = await Promise.all([
      runChild<LoadResult>(script('load-process.ts'), [
        JSON.stringify(loadSpec(url, 'range-top', { connections: 16 })),
      ]),
      new Promise((resolve) => setTimeout(resolve, 1000)).then(() =>
        runChild<LoadResult>(script('load-process.ts'), [
          JSON.stringify(
            loadSpec(url, 'healthz', { connections: 1, rate: 50, durationS: Math.max(3, seconds - 2) }),
          ),
        ]),
      ),
    ]);
    rows.push({
      name: '/top over 12 different six-hour ranges, 16 connections (rankings built on demand, 2 at a time)',
      result: abuse,
      loadBefore: abuseLoadBefore,
      loadAfter: load1(),
      note: `${fmt((100 * (abuse.statuses['503'] ?? 0)) / Math.max(1, abuse.total))} % answered 503 (cap or time limit)`,
    });
    rows.push({
      name: '/healthz, 50 req/s, meanwhile',
      result: healthAbused,
      loadBefore: abuseLoadBefore,
      loadAfter: load1(),
    });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const cells = metricOf(metrics, 'oxbow_serving_batch_cells');
    const modelBytes = metricOf(metrics, 'oxbow_serving_batch_model_bytes');
    const after = await memoryOf(api);

    // End-to-end freshness: an event of a path seen nowhere else, until the API counts it.
    const freshness: number[] = [];
    for (let i = 0; i < 20; i++) {
      const path = `/fresh/${suffix}/${i}`;
      const random = new SeededRandom(i);
      const event = benchEvent(random, path, i, Date.now());
      const started = performance.now();
      await producer.send({
        topic,
        messages: [{ key: path, value: JSON.stringify({ ...event, ts: new Date().toISOString() }) }],
        acks: -1,
      });
      for (;;) {
        const answer = await getJson<{ total: { hits: number } }>(
          `${url}/v1/views/${BENCH_VIEW}?key=${encodeURIComponent(path)}`,
        );
        if (answer.total.hits >= 1) break;
        if (performance.now() - started > 30_000) throw new Error(`event ${i} not visible after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      freshness.push(performance.now() - started);
    }
    freshness.sort((a, b) => a - b);

    const table = [
      '| run | requests/s | p50 ms | p99 ms | vs bare | server CPU µs/request | API event-loop delay p99 ms | non-2xx/3xx | 1-min load avg before → after |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map(({ name, result, loadBefore, loadAfter, ratio, note, cpuPerRequestUs, loopP99 }) => {
        const bad = Object.entries(result.statuses)
          .filter(([code]) => !code.startsWith('2') && !code.startsWith('3'))
          .reduce((sum, [, count]) => sum + count, 0);
        return `| ${name}${note ? ` (${note})` : ''} | ${fmt(result.requestsPerSecond)} | ${result.p50} | ${result.p99} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`} | ${cpuPerRequestUs === undefined ? '' : fmt(cpuPerRequestUs)} | ${loopP99 === undefined ? '' : fmt(loopP99)} | ${bad + result.errors} | ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} |`;
      }),
    ].join('\n');
    const mib = (bytes: number) => fmt(bytes / 2 ** 20);
    const perMillion = (bytes: number) => fmt(bytes / 2 ** 20 / (cells / 1e6));
    const memory = [
      '| memory of the API process (after a full GC) | RSS MiB | JS heap MiB | array buffers MiB | RSS MiB per million cells |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| the batch version loaded (${fmt(cells)} cells, ${fmt(dataset.keys)} keys) | ${mib(loaded.rss)} | ${mib(loaded.heapUsed)} | ${mib(loaded.arrayBuffers)} | ${perMillion(loaded.rss)} |`,
      `| after the runs (answer cache ${mib(metricOf(metrics, 'oxbow_serving_answer_cache_bytes'))} MiB, realtime mirror) | ${mib(after.rss)} | ${mib(after.heapUsed)} | ${mib(after.arrayBuffers)} | ${perMillion(after.rss)} |`,
      `| the model alone (states, rendered values, addressing, rankings) | ${mib(modelBytes)} | | | ${perMillion(modelBytes)} |`,
    ].join('\n');
    const counters = `Over the runs the API probed Redis ${fmt(metricOf(metrics, 'oxbow_serving_realtime_probes_total'))} times (one round trip shared by the requests that arrived meanwhile), received ${fmt(metricOf(metrics, 'oxbow_serving_realtime_announcements_total'))} commit announcements, re-read ${fmt(metricOf(metrics, 'oxbow_serving_realtime_rereads_total'))} increments hashes and read everything ${fmt(metricOf(metrics, 'oxbow_serving_realtime_reloads_total'))} time(s); the answer cache had ${fmt(metricOf(metrics, 'oxbow_serving_answer_cache_hits_total'))} hits and ${fmt(metricOf(metrics, 'oxbow_serving_answer_cache_misses_total'))} misses. ${fmt(producing.produced)} events were produced during the runs.`;
    const freshnessLine = `End-to-end freshness (produce → counted by \`GET /v1/views/${BENCH_VIEW}?key=…\`, 1 s micro-batches, ${freshness.length} events one at a time): p50 ${fmt(percentile(freshness, 0.5))} ms, p99 ${fmt(percentile(freshness, 0.99))} ms, max ${fmt(freshness.at(-1) ?? Number.NaN)} ms.`;
    console.log(table);
    console.log(memory);
    console.log(counters);
    console.log(freshnessLine);
    return [
      '## Serving (`npm run bench -- serving`)',
      '',
      `Machine: ${machineLine()}; 1-minute load average ${loadAtStart[0]?.toFixed(2)} when the suite started (the machine is shared: every row gives it before and after). Batch part: ${fmt(dataset.events)} events over ${fmt(dataset.paths)} paths (Zipf, exponent ${PATH_EXPONENT}) and 500,000 users, ${(dataset.endMs - dataset.startMs) / 3_600_000} one-hour buckets: \`${BENCH_VIEW}\` of the web-analytics example (count, 5xx count, bytes, HyperLogLog users p=12, latency quantiles), ${fmt(dataset.cells)} (key, bucket) cells of ${fmt(dataset.keys)} keys, folded with the view's aggregator and published as the batch layer does (DuckDB file + manifest; built once and cached). Realtime part: the speed layer (its own process) consumes ${fmt(produceRate)} events/s produced throughout (half of them late, into the batch part's last three hours, half now), so every answer of a touched key merges batch and realtime states of the same buckets. The API, the bare fastify peer and autocannon (${CONNECTIONS} connections, ${seconds} s per run, keys drawn by Zipf's law over the paths) each run in a process of their own, on loopback; all of them, Kafka, Redis and the speed layer share the 2 cores. The API started in ${fmt(startSeconds, 1)} s (manifest, DuckDB file, every cell loaded and presented, key totals, rankings). The bare route returns a real answer of the API (${fmt(body.length)} bytes). At half the maximum, autocannon paces requests (latency measured from each request's send).`,
      '',
      table,
      '',
      memory,
      '',
      counters,
      '',
      freshnessLine,
    ].join('\n');
  } finally {
    await producing?.stop().catch(() => {});
    await producer.disconnect().catch(() => {});
    for (const child of children.reverse()) await child.stop().catch(() => {});
    await deleteRedisPrefix(
      (await loadConfig({ env: { ...process.env, ...env }, noFile: true })).config.redisUrl,
      prefix,
    ).catch((error: unknown) =>
      console.error(`serving: could not delete the run's Redis keys: ${String(error)}`),
    );
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [topic] }).catch(() => {});
    await cleanup.disconnect();
  }
}
