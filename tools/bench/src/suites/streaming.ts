/**
 * `npm run bench -- streaming`: the speed layer (`startSpeed`, the app's own defaults) running the web-analytics
 * example — every view and live view — beside a bare consumer of the Kafka client Oxbow ships that only
 * `JSON.parse`s the same events (the ceiling). Producer, bare consumer and speed layer are separate processes;
 * CPU and RSS come from /proc, Redis memory from `MEMORY USAGE` of the speed layer's keys. Two runs:
 *
 * 1. **Backlog**: the events already wait in a 3-partition topic (a day and a half of event time, thousands of
 *    paths, hundreds of thousands of users); the bare consumer and then the speed layer read them from the start.
 * 2. **Steady**: a fresh topic fed at half the rate the speed layer caught up at (the most it can sustain is what
 *    it catches up at), while one marker event a second measures freshness: from the produce call until
 *    `GET /v1/views/page_views_hourly?key=<marker path>` of the serving API counts it.
 *
 * When a Redis Cluster answers at `OXBOW_BENCH_REDIS_CLUSTER_URL` (default the local stack's,
 * `oxbow stack up --with redis-cluster`), the views-only backlog runs once more on it (`OXBOW_REDIS_CLUSTER=yes`).
 *
 * Needs the local stack. Every number comes with the 1-minute load average: the machine is shared.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '@oxbow/config';
import { createRedisClient, type RedisClient, scanKeys, unlinkKeys } from '@oxbow/connectors';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { startServing } from '@oxbow/serving';
import { Kafka, logLevel } from 'kafkajs';
import { machineLine } from '../report.ts';
import {
  BENCH_BROKERS,
  type BenchChild,
  createTopics,
  deletePrefix,
  deleteTopics,
  ProcessSampler,
  type RedisFootprint,
  redisFootprint,
  runChild,
  startChild,
} from '../streaming/harness.ts';
import { loadAverage } from '../streaming/proc.ts';
import { RespClient } from '../streaming/resp.ts';

const EVENTS = 300_000;
/** Sensor readings beside the HTTP logs, so the example's sensor view and live view run too. */
const SENSOR_SHARE = 0.01;
const STEADY_SECONDS = 60;
const REDIS_URL = process.env.OXBOW_REDIS_URL ?? 'redis://127.0.0.1:26379';
const CLUSTER_URL = process.env.OXBOW_BENCH_REDIS_CLUSTER_URL ?? 'redis://127.0.0.1:26381';
const BATCH_MS = 1000;

/** One measured run. */
interface Run {
  readonly name: string;
  readonly events: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const perSecond = (run: Run) => run.events / run.seconds;
const cpuMicrosPerEvent = (run: Run) => (run.cpuSeconds * 1e6) / run.events;
const number = (value: number) => Math.round(value).toLocaleString('en-US');

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The environment of a speed process: the example project on the given topics, defaults otherwise. */
function speedEnv(names: {
  http: string;
  sensors: string;
  prefix: string;
  lake: string;
}): Record<string, string> {
  return {
    OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
    OXBOW_SPEED_TOPICS: `${names.http}:http_logs,${names.sensors}:sensor_readings`,
    OXBOW_REDIS_PREFIX: names.prefix,
    OXBOW_SPEED_GROUP_ID: `${names.prefix}speed`,
    OXBOW_LAKE: names.lake,
    OXBOW_SPEED_HEALTH_PORT: '0',
    OXBOW_SPEED_BATCH_MS: String(BATCH_MS),
  };
}

/** Stops a speed process gracefully. */
async function stopSpeed(speed: BenchChild): Promise<void> {
  speed.child.kill('SIGTERM');
  const timer = setTimeout(() => speed.child.kill('SIGKILL'), 60_000);
  await speed.exited;
  clearTimeout(timer);
}

const committed = (line: Record<string, unknown>) => Number(line.records ?? 0);

interface BacklogResult {
  readonly bare: Run;
  readonly speed: Run;
  /** The same backlog with the views only (no live view). */
  readonly viewsOnly: Run;
  readonly footprint: RedisFootprint;
  /** Cells the views-only run held in memory at the end, and its memory after a full collection at both ends. */
  readonly cachedCells: number;
  readonly cachedCellBytes: number;
  readonly viewsOnlyBefore: Collected | undefined;
  readonly viewsOnlyAfter: Collected | undefined;
  readonly rssAtEndBytes: number;
  /** The views-only backlog on a three-node Redis Cluster, when one answered. */
  readonly viewsOnlyCluster: Run | undefined;
}

/** A client of the Redis Cluster at `url`, or undefined when none answers within a few seconds. */
async function reachableCluster(url: string): Promise<RedisClient | undefined> {
  const client = createRedisClient({
    url,
    cluster: true,
    redisOptions: { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 1 },
  });
  client.on('error', () => {});
  const timeout = sleep(5000).then(() => {
    throw new Error('no answer');
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
    return client;
  } catch {
    client.disconnect();
    return undefined;
  }
}

/** Deletes every key under `prefix` on every master of a cluster. */
async function deleteClusterPrefix(cluster: RedisClient, prefix: string): Promise<void> {
  await scanKeys(cluster, `${prefix}*`, async (keys) => {
    await unlinkKeys(cluster, keys);
  });
}

/** Memory of a speed process after a full collection (`--expose-gc`, a `gc` line on its stdin). */
interface Collected {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly arrayBufferBytes: number;
}

async function collected(speed: BenchChild): Promise<Collected> {
  const before = speed.lines.length;
  speed.child.stdin?.write('gc\n');
  const line = await speed.waitFor(
    (candidate) => candidate.event === 'memory' && speed.lines.indexOf(candidate) >= before,
    60_000,
    'a full collection',
  );
  return {
    rssBytes: Number(line.rssBytes),
    heapUsedBytes: Number(line.heapUsedBytes),
    arrayBufferBytes: Number(line.arrayBufferBytes),
  };
}

/**
 * One speed process over a backlog: from consuming to every record committed. With `measureMemory`, it runs
 * with `--expose-gc` and its memory is taken after a full collection right after it started and at the end.
 */
async function speedBacklog(
  name: string,
  names: { http: string; sensors: string; prefix: string; lake: string },
  total: number,
  env: Record<string, string> = {},
  measureMemory = false,
): Promise<{ run: Run; last: Record<string, unknown>; rssAtEnd: number; memory?: [Collected, Collected] }> {
  const loadBefore = loadAverage();
  const speed = startChild(
    'speed-process.ts',
    [],
    { ...speedEnv(names), ...env },
    measureMemory ? ['--expose-gc'] : [],
  );
  try {
    await speed.waitFor((line) => line.event === 'started', 120_000, 'the speed layer to start');
    const first = measureMemory ? await collected(speed) : undefined;
    const sampler = new ProcessSampler(speed.pid);
    const startedAt = performance.now();
    const last = await speed.waitFor(
      (line) => committed(line) >= total,
      1_800_000,
      'the backlog to be committed',
    );
    const seconds = (performance.now() - startedAt) / 1000;
    const cpuSeconds = sampler.cpuSeconds();
    sampler.stop();
    const run: Run = {
      name,
      events: total,
      seconds,
      cpuSeconds,
      maxRssBytes: sampler.maxRssBytes,
      loadBefore,
      loadAfter: loadAverage(),
    };
    console.log(`${name}: ${JSON.stringify(run)}`);
    const rssAtEnd = sampler.lastRssBytes;
    if (first === undefined) return { run, last, rssAtEnd };
    return { run, last, rssAtEnd, memory: [first, await collected(speed)] };
  } finally {
    await stopSpeed(speed);
  }
}

async function backlogRuns(events: number, redis: RespClient, lakeDir: string): Promise<BacklogResult> {
  const id = randomUUID().slice(0, 8);
  const topics = { http: `bench-streaming-http-${id}`, sensors: `bench-streaming-sensors-${id}` };
  const names = {
    ...topics,
    prefix: `oxbow-bench-streaming-${id}:`,
    lake: `${pathToFileURL(lakeDir).href}/backlog/`,
  };
  const viewsOnlyNames = {
    ...topics,
    prefix: `oxbow-bench-streaming-views-${id}:`,
    lake: `${pathToFileURL(lakeDir).href}/backlog-views/`,
  };
  const sensorReadings = Math.round(events * SENSOR_SHARE);
  const total = events + sensorReadings;
  await createTopics([names.http, names.sensors]);
  try {
    await Promise.all([
      runChild('producer-process.ts', ['backlog', names.http, String(events), '42', 'http']),
      runChild('producer-process.ts', ['backlog', names.sensors, String(sensorReadings), '42', 'sensors']),
    ]);
    const loadBefore = loadAverage();
    const bareResult = await runChild('bare-consumer-process.ts', [names.http, String(events)]);
    const bare: Run = {
      name: 'bare kafkajs consumer + JSON.parse (ceiling)',
      events,
      seconds: Number(bareResult.seconds),
      cpuSeconds: Number(bareResult.cpuSeconds),
      maxRssBytes: Number(bareResult.rssBytes),
      loadBefore,
      loadAfter: loadAverage(),
    };
    console.log(`bare consumer: ${JSON.stringify(bare)}`);
    try {
      const all = await speedBacklog(
        'Oxbow speed layer catching up on the backlog (every view and live view)',
        names,
        total,
      );
      const footprint = await redisFootprint(redis, names.prefix);
      console.log(`redis: ${JSON.stringify(footprint)}`);
      await deletePrefix(redis, names.prefix);
      const viewsOnly = await speedBacklog(
        'Oxbow speed layer catching up, the views only (no live view)',
        viewsOnlyNames,
        total,
        { OXBOW_BENCH_NO_LIVE_VIEWS: '1' },
        true,
      );
      const [start, end] = viewsOnly.memory ?? [undefined, undefined];
      const viewsOnlyCluster = await clusterBacklog(
        {
          ...topics,
          prefix: `oxbow-bench-streaming-cluster-${id}:`,
          lake: `${pathToFileURL(lakeDir).href}/backlog-cluster/`,
        },
        total,
      );
      return {
        bare,
        speed: all.run,
        viewsOnly: viewsOnly.run,
        footprint,
        cachedCells: Number(viewsOnly.last.cachedCells ?? 0),
        cachedCellBytes: Number(viewsOnly.last.cachedCellBytes ?? 0),
        viewsOnlyBefore: start,
        viewsOnlyAfter: end,
        rssAtEndBytes: all.rssAtEnd,
        viewsOnlyCluster,
      };
    } finally {
      await deletePrefix(redis, names.prefix);
      await deletePrefix(redis, viewsOnlyNames.prefix);
    }
  } finally {
    await deleteTopics([names.http, names.sensors]);
  }
}

/** The views-only backlog on the Redis Cluster at {@link CLUSTER_URL}; undefined when none answers. */
async function clusterBacklog(
  names: { http: string; sensors: string; prefix: string; lake: string },
  total: number,
): Promise<Run | undefined> {
  const cluster = await reachableCluster(CLUSTER_URL);
  if (cluster === undefined) {
    console.log(`no Redis Cluster at ${CLUSTER_URL}: the cluster run is skipped`);
    return undefined;
  }
  try {
    const { run } = await speedBacklog(
      'Oxbow speed layer catching up, the views only, on a three-node Redis Cluster',
      names,
      total,
      { OXBOW_BENCH_NO_LIVE_VIEWS: '1', OXBOW_REDIS_CLUSTER: 'yes', OXBOW_REDIS_URL: CLUSTER_URL },
    );
    return run;
  } finally {
    await deleteClusterPrefix(cluster, names.prefix);
    cluster.disconnect();
  }
}

interface SteadyResult {
  readonly run: Run;
  readonly rate: number;
  readonly freshnessMs: number[];
  /** How long after the producer finished the speed layer had committed everything (ms). */
  readonly drainMs: number;
  readonly lateChunks: number;
  readonly rssAtEndBytes: number;
}

export async function steadyRun(
  rate: number,
  seconds: number,
  lakeDir: string,
  redis: RespClient,
): Promise<SteadyResult> {
  const id = randomUUID().slice(0, 8);
  const names = {
    http: `bench-steady-http-${id}`,
    sensors: `bench-steady-sensors-${id}`,
    prefix: `oxbow-bench-steady-${id}:`,
    lake: `${pathToFileURL(lakeDir).href}/steady/`,
  };
  await createTopics([names.http, names.sensors]);
  const speed = startChild('speed-process.ts', [], speedEnv(names));
  const { config } = await loadConfig({
    env: {
      ...process.env,
      ...speedEnv(names),
      OXBOW_SERVING_CACHE_DIR: join(lakeDir, 'serving-cache'),
      OXBOW_API_RATE_LIMIT: '100000000',
    },
    noFile: true,
  });
  const kafka = new Kafka({
    clientId: 'oxbow-bench-fresh',
    brokers: BENCH_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  let serving: Awaited<ReturnType<typeof startServing>> | undefined;
  try {
    await speed.waitFor((line) => line.event === 'started', 120_000, 'the speed layer to start');
    serving = await startServing(config, { port: 0, host: '127.0.0.1' });
    await producer.connect();
    const loadBefore = loadAverage();
    const sampler = new ProcessSampler(speed.pid);
    const started = performance.now();
    const feeding = runChild('producer-process.ts', [
      'steady',
      names.http,
      String(rate),
      String(seconds),
      '7',
    ]);
    // One marker a second, each with a path of its own, polled until the API counts it.
    const marker = async (index: number): Promise<number> => {
      const path = `/fresh/${id}/${index}`;
      const event = {
        ts: new Date().toISOString(),
        host: 'bench',
        method: 'GET',
        path,
        status: 200,
        bytes: 100,
        latencyMs: 5,
        userId: `fresh-${index}`,
        country: 'NL',
        userAgent: 'bench',
      };
      const sent = performance.now();
      await producer.send({
        topic: names.http,
        messages: [{ key: event.userId, value: JSON.stringify(event) }],
        acks: -1,
      });
      const url = `${serving?.url}/v1/views/page_views_hourly?key=${encodeURIComponent(path)}`;
      for (;;) {
        // A keep-alive connection the server just closed fails a request now and then: ask again.
        const body = (await fetch(url)
          .then((response) => response.json())
          .catch(() => ({}))) as { total?: { hits?: number } };
        if ((body.total?.hits ?? 0) >= 1) return performance.now() - sent;
        if (performance.now() - sent > 120_000) throw new Error(`marker ${path} not visible after 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const markers: Array<Promise<number>> = [];
    const ticker = setInterval(() => {
      const measured = marker(markers.length);
      measured.catch(() => undefined); // awaited below
      markers.push(measured);
    }, 1000);
    let fed: Record<string, unknown>;
    try {
      fed = await feeding;
    } finally {
      clearInterval(ticker);
    }
    const freshness = await Promise.all(markers);
    const producedAt = performance.now();
    const total = Number(fed.sent) + markers.length;
    await speed.waitFor((line) => committed(line) >= total, 600_000, 'the steady events to be committed');
    const drainMs = performance.now() - producedAt;
    const cpuSeconds = sampler.cpuSeconds();
    sampler.stop();
    const run: Run = {
      name: `Oxbow speed layer at a steady ${number(rate)} events/s (half the backlog rate), ${seconds} s`,
      events: total,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds,
      maxRssBytes: sampler.maxRssBytes,
      loadBefore,
      loadAfter: loadAverage(),
    };
    console.log(`speed steady: ${JSON.stringify(run)}, drained ${Math.round(drainMs)} ms after the producer`);
    return {
      run,
      rate,
      freshnessMs: freshness.sort((a, b) => a - b),
      drainMs,
      lateChunks: Number(fed.lateChunks ?? 0),
      rssAtEndBytes: sampler.lastRssBytes,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await serving?.close();
    await stopSpeed(speed);
    await deletePrefix(redis, names.prefix);
    await deleteTopics([names.http, names.sensors]);
  }
}

/** Runs the suite and returns the Markdown section. */
export async function runStreamingSuite(options: { scale: number }): Promise<string> {
  const events = Math.round(EVENTS * options.scale);
  const lakeDir = mkdtempSync(join(tmpdir(), 'oxbow-bench-streaming-'));
  const redis = new RespClient(REDIS_URL);
  try {
    const backlog = await backlogRuns(events, redis, lakeDir);
    const rate = Math.max(100, Math.round(perSecond(backlog.speed) / 2 / 100) * 100);
    const steady = await steadyRun(
      rate,
      Math.max(20, Math.round(STEADY_SECONDS * Math.min(1, options.scale))),
      lakeDir,
      redis,
    );
    return report(events, backlog, steady);
  } finally {
    redis.close();
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

function report(events: number, backlog: BacklogResult, steady: SteadyResult): string {
  const { bare } = backlog;
  const runs = [bare, backlog.speed, backlog.viewsOnly, backlog.viewsOnlyCluster, steady.run];
  const rows = runs
    .filter((run): run is Run => run !== undefined)
    .map((run) => {
      const ratio = run === bare ? '1.00×' : `${(perSecond(run) / perSecond(bare)).toFixed(2)}×`;
      const cpuRatio =
        run === bare ? '1.00×' : `${(cpuMicrosPerEvent(run) / cpuMicrosPerEvent(bare)).toFixed(1)}×`;
      return `| ${run.name} | ${number(run.events)} | ${run.seconds.toFixed(1)} | ${number(perSecond(run))} | ${ratio} | ${cpuMicrosPerEvent(run).toFixed(1)} (${cpuRatio}) | ${mib(run.maxRssBytes)} | ${run.loadBefore} → ${run.loadAfter} |`;
    });
  const { footprint } = backlog;
  const perMillionCells = (bytes: number, cells: number) => (cells > 0 ? mib((bytes * 1e6) / cells) : 'n/a');
  const before = backlog.viewsOnlyBefore;
  const after = backlog.viewsOnlyAfter;
  const growth = (pick: (memory: Collected) => number) =>
    before === undefined || after === undefined ? 0 : Math.max(0, pick(after) - pick(before));
  const fresh = steady.freshnessMs;
  const freshnessLine =
    `Freshness at a steady ${number(steady.rate)} events/s (half the backlog rate, the most the speed layer sustains ` +
    `being what it catches up at; produce → counted by \`GET /v1/views/page_views_hourly?key=…\`, 1 s batches, ` +
    `${fresh.length} markers, one a second): p50 ${Math.round(percentile(fresh, 0.5))} ms, ` +
    `p99 ${Math.round(percentile(fresh, 0.99))} ms, max ${Math.round(fresh.at(-1) ?? 0)} ms ` +
    `(target: p99 < ${2 * BATCH_MS} ms); everything was committed ${Math.round(steady.drainMs)} ms after the ` +
    `producer stopped${steady.lateChunks > 0 ? ` (the producer fell behind its schedule ${steady.lateChunks} times)` : ''}.`;
  return [
    '## Streaming (`npm run bench -- streaming`)',
    '',
    `Machine: ${machineLine()}, shared with other work (the 1-minute load average is given with every run).`,
    `${number(events)} HTTP access logs of the web-analytics example (JSON, its schema) over a day and a half of`,
    'event time, 5,000 Zipf-distributed paths and 400,000 Zipf-distributed users, plus 1 % as many sensor readings,',
    'in 3-partition LogAppendTime topics. The speed layer runs `startSpeed` with the app’s defaults (1 s batches,',
    '1 h epochs, caps derived from memory) on every view and live view of the example; the bare consumer is',
    'kafkajs (the client Oxbow ships) calling `JSON.parse` on every value. Each is its own process; CPU is user +',
    'system time of that process from /proc over the measured interval, RSS its largest resident set. On a loaded',
    'machine every process gets a share of the cores, so the CPU per event is the steadier comparison.',
    '',
    '| run | events | seconds | events/s | vs bare consumer | CPU µs/event (vs bare) | max RSS | load avg |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    ...(backlog.viewsOnlyCluster === undefined
      ? []
      : [
          'The Redis Cluster row is the views-only backlog again with `OXBOW_REDIS_CLUSTER=yes` against the local',
          'stack’s three masters (`oxbow stack up --with redis-cluster`, one machine): each micro-batch commits one',
          'script per Kafka partition, each in its own hash slot (docs/design/0010-redis-cluster.md).',
          '',
        ]),
    `Memory after the backlog: ${number(footprint.cells)} cells (view, epoch, partition, key, bucket) in Redis,`,
    `${mib(footprint.incrementBytes)} of increments hashes (${mib(footprint.bytes)} with indexes, offsets and`,
    `status): **${perMillionCells(footprint.incrementBytes, footprint.cells)} of Redis per million cells**. The`,
    `views-only run held ${number(backlog.cachedCells)} cells in memory (estimated ${mib(backlog.cachedCellBytes)}); after a`,
    `full collection its RSS was ${mib(before?.rssBytes ?? 0)} right after it started and ${mib(after?.rssBytes ?? 0)} once`,
    `caught up (heap ${mib(before?.heapUsedBytes ?? 0)} → ${mib(after?.heapUsedBytes ?? 0)}, array buffers`,
    `${mib(before?.arrayBufferBytes ?? 0)} → ${mib(after?.arrayBufferBytes ?? 0)}): **${perMillionCells(
      growth((m) => m.rssBytes),
      backlog.cachedCells,
    )} of`,
    `speed-layer RSS per million cells** (${perMillionCells(
      growth((m) => m.heapUsedBytes + m.arrayBufferBytes),
      backlog.cachedCells,
    )} of heap and buffers). With the live views the`,
    `RSS was ${mib(backlog.rssAtEndBytes)} at the end of the backlog and ${mib(steady.rssAtEndBytes)} at the end of the`,
    'steady run.',
    '',
    freshnessLine,
  ].join('\n');
}
