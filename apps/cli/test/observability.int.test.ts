/**
 * Every app's metrics and `oxbow status` on the local stack: the archiver, the speed layer, the serving API and the
 * ingest gateway run in this process and `oxbow batch schedule` as a child process, over one topic of their own; each `/metrics` is
 * scraped and read by a strict Prometheus text reader (types, names, HELP, histograms) and holds the metrics the
 * app is known for; `oxbow status --json` reports the same platform (speed running and caught up, the batch
 * manifest on the lake, serving ready, the dead letters in the topic).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runArchiver } from '@oxbow/archiver';
import { readCurrentManifest } from '@oxbow/batch';
import { loadConfig, type OxbowConfig } from '@oxbow/config';
import { openFileSystem } from '@oxbow/connectors';
import { generateHttpLogs, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { type RunningIngest, startIngest } from '@oxbow/ingest';
import { type RunningServer, startServing } from '@oxbow/serving';
import { type SpeedHandle, startSpeed } from '@oxbow/speed';
import type { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli.ts';
import { createKafka, createRedis } from '../src/clients.ts';
import type { PlatformStatus } from '../src/commands/status-command.ts';
import { runId } from '../src/demo/round-trip.ts';
import type { Output } from '../src/output.ts';
import { freePort, REPO_ROOT } from './support/processes.ts';
import { type MetricFamily, parsePrometheusText, sampleValue } from './support/prometheus-text.ts';

const FAST_CONSUMER = {
  sessionTimeoutMs: 2000,
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 3000,
  maxWaitTimeMs: 100,
};
const VALID = 300;
const INVALID = ['{not json', JSON.stringify({ status: 'abc' }), ''];

const id = runId().replace('-', '_');
const topic = `oxbow_test_obs_${id}`;
const deadLetters = `oxbow_test_obs_${id}_dead`;
let dir: string;
let env: Record<string, string>;
let config: OxbowConfig;
let admin: Admin;
let redis: Redis;
const archiverStop = new AbortController();
let archiver: Promise<unknown> | undefined;
let speed: SpeedHandle | undefined;
let serving: RunningServer | undefined;
let ingest: RunningIngest | undefined;
let schedule: ChildProcess | undefined;
let scheduleLog = '';

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${scheduleLog}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function scrape(url: string): Promise<Map<string, MetricFamily>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await response.text());
}

function expectFamilies(
  families: Map<string, MetricFamily>,
  expected: Record<string, MetricFamily['type']>,
): void {
  for (const [name, type] of Object.entries(expected))
    expect([name, families.get(name)?.type]).toEqual([name, type]);
}

const PROCESS_METRICS = {
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
} as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oxbow-observability-'));
  const [apiPort, speedPort, archiverPort, batchPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  env = {
    OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
    OXBOW_LAKE: `${pathToFileURL(join(dir, 'lake')).href}/`,
    OXBOW_EPOCH_MS: '2000',
    OXBOW_REDIS_PREFIX: `test-obs-${id}:`,
    OXBOW_SPEED_TOPICS: `${topic}:http_logs`,
    OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
    OXBOW_SPEED_DEAD_LETTER_TOPIC: deadLetters,
    OXBOW_SPEED_GROUP_ID: `test-obs-${id}-speed`,
    OXBOW_ARCHIVER_GROUP_ID: `test-obs-${id}-archiver`,
    OXBOW_SPEED_BATCH_MS: '500',
    OXBOW_ARCHIVER_ROLL_MS: '200',
    OXBOW_MANIFEST_POLL_MS: '200',
    OXBOW_SERVING_CACHE_DIR: join(dir, 'serving-cache'),
    OXBOW_API_PORT: String(apiPort),
    OXBOW_SPEED_HEALTH_PORT: String(speedPort),
    OXBOW_ARCHIVER_HEALTH_PORT: String(archiverPort),
    OXBOW_BATCH_HEALTH_PORT: String(batchPort),
    OXBOW_BATCH_PARALLELISM: '1',
  };
  config = (await loadConfig({ cwd: REPO_ROOT, env: { ...process.env, ...env } })).config;
  admin = createKafka(config, 'oxbow-observability-test').admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      },
    ],
  });
  redis = createRedis(config);
  await redis.connect();

  archiver = runArchiver(config, archiverStop.signal, {
    consumer: FAST_CONSUMER,
    pollIntervalMs: 50,
    sealGraceMs: 200,
    sealCheckIntervalMs: 100,
    log: () => undefined,
  });
  archiver.catch(() => undefined);
  speed = await startSpeed(config, { consumer: FAST_CONSUMER, log: () => undefined });
  serving = await startServing(config);
  ingest = await startIngest(config, { port: 0 });
  schedule = spawn(
    process.execPath,
    [new URL('../src/main.ts', import.meta.url).pathname, 'batch', 'schedule', '--cron', '* * * * * *'],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  schedule.stdout?.on('data', (chunk: Buffer) => {
    scheduleLog += chunk.toString('utf8');
  });
  schedule.stderr?.on('data', (chunk: Buffer) => {
    scheduleLog = `${scheduleLog}${chunk.toString('utf8')}`.slice(-20_000);
  });

  const producer = createKafka(config, 'oxbow-observability-producer').producer();
  await producer.connect();
  const events = [
    ...generateHttpLogs({ count: VALID, seed: 21, startMs: Date.now() - 60_000, ratePerSec: 10 }),
  ];
  await producer.send({
    topic,
    acks: -1,
    messages: [
      ...events.map((event, index) => ({ key: `k${index}`, value: JSON.stringify(event) })),
      ...INVALID.map((value) => ({ value })),
    ],
  });
  await producer.disconnect();

  const lake = openFileSystem(config.lake);
  try {
    await waitFor(
      'the speed layer to commit every valid record',
      async () => speed?.status().records === VALID,
    );
    await waitFor(
      'a batch version published by oxbow batch schedule',
      async () => (await readCurrentManifest(lake)) !== undefined,
    );
    await waitFor(
      'the serving API to be ready',
      async () => (await fetch(`${serving?.url}/readyz`)).status === 200,
    );
  } finally {
    await lake.close();
  }
}, 240_000);

afterAll(async () => {
  schedule?.kill('SIGTERM');
  await ingest?.close();
  await serving?.close();
  await speed?.stop();
  archiverStop.abort();
  await archiver?.catch(() => undefined);
  if (redis) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `test-obs-${id}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  await admin?.deleteTopics({ topics: [topic, deadLetters] }).catch(() => undefined);
  await admin?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('every app serves Prometheus metrics', { timeout: 60_000 }, () => {
  it('the speed layer, at /metrics of its health port', async () => {
    const families = await scrape(`http://127.0.0.1:${env.OXBOW_SPEED_HEALTH_PORT}/metrics`);
    expectFamilies(families, {
      ...PROCESS_METRICS,
      oxbow_speed_records_total: 'counter',
      oxbow_speed_dead_letters_total: 'counter',
      oxbow_speed_batch_processing_seconds: 'histogram',
      oxbow_speed_batch_scheduling_delay_seconds: 'histogram',
      oxbow_speed_batch_interval_seconds: 'gauge',
      oxbow_speed_consumer_lag_records: 'gauge',
      oxbow_speed_cached_cells: 'gauge',
      oxbow_speed_cached_cell_bytes: 'gauge',
      oxbow_speed_checkpoint_write_seconds: 'histogram',
      oxbow_speed_redis_commit_seconds: 'histogram',
    });
    expect(sampleValue(families, 'oxbow_speed_records_total', { topic })).toBe(VALID);
    expect(sampleValue(families, 'oxbow_speed_dead_letters_total', { topic })).toBe(INVALID.length);
    expect(sampleValue(families, 'oxbow_speed_batch_interval_seconds')).toBe(0.5);
  });

  it('the archiver, at /metrics of its health port', async () => {
    const families = await scrape(`http://127.0.0.1:${env.OXBOW_ARCHIVER_HEALTH_PORT}/metrics`);
    expectFamilies(families, {
      ...PROCESS_METRICS,
      oxbow_archiver_records_in_total: 'counter',
      oxbow_archiver_records_archived_total: 'counter',
      oxbow_archiver_dead_letters_total: 'counter',
      oxbow_archiver_files_published_total: 'counter',
      oxbow_archiver_published_bytes_total: 'counter',
      oxbow_archiver_consumer_lag_records: 'gauge',
      oxbow_archiver_publish_seconds: 'histogram',
    });
    expect(sampleValue(families, 'oxbow_archiver_records_archived_total')).toBe(VALID);
    expect(sampleValue(families, 'oxbow_archiver_dead_letters_total')).toBe(INVALID.length);
    expect(sampleValue(families, 'oxbow_archiver_files_published_total')).toBeGreaterThan(0);
  });

  it('the batch schedule, at /metrics of its health port', async () => {
    const families = await scrape(`http://127.0.0.1:${env.OXBOW_BATCH_HEALTH_PORT}/metrics`);
    expectFamilies(families, {
      ...PROCESS_METRICS,
      oxbow_batch_runs_total: 'counter',
      oxbow_batch_run_duration_seconds: 'histogram',
      oxbow_batch_last_run_duration_seconds: 'gauge',
      oxbow_batch_view_rows_in: 'gauge',
      oxbow_batch_files_scanned_total: 'counter',
      oxbow_batch_watermark_epoch: 'gauge',
    });
    expect(sampleValue(families, 'oxbow_batch_runs_total', { status: 'published' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sampleValue(families, 'oxbow_batch_files_scanned_total')).toBeGreaterThan(0);
  });

  it('the serving API, at /metrics, with every former metric name', async () => {
    await fetch(`${serving?.url}/v1/views/page_views_hourly?key=%2F`);
    const families = await scrape(`${serving?.url}/metrics`);
    expectFamilies(families, {
      ...PROCESS_METRICS,
      oxbow_http_requests_total: 'counter',
      oxbow_http_request_duration_seconds: 'histogram',
      oxbow_serving_manifest_switches_total: 'counter',
      oxbow_serving_manifest_poll_failures_total: 'counter',
      oxbow_serving_duckdb_open_files: 'gauge',
      oxbow_serving_batch_watermark_epoch: 'gauge',
      oxbow_serving_batch_cells: 'gauge',
      oxbow_serving_batch_model_bytes: 'gauge',
      oxbow_serving_answer_cache_hits_total: 'counter',
      oxbow_serving_answer_cache_misses_total: 'counter',
      oxbow_serving_answer_cache_bytes: 'gauge',
      oxbow_serving_realtime_probes_total: 'counter',
      oxbow_serving_realtime_announcements_total: 'counter',
      oxbow_serving_realtime_rereads_total: 'counter',
      oxbow_serving_realtime_reloads_total: 'counter',
      oxbow_serving_rankings_running: 'gauge',
      oxbow_serving_rankings_waiting: 'gauge',
    });
    expect(
      sampleValue(families, 'oxbow_http_request_duration_seconds_count', { route: '/v1/views/:view' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('the ingest gateway serves Prometheus metrics', { timeout: 60_000 }, () => {
  it('at /metrics, with what it refused', async () => {
    const refused = await fetch(`${ingest?.url}/v1/ingest/http_logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"not":"an http log"}\n',
    });
    expect(refused.status).toBe(422);
    const families = await scrape(`${ingest?.url}/metrics`);
    expectFamilies(families, {
      ...PROCESS_METRICS,
      oxbow_ingest_records_accepted_total: 'counter',
      oxbow_ingest_records_rejected_total: 'counter',
      oxbow_ingest_records_dropped_total: 'counter',
      oxbow_ingest_records_failed_total: 'counter',
      oxbow_ingest_requests_total: 'counter',
      oxbow_ingest_in_flight_records: 'gauge',
      oxbow_ingest_in_flight_bytes: 'gauge',
    });
    expect(
      sampleValue(families, 'oxbow_ingest_records_rejected_total', { source: 'http', topic: 'http_logs' }),
    ).toBe(1);
    expect(sampleValue(families, 'oxbow_ingest_requests_total', { topic: 'http_logs', status: '422' })).toBe(
      1,
    );
  });
});

describe('oxbow status', { timeout: 60_000 }, () => {
  // The batch manifest stays put from here on: the schedule stops (SIGTERM ends it with exit code 0).
  beforeAll(async () => {
    const exited = new Promise<number | null>((resolve) => schedule?.once('exit', (code) => resolve(code)));
    schedule?.kill('SIGTERM');
    expect(await exited, scheduleLog).toBe(0);
    schedule = undefined;
  });

  const statusOf = async (args: string[]) => {
    const lines: string[] = [];
    const output: Output = { out: (line) => lines.push(line), err: (line) => lines.push(line) };
    const code = await run(['status', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, output });
    return { code, text: lines.join('\n') };
  };

  it('--json reports the stack, the apps, the batch manifest and the dead letters', async () => {
    const { code, text } = await statusOf(['--json']);
    expect(code, text).toBe(0);
    const status = JSON.parse(text) as PlatformStatus;
    const part = (name: string) => status.parts.find((candidate) => candidate.name === name);
    for (const service of ['kafka', 'redis', 's3proxy'])
      expect(part(service)).toMatchObject({ kind: 'service', ok: true });
    expect(part('archiver')).toMatchObject({
      state: 'running',
      ok: true,
      report: { recordsArchived: VALID },
    });
    expect(part('speed')).toMatchObject({
      state: 'running',
      ok: true,
      report: { records: VALID, deadLettered: INVALID.length },
    });
    const lake = openFileSystem(config.lake);
    const manifest = await readCurrentManifest(lake).finally(() => lake.close());
    expect(part('batch')).toMatchObject({
      state: 'published',
      report: { runId: manifest?.runId, watermarkEpoch: manifest?.watermarkEpoch },
    });
    expect(part('serving')).toMatchObject({ state: 'ready', ok: true, address: serving?.url });
    expect(part('dead letters')).toMatchObject({
      report: { topic: deadLetters, messages: INVALID.length, speedCounted: INVALID.length },
    });
  });

  it('prints one table row per part, and says what cannot be reached', async () => {
    const { code, text } = await statusOf([]);
    expect(code, text).toBe(0);
    const rows = text.split('\n');
    expect(rows[0]).toMatch(/^PART +STATE +ADDRESS +DETAIL$/);
    for (const name of [
      'kafka',
      'redis',
      's3proxy',
      'archiver',
      'speed',
      'batch',
      'serving',
      'dead letters',
    ]) {
      expect(
        rows.some((row) => row.startsWith(`${name} `)),
        name,
      ).toBe(true);
    }
    const elsewhere = await run(['status', '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, OXBOW_API_PORT: String(await freePort()) },
      output: { out: (line) => rows.push(line), err: () => undefined },
    });
    expect(elsewhere).toBe(0);
    const last = JSON.parse(rows.slice(rows.indexOf('{')).join('\n')) as PlatformStatus;
    expect(last.parts.find((candidate) => candidate.name === 'serving')).toMatchObject({
      state: 'unreachable',
      ok: false,
      detail: 'not reachable (ECONNREFUSED)',
    });
  });
});
