/**
 * Serving replicas are stateless: two servers over the same lake and Redis (each with its own connection and
 * local cache directory, as two pods would have) give byte-identical answers and ETags, and both see a manifest
 * switch and a realtime commit.
 */
import { join } from 'node:path';
import { RedisLayout } from '@oxbow/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer } from '../src/index.ts';
import {
  exampleProject,
  foldStates,
  httpEvents,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from './support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = exampleProject.view('page_views_hourly');
const RUN_A = '20261124T120000000Z-a1a1a1a1';
const RUN_B = '20261124T130000000Z-b2b2b2b2';
const WATERMARK = 30;

describe('two serving replicas', () => {
  let env: TestEnvironment;
  let secondRedis: Redis;
  const replicas: ServingServer[] = [];
  const events = httpEvents(600, 41);
  const keys = [...new Set(events.map((event) => event.path))].slice(0, 8);

  /** Every replica's answer to `url`: status, ETag and body (freshness aside, which carries the probe's time). */
  const answers = async (url: string) =>
    Promise.all(
      replicas.map(async (replica) => {
        const response = await replica.app.inject({ url });
        const body = response.json();
        return {
          status: response.statusCode,
          etag: response.headers.etag,
          body: { ...body, freshness: undefined },
        };
      }),
    );

  beforeAll(async () => {
    env = await testEnvironment('replicas');
    await env.redis.set(new RedisLayout(env.prefix).generation(), 'g1');
    await writeSpeedStatus(env.redis, env.prefix, { fields: { generation: 'g1' } });
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: RUN_A,
      watermarkEpoch: WATERMARK,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, events.slice(0, 200)) }],
    });
    secondRedis = new Redis(env.config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    replicas.push(await buildServer(env.config, { redis: env.redis, project: exampleProject }));
    replicas.push(
      await buildServer(
        { ...env.config, servingCacheDir: join(env.lakeDir, 'second-replica-cache') },
        { redis: secondRedis, project: exampleProject },
      ),
    );
    for (const replica of replicas) await replica.batch.refresh();
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    secondRedis?.disconnect();
    await env?.cleanup();
  });

  it('answer every key, the rankings and the view list identically, ETags included', async () => {
    await writeRealtime(
      env.redis,
      env.prefix,
      pageViews,
      WATERMARK + 1,
      0,
      foldStates(pageViews, events.slice(200, 300)),
    );
    const urls = [
      ...keys.map((key) => `/v1/views/page_views_hourly?key=${encodeURIComponent(key)}`),
      '/v1/views/page_views_hourly/top?by=hits&limit=5',
      '/v1/views/page_views_hourly/top?by=uniqueUsers&limit=5',
    ];
    for (const url of urls) {
      const [first, second] = await answers(url);
      expect(first?.status, url).toBe(200);
      expect(second, url).toEqual(first);
    }
    const key = keys[0] as string;
    const [first] = await answers(`/v1/views/page_views_hourly?key=${encodeURIComponent(key)}`);
    expect(first?.body.total.hits).toBe(events.slice(0, 300).filter((event) => event.path === key).length);
  });

  it('both switch to a new manifest and answer from it identically', async () => {
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: RUN_B,
      watermarkEpoch: WATERMARK + 1,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, events.slice(0, 400)) }],
    });
    for (const replica of replicas) expect(await replica.batch.refresh()).toBe(true);
    for (const key of keys) {
      const url = `/v1/views/page_views_hourly?key=${encodeURIComponent(key)}`;
      const responses = await Promise.all(replicas.map((replica) => replica.app.inject({ url })));
      const bodies = responses.map((response) => response.json());
      for (const body of bodies) expect(body.freshness.batchRunId).toBe(RUN_B);
      // Epochs ≤ the new watermark are the batch's: the realtime increments of epoch WATERMARK + 1 no longer count.
      expect(bodies[0].total.hits).toBe(events.slice(0, 400).filter((event) => event.path === key).length);
      expect({ ...bodies[1], freshness: undefined }).toEqual({ ...bodies[0], freshness: undefined });
      expect(responses[1]?.headers.etag).toBe(responses[0]?.headers.etag);
    }
  });
});
