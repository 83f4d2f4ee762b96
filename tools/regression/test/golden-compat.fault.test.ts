/**
 * Fault 11: golden compatibility. Every fixture set under `tools/regression/fixtures/` (see `support/golden.ts`;
 * written by an earlier version with `fixtures/write-golden.ts`) is read by the current code:
 *
 * 1. its topic is created again and its records produced in the same order with the same keys (so they land on the
 *    same partitions and offsets — checked against the Redis offsets of the set), its Redis keys restored under a
 *    fresh prefix and its lake (manifest, view files, speed checkpoint) copied to a temporary directory;
 * 2. `oxbow serve` answers from that manifest and those increments: every path's hits and bytes per hour, and
 *    every status's hits, equal what plain DuckDB SQL counts over the set's records (ALL-RECORDS-DELIVERED);
 * 3. `oxbow speed` restores the set's checkpoint (no "damaged", "does not fit" or rebuild) and resumes from the
 *    set's Redis offsets: after 150 more records the API equals the SQL over all 450 — a replay from the start
 *    would show as MORE, a skip as LESS.
 *
 * A later version that cannot read a set must say so: this test then fails with its message, and the set is
 * either supported again or retired with a note in docs/reliability.md.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import { type DeliveryReport, deliveryVerdict } from '@oxbow/testing-tools';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { scanKeys, waitFor } from '../../../apps/speed/test/support/speed-test-env.ts';
import {
  createEmptyTopics,
  type GoldenRecord,
  goldenAdmin,
  goldenDir,
  goldenEnv,
  goldenKafka,
  type RedisEntry,
  readGolden,
  restoreRedis,
} from './support/golden.ts';
import { freePort } from './support/private-redis.ts';
import {
  type SpeedProcess,
  startOxbowProcess,
  startSpeedProcess,
  stopProcess,
} from './support/speed-process.ts';

const SETS = readdirSync(goldenDir('.')).filter((name) => /^v\d+$/.test(name));
const HOUR_OF_TS = '(epoch_ms(CAST(ts AS TIMESTAMPTZ)) // 3600000) * 3600000';
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Bucketed {
  buckets: Array<{ bucket: string; value: { hits: number; bytes?: number } }>;
}

/** The API's answers for every key, as verifier rows `key|bucketMs` → a field. */
async function apiRows(base: string, view: string, keys: readonly string[], field: 'hits' | 'bytes') {
  const rows: Array<{ key: string; n: number }> = [];
  for (const key of keys) {
    const response = await fetch(`${base}/v1/views/${view}?key=${encodeURIComponent(key)}`);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${view} ${key}: ${response.status} ${text}`);
    for (const { bucket, value } of (JSON.parse(text) as Bucketed).buckets) {
      rows.push({ key: `${key}|${Date.parse(bucket)}`, n: Number(value[field] ?? 0) });
    }
  }
  return rows;
}

/** Three verdicts of the API against the records: hits and bytes per path and hour, hits per status and hour. */
async function apiVerdicts(base: string, records: readonly GoldenRecord[]): Promise<DeliveryReport[]> {
  const events = records.map((record) => JSON.parse(record.value) as { path: string; status: number });
  const paths = [...new Set(events.map((e) => e.path))];
  const statuses = [...new Set(events.map((e) => String(e.status)))];
  const produced = {
    columns: { ts: 'VARCHAR', path: 'VARCHAR', status: 'INTEGER', bytes: 'BIGINT' },
    records: events,
  };
  return [
    await deliveryVerdict({
      produced,
      expected: `SELECT path || '|' || ${HOUR_OF_TS} AS key, count(*) AS n FROM produced GROUP BY ALL`,
      delivered: { rows: await apiRows(base, 'page_views_hourly', paths, 'hits') },
    }),
    await deliveryVerdict({
      produced,
      expected: `SELECT path || '|' || ${HOUR_OF_TS} AS key, sum(bytes) AS n FROM produced GROUP BY ALL`,
      delivered: { rows: await apiRows(base, 'page_views_hourly', paths, 'bytes') },
    }),
    await deliveryVerdict({
      produced,
      expected: `SELECT status || '|' || ${HOUR_OF_TS} AS key, count(*) AS n FROM produced GROUP BY ALL`,
      delivered: { rows: await apiRows(base, 'status_hourly', statuses, 'hits') },
    }),
  ];
}

describe.each(SETS)('golden fixtures %s (fault 11)', (version) => {
  it('are read by this version: the API answers exactly from them, the speed layer resumes from them', async () => {
    const { meta, records } = readGolden(version);
    const dir = goldenDir(version);
    const id = randomUUID().slice(0, 8);
    const prefix = `oxbow-test-golden-${version}-${id}:`;
    const root = mkdtempSync(join(tmpdir(), `oxbow-golden-${version}-`));
    const redis = new Redis(process.env.OXBOW_REDIS_URL ?? 'redis://127.0.0.1:26379');
    const admin = await goldenAdmin();
    const running: SpeedProcess[] = [];
    cleanups.push(async () => {
      for (const child of running) if (child.process.exitCode === null) child.process.kill('SIGKILL');
      for (const key of await scanKeys(redis, `${prefix}*`)) await redis.unlink(key);
      await admin.deleteTopics({ topics: [meta.topic, meta.deadLetters] }).catch(() => undefined);
      await admin.disconnect();
      redis.disconnect();
      rmSync(root, { recursive: true, force: true });
    });
    const logs: string[] = [];
    const failure = (error: unknown) =>
      new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);

    // 1. The set's topic and records (same partitions and offsets), Redis keys and lake.
    await createEmptyTopics(admin, [meta.topic, meta.deadLetters], meta.partitions, [meta.deadLetters]);
    const producer = goldenKafka.producer();
    await producer.connect();
    const produce = (batch: readonly GoldenRecord[]) =>
      producer.send({ topic: meta.topic, acks: -1, messages: [...batch] });
    await produce(records);
    const entries = JSON.parse(readFileSync(join(dir, 'redis.json'), 'utf8')) as RedisEntry[];
    const storedOffsets = entries.find((e) => e.type === 'hash' && e.key === `offsets:${meta.topic}`);
    const high = Object.fromEntries(
      (await admin.fetchTopicOffsets(meta.topic)).map((p) => [String(p.partition), p.high]),
    );
    const decoded =
      storedOffsets?.type === 'hash'
        ? Object.fromEntries(
            Object.entries(storedOffsets.fields).map(([p, v]) => [p, Buffer.from(v, 'base64').toString()]),
          )
        : {};
    expect(high, 'the records land on the partitions and offsets the set recorded').toEqual(decoded);
    await restoreRedis(redis, prefix, entries);
    const lakeDir = join(root, 'lake');
    cpSync(join(dir, 'lake'), lakeDir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(lakeDir, 'views', '_manifest.json'), 'utf8')) as {
      duckdb: string;
    };
    const duckdb = join(lakeDir, manifest.duckdb);
    writeFileSync(duckdb, gunzipSync(readFileSync(`${duckdb}.gz`)));
    rmSync(`${duckdb}.gz`);

    // 2. The serving API over the set.
    const port = await freePort();
    const env = {
      ...goldenEnv(meta, { lake: `${pathToFileURL(lakeDir).href}/`, prefix, stateDir: join(root, 'state') }),
      OXBOW_API_HOST: '127.0.0.1',
      OXBOW_API_PORT: String(port),
    };
    const base = `http://127.0.0.1:${port}`;
    const serve = startOxbowProcess(['serve'], env, logs, 'serve');
    running.push(serve);
    await waitFor(
      async () => ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
      60_000,
      'oxbow serve to be ready on the fixture set',
    ).catch((error: unknown) => {
      throw failure(error);
    });
    const before = await apiVerdicts(base, records);
    for (const report of before) expect(report.verdict, report.summary).toBe('ALL-RECORDS-DELIVERED');
    const freshness = (await (
      await fetch(`${base}/v1/views/page_views_hourly?key=${encodeURIComponent('/')}`)
    ).json()) as { freshness: { batchRunId: string; batchWatermarkEpoch: number } };
    expect(freshness.freshness).toMatchObject({
      batchRunId: meta.runId,
      batchWatermarkEpoch: meta.watermarkEpoch,
    });

    // 3. The speed layer restores the checkpoint and resumes from the offsets: 150 more records.
    const speed = startSpeedProcess(env, logs, 'speed');
    running.push(speed);
    const more = [
      ...generateHttpLogs({
        count: 150,
        seed: 20261202,
        startMs: Date.parse('2026-11-30T08:30:00Z'),
        ratePerSec: 0.05,
      }),
    ].map((event, i) => ({ key: `m${i}`, value: JSON.stringify(event) }));
    await produce(more);
    await producer.disconnect();
    const all = [...records, ...more];
    let after: DeliveryReport[] = [];
    await waitFor(
      async () => {
        after = await apiVerdicts(base, all);
        if (after.every((report) => report.verdict === 'ALL-RECORDS-DELIVERED')) return true;
        await sleep(500);
        return undefined;
      },
      90_000,
      `the API to answer all ${all.length} records`,
    ).catch(() => undefined);
    const trouble = logs.filter((l) => /damaged|does not fit|rebuild|restarting from new/i.test(l));
    expect(await stopProcess(speed.process, speed.exited), logs.slice(-30).join('\n')).toBe(0);
    expect(await stopProcess(serve.process, serve.exited), logs.slice(-30).join('\n')).toBe(0);
    console.log(
      `golden ${version} (written by ${meta.writtenBy} at ${meta.writtenAt}): before the speed layer ` +
        `${before.map((r) => r.summary.split('\n')[0]).join('; ')}\nafter 150 more records: ` +
        `${after.map((r) => r.summary.split('\n')[0]).join('; ')}`,
    );
    expect(trouble, 'the speed layer read the checkpoint and the generation as they are').toEqual([]);
    for (const report of after) expect(report.verdict, report.summary).toBe('ALL-RECORDS-DELIVERED');
  });
});
