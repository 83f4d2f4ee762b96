/**
 * Fault 9: batch views swapped under load. The serving API listens on loopback and a load generator (concurrent
 * keep-alive `fetch` loops, key lookups and rankings) runs against it while six new batch versions are published,
 * one after the other, each picked up by the API's own manifest polling. Every version covers more epochs (a
 * higher watermark E) and the realtime increments in Redis hold every epoch after the first version's E, as the
 * speed layer leaves them until expiry. So an answer taken from one version — its DuckDB file and its E — equals
 * the oracle over all events, and an answer mixing two versions (one's batch part with the other's E, or two
 * files) counts the epochs between their watermarks twice or never. The test asks: no 5xx (no non-200 at all),
 * every answer's numbers equal the oracle and its `freshness.batchWatermarkEpoch` is its `batchRunId`'s, and
 * every version was served.
 */
import { bucketStart } from '@oxbow/views';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer, type ServingServer } from '../../../apps/serving/src/index.ts';
import {
  exampleProject,
  foldStates,
  httpEvents,
  START_MS,
  writeBatchVersion,
  writeRealtime,
  writeSpeedStatus,
} from '../../../apps/serving/test/support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from '../../../apps/serving/test/support/harness.ts';
import { waitFor } from '../../../apps/speed/test/support/speed-test-env.ts';

const EPOCH_MS = 3_600_000;
const VERSIONS = 7;
const WORKERS = 16;
const EVENTS_PER_EPOCH = 150;
const pageViews = exampleProject.view('page_views_hourly');
const BASE_EPOCH = Math.floor(START_MS / EPOCH_MS);

/** Version k's run id (ordered by time, as the batch app names runs) and watermark: E grows by 2 epochs a run. */
const runIdOf = (k: number) => `20261124T${String(10 + k).padStart(2, '0')}0000000Z-${String(k).repeat(8)}`;
const watermarkOf = (k: number) => BASE_EPOCH + 1 + 2 * k;

let env: TestEnvironment | undefined;
let server: ServingServer | undefined;

afterAll(async () => {
  await server?.close();
  await env?.cleanup();
});

/** What one answer was checked against. */
interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  byRun: Map<string, number>;
  wrong: string[];
}

describe('batch versions published under load (fault 9)', () => {
  it('never answers 5xx nor mixes versions: every answer equals the oracle for its own version', async () => {
    env = await testEnvironment('swap-load');
    // Every event "arrives" in an epoch by its index: epoch BASE + ⌊i / 150⌋ (the speed and batch layers cut by
    // arrival, not by event time; late events land in earlier buckets of later epochs).
    const events = httpEvents(EVENTS_PER_EPOCH * 2 * (VERSIONS + 1), 91);
    const epochOf = (i: number) => BASE_EPOCH + Math.floor(i / EVENTS_PER_EPOCH);
    const covered = (k: number) => events.filter((_, i) => epochOf(i) <= watermarkOf(k));
    const publish = (k: number) =>
      writeBatchVersion({
        lakeDir: env?.lakeDir ?? '',
        runId: runIdOf(k),
        watermarkEpoch: watermarkOf(k),
        epochMs: EPOCH_MS,
        views: [{ view: pageViews, states: foldStates(pageViews, covered(k)) }],
      });
    // Realtime: every epoch after version 0's watermark, spread over three partitions.
    for (let epoch = watermarkOf(0) + 1; epoch <= epochOf(events.length - 1); epoch++) {
      for (let partition = 0; partition < 3; partition++) {
        const part = events.filter((_, i) => epochOf(i) === epoch && i % 3 === partition);
        await writeRealtime(env.redis, env.prefix, pageViews, epoch, partition, foldStates(pageViews, part));
      }
    }
    await writeSpeedStatus(env.redis, env.prefix);
    await publish(0);

    // The oracle: hits per key and hour bucket over all events, with no pipeline code.
    const oracle = new Map<string, Map<string, number>>();
    for (const event of events) {
      const key = pageViews.keyOf(event);
      const bucket = new Date(bucketStart(pageViews.timeOf(event), pageViews.bucketMs)).toISOString();
      const buckets = oracle.get(key) ?? new Map<string, number>();
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
      oracle.set(key, buckets);
    }
    const totalOf = (key: string) => [...(oracle.get(key)?.values() ?? [])].reduce((a, b) => a + b, 0);
    const keys = [...oracle.keys()];
    expect(keys.length).toBeGreaterThan(3);

    server = await buildServer(
      env.with({ manifestPollMs: 100, apiRateLimit: 100_000_000, apiMaxConnections: 4 * WORKERS }),
      { redis: env.redis, project: exampleProject, logger: false, onAdminKeyCreated: () => {} },
    );
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const address = server.app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    const tally: Tally = { requests: 0, byStatus: new Map(), byRun: new Map(), wrong: [] };
    const watermarks = new Map(Array.from({ length: VERSIONS }, (_, k) => [runIdOf(k), watermarkOf(k)]));
    const check = (url: string, status: number, body: Record<string, unknown>) => {
      tally.requests++;
      tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
      const problem = (what: string) => {
        if (tally.wrong.length < 20) tally.wrong.push(`${url} → ${status}: ${what} ${JSON.stringify(body)}`);
      };
      if (status !== 200) return problem('not 200');
      const freshness = body.freshness as { batchRunId: string; batchWatermarkEpoch: number };
      tally.byRun.set(freshness.batchRunId, (tally.byRun.get(freshness.batchRunId) ?? 0) + 1);
      if (watermarks.get(freshness.batchRunId) !== freshness.batchWatermarkEpoch) {
        return problem(`watermark ${freshness.batchWatermarkEpoch} is not run ${freshness.batchRunId}'s`);
      }
      if (Array.isArray(body.keys)) {
        // A ranking: every key's hits as the oracle counts them.
        const ranked = body.keys as Array<{ key: string; value: { hits: number } }>;
        if (ranked.length === 0) return problem('empty ranking');
        for (const { key, value } of ranked) {
          if (value.hits !== totalOf(key))
            return problem(`${key}: ${value.hits} hits, oracle ${totalOf(key)}`);
        }
        return;
      }
      const key = new URL(url, base).searchParams.get('key') ?? '';
      const total = (body.total as { hits: number }).hits;
      if (total !== totalOf(key)) return problem(`total ${total} hits, oracle ${totalOf(key)}`);
      for (const { bucket, value } of body.buckets as Array<{ bucket: string; value: { hits: number } }>) {
        const want = oracle.get(key)?.get(bucket) ?? 0;
        if (value.hits !== want) return problem(`bucket ${bucket}: ${value.hits} hits, oracle ${want}`);
      }
    };

    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const url =
          (w + n) % 5 === 0
            ? '/v1/views/page_views_hourly/top?by=hits&limit=5'
            : `/v1/views/page_views_hourly?key=${encodeURIComponent(keys[(w * 7 + n) % keys.length] ?? '/')}`;
        try {
          const response = await fetch(base + url);
          check(url, response.status, (await response.json()) as Record<string, unknown>);
        } catch (error) {
          tally.requests++;
          if (tally.wrong.length < 20) tally.wrong.push(`${url}: ${(error as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    // Versions 1…6 are published one after the other, each once the load is answered from the previous one.
    for (let k = 1; k < VERSIONS; k++) {
      await waitFor(
        () => ((tally.byRun.get(runIdOf(k - 1)) ?? 0) >= 50 ? true : undefined),
        60_000,
        `50 answers from version ${k - 1} (${tally.requests} requests so far, ${tally.wrong.slice(0, 3).join('; ')})`,
      );
      await publish(k);
    }
    await waitFor(
      () => ((tally.byRun.get(runIdOf(VERSIONS - 1)) ?? 0) >= 50 ? true : undefined),
      60_000,
      `50 answers from the last version`,
    );
    stop = true;
    await Promise.all(workers);

    const statuses = [...tally.byStatus.entries()].map(([status, n]) => `${status}: ${n}`).join(', ');
    console.log(
      `swap under load: ${tally.requests} requests by ${WORKERS} workers over ${VERSIONS} versions (${statuses}); ` +
        `answers per version: ${[...tally.byRun.values()].join(', ')}; wrong: ${tally.wrong.length}`,
    );
    expect(tally.wrong, tally.wrong.join('\n')).toEqual([]);
    expect([...tally.byStatus.keys()]).toEqual([200]);
    expect([...tally.byRun.keys()].sort()).toEqual(Array.from({ length: VERSIONS }, (_, k) => runIdOf(k)));
  });
});
