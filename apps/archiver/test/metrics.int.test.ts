/**
 * `runArchiver` with `archiverHealthPort`: `/healthz` answers 200 while it runs, and `/metrics` counts what it
 * read, archived, dead-lettered and published, with the consumer lag per partition and the process metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '@oxbow/config';
import { generateHttpLogs, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { freePort } from '@oxbow/testing-tools';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiverLogEvent, runArchiver } from '../src/index.ts';
import { waitUntil } from './support/archiver-child.ts';
import { createTestTopic, produce, TEST_BROKERS, testKafka } from './support/kafka.ts';

let admin: Admin;
let dir: string;
const topics: string[] = [];

/** The value of the sample line `series value` (NaN when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'oxbow-archiver-metrics-'));
});

afterAll(async () => {
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
  await admin?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('archiver: health and metrics', () => {
  it('serves /healthz while running and /metrics with its counters, lag and the process metrics', async () => {
    const topic = await createTestTopic(admin, 'metrics', 3);
    topics.push(topic);
    const good = [...generateHttpLogs({ count: 60, seed: 5, startMs: Date.now() - 600_000 })];
    await produce(topic, [
      ...good.map((event, index) => ({ partition: index % 3, value: JSON.stringify(event) })),
      { partition: 0, value: '{not json' },
      { partition: 1, value: JSON.stringify({ ...good[0], status: 'abc' }) },
    ]);
    const port = await freePort();
    const { config } = await loadConfig({
      noFile: true,
      cwd: dir,
      env: {
        OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
        OXBOW_KAFKA_BROKERS: TEST_BROKERS.join(','),
        OXBOW_LAKE: `${pathToFileURL(dir).href}/`,
        OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
        OXBOW_ARCHIVER_GROUP_ID: `${topic}-archiver`,
        OXBOW_ARCHIVER_ROLL_MS: '200',
        OXBOW_ARCHIVER_HEALTH_PORT: String(port),
      },
    });
    const events: ArchiverLogEvent[] = [];
    const controller = new AbortController();
    const run = runArchiver(config, controller.signal, {
      consumer: {
        sessionTimeoutMs: 2000,
        heartbeatIntervalMs: 300,
        rebalanceTimeoutMs: 3000,
        maxWaitTimeMs: 100,
      },
      pollIntervalMs: 50,
      log: (event) => events.push(event),
    });
    const failed = run.then(
      () => false,
      () => true,
    );
    try {
      const url = `http://127.0.0.1:${port}`;
      let text = '';
      await waitUntil(
        async () => {
          if (await Promise.race([failed, Promise.resolve(false)])) throw new Error('the archiver failed');
          text = await fetch(`${url}/metrics`).then(
            (response) => response.text(),
            () => '',
          );
          return (
            sample(text, 'oxbow_archiver_records_archived_total') === good.length &&
            sample(text, 'oxbow_archiver_dead_letters_total') === 2
          );
        },
        60_000,
        () =>
          `metrics: ${text
            .split('\n')
            .filter((line) => line.startsWith('oxbow_archiver_'))
            .join('; ')}`,
        200,
      );
      expect(sample(text, 'oxbow_archiver_records_in_total')).toBe(good.length + 2);
      expect(sample(text, 'oxbow_archiver_files_published_total')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'oxbow_archiver_published_bytes_total')).toBeGreaterThan(0);
      expect(sample(text, 'oxbow_archiver_publish_seconds_count')).toBe(
        sample(text, 'oxbow_archiver_files_published_total'),
      );
      expect(sample(text, 'oxbow_archiver_running')).toBe(1);
      for (const partition of [0, 1, 2]) {
        expect(
          sample(text, `oxbow_archiver_consumer_lag_records{topic="${topic}",partition="${partition}"}`),
        ).toBe(0);
      }
      expect(text).toContain('# TYPE oxbow_archiver_files_published_total counter');
      expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        healthy: true,
        state: 'running',
        recordsArchived: good.length,
      });
      expect(events.find((event) => event.event === 'archiver.health')).toMatchObject({
        url: `${url}/healthz`,
      });
    } finally {
      controller.abort();
      await run;
    }
    // Stopped: the port is released.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
