/**
 * The realtime increments are mirrored in memory and refreshed per commit, and still every answer reflects every
 * commit that finished before the request: announced commits are re-read (only their hashes), commits without an
 * announcement (lost, or a speed layer that does not announce) are found by the offsets and read again in full,
 * a new generation (or Redis without its data) drops the mirror, and a time limit answers 503.
 */
import { RedisLayout } from '@oxbow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer } from '../src/index.ts';
import {
  deletePrefix,
  exampleProject,
  foldStates,
  httpEvents,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from './support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = exampleProject.view('page_views_hourly');
const WATERMARK = 20;

describe('the realtime mirror', () => {
  let env: TestEnvironment;
  let server: ServingServer;
  const events = httpEvents(400, 23);
  const hitsOf = async (key: string) => {
    const response = await server.app.inject({ url: '/v1/views/page_views_hourly', query: { key } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().total.hits as number;
  };
  const countOn = (key: string, of: readonly { path: string }[]) => of.filter((e) => e.path === key).length;
  const metric = async (name: string) => {
    const text = (await server.app.inject('/metrics')).body;
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
  };

  beforeAll(async () => {
    env = await testEnvironment('mirror');
    await env.redis.set(new RedisLayout(env.prefix).generation(), 'g1');
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: '20261124T120000000Z-dddddddd',
      watermarkEpoch: WATERMARK,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, events.slice(0, 100)) }],
    });
    await writeSpeedStatus(env.redis, env.prefix, { fields: { generation: 'g1' } });
    server = await buildServer(env.config, {
      redis: env.redis,
      project: exampleProject,
      announceWaitMs: 150,
    });
  });

  afterAll(async () => {
    await server?.close();
    await env?.cleanup();
  });

  it('sees an announced commit at the next request, re-reading only its hashes', async () => {
    expect(await hitsOf('/')).toBe(countOn('/', events.slice(0, 100)));
    const reloads = await metric('oxbow_serving_realtime_reloads_total');
    const rereads = await metric('oxbow_serving_realtime_rereads_total');
    const part = events.slice(100, 200);
    await writeRealtime(env.redis, env.prefix, pageViews, WATERMARK + 1, 0, foldStates(pageViews, part));
    expect(await hitsOf('/')).toBe(countOn('/', events.slice(0, 200)));
    expect(await metric('oxbow_serving_realtime_reloads_total')).toBe(reloads);
    expect(await metric('oxbow_serving_realtime_rereads_total')).toBe(
      rereads + foldStates(pageViews, part).size,
    );
    // Epochs ≤ E are the batch part's: never merged.
    await writeRealtime(env.redis, env.prefix, pageViews, WATERMARK, 1, foldStates(pageViews, part));
    expect(await hitsOf('/')).toBe(countOn('/', events.slice(0, 200)));
  });

  it('sees a commit that was never announced, by its offsets, after a bounded wait and a full read', async () => {
    const reloads = await metric('oxbow_serving_realtime_reloads_total');
    await writeRealtime(
      env.redis,
      env.prefix,
      pageViews,
      WATERMARK + 2,
      2,
      foldStates(pageViews, events.slice(200, 300)),
      { announce: false },
    );
    const started = performance.now();
    expect(await hitsOf('/')).toBe(countOn('/', events.slice(0, 300)));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await metric('oxbow_serving_realtime_reloads_total')).toBe(reloads + 1);
  });

  it('ranks with the realtime part, then drops the mirror when the generation changes', async () => {
    const top = await server.app.inject({
      url: '/v1/views/page_views_hourly/top',
      query: { by: 'hits', limit: '1' },
    });
    expect(top.json().keys[0]).toMatchObject({
      key: '/',
      value: { hits: countOn('/', events.slice(0, 300)) },
    });
    // A new generation (Redis lost its data, or the speed layer rebuilt): the old increments are gone.
    await deletePrefix(env.redis, `${env.prefix}rt`);
    await env.redis.set(new RedisLayout(env.prefix).generation(), 'g2');
    await writeSpeedStatus(env.redis, env.prefix, { fields: { generation: 'g2' } });
    expect(await hitsOf('/')).toBe(countOn('/', events.slice(0, 100)));
    const fresh = events.slice(300, 400);
    await writeRealtime(env.redis, env.prefix, pageViews, WATERMARK + 3, 0, foldStates(pageViews, fresh));
    expect(await hitsOf('/')).toBe(countOn('/', events.slice(0, 100)) + countOn('/', fresh));
  });

  it('answers 503 with OXBOW_TIMEOUT when a request runs over its time limit', async () => {
    const limited = await buildServer(env.with({ apiRequestTimeoutMs: 200 }), {
      redis: env.redis,
      project: exampleProject,
      hooks: { afterBatchRead: () => new Promise((resolve) => setTimeout(resolve, 1_000)) },
    });
    try {
      for (const url of ['/v1/views/page_views_hourly?key=/', '/v1/views/page_views_hourly/top?by=hits']) {
        const response = await limited.app.inject(url);
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({
          code: 'OXBOW_TIMEOUT',
          message: expect.stringMatching(/200 ms limit/),
        });
      }
      expect((await limited.app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
