/**
 * Evolution: a view answers only while its batch table and its realtime increments were computed with the
 * definition the server runs (the same fingerprint). A batch table or a speed layer of another definition makes
 * it `rebuilding` (503 `OXBOW_VIEW_REBUILDING`, `Retry-After`, listed as such by `GET /v1/views`) until both hold
 * the server's definition; old and new states are never merged. Before the first batch run (no manifest) a view
 * is answered from the realtime increments alone.
 */
import { count } from '@oxbow/dataflow';
import {
  httpLogs,
  sensorReadings,
  statusMinutely as statusMinutelyDeclaration,
} from '@oxbow/example-web-analytics';
import { defineProject, defineView, type Project } from '@oxbow/views';
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
const statusMinutely = exampleProject.view('status_minutely');
const WATERMARK = 50;

/** The example with page_views_hourly redefined (only requests under 500, one field): a new fingerprint. */
const changedProject: Project = defineProject({
  topics: { http_logs: httpLogs, sensor_readings: sensorReadings },
  views: [
    defineView({
      name: 'page_views_hourly',
      topic: 'http_logs',
      bucket: '1h',
      key: 'path',
      filter: (event) => event.status < 500,
      fields: { hits: count() },
    }),
    statusMinutelyDeclaration,
  ],
});
const changedPageViews = changedProject.view('page_views_hourly');

describe('rebuilding after a definition changed', () => {
  let env: TestEnvironment;
  let server: ServingServer;
  const events = httpEvents(300, 17);
  const batchEvents = events.slice(0, 150);
  const realtimeEvents = events.slice(150);
  const hitsOn = (path: string, of: readonly { path: string }[]) => of.filter((e) => e.path === path).length;

  const keys: Record<string, string> = {
    page_views_hourly: '/',
    status_minutely: '2xx',
    country_daily: 'NL',
  };
  const query = (target: ServingServer, view: string) =>
    target.app.inject({ url: `/v1/views/${view}`, query: { key: keys[view] ?? 'x' } });
  const statusesOf = async (target: ServingServer) =>
    Object.fromEntries(
      (await target.app.inject('/v1/views'))
        .json()
        .views.map((view: { name: string; status: string }) => [view.name, view.status]),
    );
  const expectRebuilding = async (target: ServingServer, view: string, reason: RegExp) => {
    for (const response of [
      await query(target, view),
      await target.app.inject({ url: `/v1/views/${view}/top`, query: { by: 'hits' } }),
    ]) {
      expect(response.statusCode, response.body).toBe(503);
      expect(response.headers['retry-after']).toBe('60');
      expect(response.json()).toEqual({
        statusCode: 503,
        code: 'OXBOW_VIEW_REBUILDING',
        error: 'Service Unavailable',
        message: expect.stringMatching(new RegExp(`^${view} is rebuilding: .*${reason.source}`)),
        status: 'rebuilding',
      });
    }
    const listed = (await target.app.inject('/v1/views'))
      .json()
      .views.find((entry: { name: string }) => entry.name === view);
    expect(listed).toMatchObject({ status: 'rebuilding', rebuilding: expect.stringMatching(reason) });
  };

  beforeAll(async () => {
    env = await testEnvironment('rebuild');
    for (const view of [pageViews, statusMinutely]) {
      await writeRealtime(env.redis, env.prefix, view, WATERMARK + 1, 0, foldStates(view, realtimeEvents));
    }
    server = await buildServer(env.config, { redis: env.redis, project: exampleProject });
  });

  afterAll(async () => {
    await server?.close();
    await env?.cleanup();
  });

  it('answers from realtime alone before the first batch run and before the speed layer reports', async () => {
    const response = await query(server, 'page_views_hourly');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      total: { hits: hitsOn('/', realtimeEvents) },
      freshness: { batchRunId: null, realtimeThrough: null },
    });
    expect(await statusesOf(server)).toEqual({
      page_views_hourly: 'ready',
      country_daily: 'ready',
      status_minutely: 'ready',
      sensor_hourly: 'ready',
    });
  });

  it('is rebuilding while the speed layer reports another fingerprint, or none, or replays', async () => {
    await writeSpeedStatus(env.redis, env.prefix, {
      fingerprints: {
        ...Object.fromEntries(exampleProject.views.map((view) => [view.name, view.fingerprint])),
        page_views_hourly: changedPageViews.fingerprint,
      },
    });
    await expectRebuilding(
      server,
      'page_views_hourly',
      new RegExp(`the speed layer maintains it with fingerprint ${changedPageViews.fingerprint}`),
    );
    expect((await query(server, 'status_minutely')).statusCode).toBe(200);

    await writeSpeedStatus(env.redis, env.prefix, {
      fingerprints: { status_minutely: statusMinutely.fingerprint },
    });
    await expectRebuilding(server, 'page_views_hourly', /the speed layer does not maintain it/);

    await writeSpeedStatus(env.redis, env.prefix, { fingerprints: null });
    await expectRebuilding(server, 'status_minutely', /the speed layer does not report the fingerprints/);

    // A new generation replaying Kafka: the increments are incomplete until it reached the previous one.
    await writeSpeedStatus(env.redis, env.prefix, { fields: { rebuilding: 'true' } });
    await expectRebuilding(server, 'page_views_hourly', /the speed layer is replaying Kafka/);

    await writeSpeedStatus(env.redis, env.prefix, { fields: { rebuilding: 'false' } });
    expect((await query(server, 'page_views_hourly')).statusCode).toBe(200);
  });

  it('is rebuilding once the speed status it had reported is gone with the generation marker, until it reports again', async () => {
    // The previous test left a reporting speed layer; Redis now loses the status (and holds no marker).
    expect((await query(server, 'page_views_hourly')).statusCode).toBe(200);
    await env.redis.del(`${env.prefix}speed:status`, `${env.prefix}generation`);
    await expectRebuilding(server, 'page_views_hourly', /gone from Redis/);
    await writeSpeedStatus(env.redis, env.prefix);
    expect((await query(server, 'page_views_hourly')).statusCode).toBe(200);
  });

  it('is rebuilding while the batch table is of another definition, of none recorded, or missing', async () => {
    const version = (runId: string, fingerprint: string | null | undefined) =>
      writeBatchVersion({
        lakeDir: env.lakeDir,
        runId,
        watermarkEpoch: WATERMARK,
        epochMs: 3_600_000,
        views: [
          { view: pageViews, states: foldStates(pageViews, batchEvents), fingerprint },
          { view: statusMinutely, states: foldStates(statusMinutely, batchEvents) },
        ],
      });

    await version('20261124T120000000Z-00000001', changedPageViews.fingerprint);
    expect(await server.batch.refresh()).toBe(true);
    await expectRebuilding(
      server,
      'page_views_hourly',
      new RegExp(
        `batch run 20261124T120000000Z-00000001 computed it with fingerprint ${changedPageViews.fingerprint}, this server runs ${pageViews.fingerprint}`,
      ),
    );
    const other = await query(server, 'status_minutely');
    expect(other.statusCode).toBe(200);
    expect(other.json().freshness.batchRunId).toBe('20261124T120000000Z-00000001');

    await version('20261124T120000000Z-00000002', null);
    expect(await server.batch.refresh()).toBe(true);
    await expectRebuilding(server, 'page_views_hourly', /did not record the fingerprint of its table/);
    // A view the manifest has no table for (added since that run) is not answered from realtime alone.
    await expectRebuilding(server, 'country_daily', /has no table for it yet/);

    await version('20261124T120000000Z-00000003', undefined);
    expect(await server.batch.refresh()).toBe(true);
    const ready = await query(server, 'page_views_hourly');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().total.hits).toBe(hitsOn('/', events));
  });

  it('never merges the states of a changed definition with the old ones', async () => {
    const changed = await buildServer(env.config, { redis: env.redis, project: changedProject });
    try {
      // The lake and Redis hold the example's definition: the changed view waits; the unchanged one answers.
      expect(changedPageViews.fingerprint).not.toBe(pageViews.fingerprint);
      expect(changedProject.view('status_minutely').fingerprint).toBe(statusMinutely.fingerprint);
      await expectRebuilding(changed, 'page_views_hourly', /computed it with fingerprint/);
      expect((await query(changed, 'status_minutely')).statusCode).toBe(200);
      expect(await statusesOf(changed)).toEqual({
        page_views_hourly: 'rebuilding',
        status_minutely: 'ready',
      });

      // The batch layer rebuilds the view with the new definition; the speed layer still runs the old one.
      await writeBatchVersion({
        lakeDir: env.lakeDir,
        runId: '20261124T130000000Z-00000004',
        watermarkEpoch: WATERMARK,
        epochMs: 3_600_000,
        views: [
          { view: changedPageViews, states: foldStates(changedPageViews, batchEvents) },
          { view: statusMinutely, states: foldStates(statusMinutely, batchEvents) },
        ],
      });
      expect(await changed.batch.refresh()).toBe(true);
      await expectRebuilding(changed, 'page_views_hourly', /the speed layer maintains it with fingerprint/);

      // The speed layer drops the old increments and rebuilds them with the new definition.
      await deletePrefix(env.redis, `${env.prefix}rt:page_views_hourly:`);
      await deletePrefix(env.redis, `${env.prefix}rtkeys:page_views_hourly:`);
      await writeRealtime(
        env.redis,
        env.prefix,
        changedPageViews,
        WATERMARK + 1,
        0,
        foldStates(changedPageViews, realtimeEvents),
      );
      await writeSpeedStatus(env.redis, env.prefix, { project: changedProject });
      const answer = await query(changed, 'page_views_hourly');
      expect(answer.statusCode).toBe(200);
      expect(answer.json().total).toEqual({
        hits: events.filter((event) => event.path === '/' && event.status < 500).length,
      });
      // The server still running the old definition now refuses it.
      expect(await server.batch.refresh()).toBe(true);
      await expectRebuilding(server, 'page_views_hourly', /computed it with fingerprint/);
    } finally {
      await changed.close();
    }
  });
});
