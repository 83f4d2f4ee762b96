/**
 * A new manifest switches the API to the new DuckDB file between requests; a request in flight finishes on the
 * old file, which is closed (and its local copy deleted) once that request is done.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer } from '../src/index.ts';
import { exampleProject, foldStates, httpEvents, writeBatchVersion } from './support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = exampleProject.view('page_views_hourly');
const RUN_A = '20261124T120000000Z-aaaaaaaa';
const RUN_B = '20261124T130000000Z-bbbbbbbb';

describe('manifest switch', () => {
  let env: TestEnvironment;
  let server: ServingServer;
  const events = httpEvents(200, 5);
  let holdNext = false;
  let reachedHook: () => void = () => {};
  let releaseHook: () => void = () => {};

  beforeAll(async () => {
    env = await testEnvironment('switch');
    server = await buildServer(env.config, {
      redis: env.redis,
      project: exampleProject,
      hooks: {
        afterBatchRead: async () => {
          if (!holdNext) return;
          holdNext = false;
          await new Promise<void>((resolve) => {
            releaseHook = resolve;
            reachedHook();
          });
        },
      },
    });
  });

  afterAll(async () => {
    await server?.close();
    await env?.cleanup();
  });

  it('is not ready and answers from realtime only before the first manifest', async () => {
    const ready = await server.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.batch.ok).toBe(false);
    const answer = await server.app.inject({ url: '/v1/views/page_views_hourly', query: { key: '/' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ buckets: [], total: { hits: 0 }, freshness: { batchRunId: null } });
  });

  it('switches between requests while an in-flight request finishes on the old file', async () => {
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: RUN_A,
      watermarkEpoch: 10,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, events.slice(0, 100)) }],
    });
    expect(await server.batch.refresh()).toBe(true);
    const hitsOf = (body: { total: { hits: number } }) => body.total.hits;
    const expectedA = events.slice(0, 100).filter((event) => event.path === '/').length;
    const expectedB = events.filter((event) => event.path === '/').length;
    expect(expectedB).toBeGreaterThan(expectedA);

    // Request 1 starts on version A and stops between its batch and realtime reads.
    const reached = new Promise<void>((resolve) => {
      reachedHook = resolve;
    });
    holdNext = true;
    const inFlight = server.app.inject({ url: '/v1/views/page_views_hourly', query: { key: '/' } });
    await reached;
    const oldPath = server.batch.acquire();
    const oldLocalPath = oldPath.snapshot?.localPath ?? '';
    oldPath.release();

    // Version B is published and picked up.
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: RUN_B,
      watermarkEpoch: 11,
      epochMs: 3_600_000,
      views: [{ view: pageViews, states: foldStates(pageViews, events) }],
    });
    expect(await server.batch.refresh()).toBe(true);
    expect(server.batch.stats.openFiles).toBe(2);
    expect(existsSync(oldLocalPath)).toBe(true);

    // A new request is answered from B.
    const next = await server.app.inject({ url: '/v1/views/page_views_hourly', query: { key: '/' } });
    expect(next.json().freshness.batchRunId).toBe(RUN_B);
    expect(hitsOf(next.json())).toBe(expectedB);

    // The in-flight request finishes on A; then A's file is closed and its copy removed.
    releaseHook();
    const first = await inFlight;
    expect(first.statusCode).toBe(200);
    expect(first.json().freshness).toMatchObject({ batchRunId: RUN_A, batchWatermarkEpoch: 10 });
    expect(hitsOf(first.json())).toBe(expectedA);
    expect(server.batch.stats.openFiles).toBe(1);
    await expect.poll(() => existsSync(oldLocalPath)).toBe(false);
    expect((await server.app.inject('/readyz')).statusCode).toBe(200);
  });

  it('keeps serving the current version when the manifest is torn', async () => {
    writeFileSync(`${env.lakeDir}/views/_manifest.json`, '{"format":"oxbow-batch-manif');
    // The history still names B (the newest), so a torn read falls back to it: no switch, no failure.
    expect(await server.batch.refresh()).toBe(false);
    const answer = await server.app.inject({ url: '/v1/views/page_views_hourly', query: { key: '/' } });
    expect(answer.json().freshness.batchRunId).toBe(RUN_B);
  });
});
