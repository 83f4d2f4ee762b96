/**
 * End to end, the whole Lambda architecture, for both example projects (web-analytics and rides), each loaded by
 * the apps only through the `project` setting (`OXBOW_PROJECT`): seeded events from the project's generators
 * (with late events; rides from `generateEvents` over its schema) are produced to private topics while the
 * archiver (in this process), the speed app (`oxbow speed`) and the serving API (`oxbow serve`) run; batch runs
 * (`oxbow batch run`) publish batch views from the sealed epochs. At quiet moments (production paused,
 * the speed app at the topics' end offsets, every view `ready`) every view, key, bucket and per-key total the API
 * answers over HTTP equals the project's DuckDB oracle (hand-written SQL over the records produced so far; the
 * comparison driven by the views' field kinds, sketches within their stated error): before any batch run, after
 * a batch run mid-stream, and after the stream ended and a final batch run. Then the same under faults: the speed
 * app SIGKILLed twice, its Redis (a private `redis-server`) restarted empty once, a batch run killed after
 * writing its data and before its manifest. Nothing lost, nothing doubled.
 *
 * Then a deployment changing its views (web-analytics, small): the apps are restarted on a project file that
 * changes `status_minutely` (a filter) and adds `method_host_hourly`. The changed and the added view answer 503
 * `rebuilding` until a batch run of the new definitions (and the speed layer's replay) is done, then equal the
 * oracle of the new definitions; the unchanged views stay exact at every quiet moment, and every answer they give
 * while the apps restart and the speed layer replays is exact too.
 *
 * Then web-analytics on Redis Cluster (a private three-node cluster, `OXBOW_REDIS_CLUSTER=yes` for every app): the
 * speed layer commits each Kafka partition in its hash slot, the serving API reads the cluster layout, and the
 * answers equal the oracle before any batch run, after a SIGKILL of the speed app, after a batch run mid-stream
 * and after the final batch run.
 *
 * Sizes (events per scenario): `OXBOW_E2E_EVENTS` for web-analytics (default 300 000, 90 % HTTP logs),
 * `OXBOW_E2E_RIDES_EVENTS` for rides (default 60 000), `OXBOW_E2E_EVOLUTION_EVENTS` for the evolution
 * (default 30 000), `OXBOW_E2E_CLUSTER_EVENTS` on Redis Cluster (default 30 000); smaller numbers give a quick
 * local run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EphemeralRedis, type PrivateRedisCluster, startPrivateRedisCluster } from '@oxbow/testing-tools';
import { loadProject } from '@oxbow/views';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EVOLVED_ORACLE } from './fixtures/evolved.oracle.ts';
import { ADDED_VIEW, CHANGED_VIEW, UNCHANGED_VIEWS } from './fixtures/evolved.project.ts';
import {
  type Comparison,
  expectApiEqualsTruth,
  expectTotalEqualsTruth,
  getJson,
  oracleTruth,
} from './support/api-vs-oracle.ts';
import { type E2eProject, rides, SeededInput, webAnalytics } from './support/e2e-projects.ts';
import { LambdaStack } from './support/lambda-stack.ts';

const EPOCH_MS = 3000;
/** The stream is produced in this many chunks, with a short pause between them. */
const CHUNKS = 10;
const CHUNK_PAUSE_MS = 1000;

const EVOLVED_PROJECT = fileURLToPath(new URL('./fixtures/evolved.project.ts', import.meta.url));

/**
 * Produces chunks `from..to` (inclusive) of `input`, pausing after each so the stream spans several epochs;
 * returns the epoch before the one the last chunk started in (every record of that chunk is appended after it).
 */
async function produce(stack: LambdaStack, input: SeededInput, from: number, to: number): Promise<number> {
  let lastChunkStartMs = Date.now();
  for (let chunk = from; chunk <= to; chunk++) {
    lastChunkStartMs = Date.now();
    for (const [topic, records] of input.slice(chunk, chunk)) await stack.produce(topic, records);
    await sleep(CHUNK_PAUSE_MS);
  }
  return Math.floor(lastChunkStartMs / EPOCH_MS) - 1;
}

/**
 * One timed quiet-moment check: the speed app at the end offsets, the views ready, then the API against the
 * oracle over everything produced through `throughChunk` (of `views`, default all; by the oracle `oracle`,
 * default the project's).
 */
async function check(
  stack: LambdaStack,
  e2e: E2eProject,
  input: SeededInput,
  throughChunk: number,
  label: string,
  options: { views?: readonly string[]; project?: E2eProject } = {},
): Promise<Comparison> {
  const started = Date.now();
  const { project, oracle } = options.project ?? e2e;
  const views = options.views ?? project.views.map((view) => view.name);
  await stack.speedCaughtUp();
  await stack.viewsReady(views);
  const truth = await oracleTruth(project, oracle, input.through(throughChunk), views);
  const result = await expectApiEqualsTruth(stack.url, project, truth, `${e2e.label} ${label}`, views);
  expect(result.keys).toBeGreaterThan(100);
  console.log(
    `e2e ${e2e.label} ${label}: ${input.countThrough(throughChunk)} events, ${result.views} views, ${result.keys} keys, ${result.cells} cells equal the oracle (${Date.now() - started} ms)`,
  );
  return result;
}

let stack: LambdaStack | undefined;
let privateRedis: EphemeralRedis | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  await privateRedis?.stop();
  privateRedis = undefined;
});

const PROJECTS = [
  { name: 'web-analytics', load: webAnalytics, events: Number(process.env.OXBOW_E2E_EVENTS ?? 300_000) },
  { name: 'rides', load: rides, events: Number(process.env.OXBOW_E2E_RIDES_EVENTS ?? 60_000) },
];

describe.each(PROJECTS)(
  'the Lambda architecture end to end on $name ($events events per scenario)',
  ({ load, events }) => {
    it('answers equal the oracle before any batch run, after a batch run mid-stream and after the final batch run', async () => {
      const t0 = Date.now();
      const e2e = await load();
      const input = new SeededInput(e2e, { events, seed: 2026, chunks: CHUNKS });
      stack = await LambdaStack.start({ label: `${e2e.label}-clean`, project: e2e.file, epochMs: EPOCH_MS });

      await produce(stack, input, 0, 2);
      await check(stack, e2e, input, 2, 'before any batch run');
      for (const view of await stack.viewListing()) expect(view.merge.batchRunId, view.name).toBeNull();

      // The batch run stops before the last chunk's epochs: they stay realtime-only, so the answer is a merge.
      const beforeLastChunk = await produce(stack, input, 3, 5);
      const mid = await stack.batchRun({ untilEpoch: beforeLastChunk });
      await stack.servingFollows(mid.runId);
      await check(stack, e2e, input, 5, 'after a batch run mid-stream');
      for (const view of await stack.viewListing()) {
        expect(view.merge.batchWatermarkEpoch, view.name).toBe(mid.watermarkEpoch);
        // Mid-stream the answer is batch ⊕ realtime, both non-empty.
        expect(view.merge.realtimeEpochs.length, view.name).toBeGreaterThan(0);
      }
      for (const view of mid.views) expect(view.rowsIn, view.name).toBeGreaterThan(0);

      await produce(stack, input, 6, CHUNKS - 1);
      const final = await stack.batchRun({ coversEverything: true });
      await stack.servingFollows(final.runId);
      await check(stack, e2e, input, CHUNKS - 1, 'after the stream ended and a final batch run');
      // The speed layer reconciled the final version with its increments before expiring them: no drift.
      for (const [view, record] of await stack.reconciliationsOf(final.runId))
        expect(record.driftCells, `${view}: reconciliation with the final run (${record.outcome})`).toBe(0);
      // The project's models: trained by the final run (batch) or updated from it since (speed).
      const published = new Map((final.manifest?.models ?? []).map((model) => [model.name, model]));
      for (const model of e2e.project.models) {
        expect(published.get(model.name)?.examples, model.name).toBeGreaterThan(0);
        const served = await stack.waitFor(
          async () => {
            const body = await getJson<{ runId: string; source: string; examples: number; model: object }>(
              `${stack?.url}/v1/models/${model.name}`,
            );
            return body.runId === final.runId ? body : undefined;
          },
          60_000,
          `GET /v1/models/${model.name} to answer the final run's model`,
        );
        expect(served.model, model.name).toMatchObject({ format: 'oxbow-ml-model' });
        if (served.source === 'batch') expect(served.examples).toBe(published.get(model.name)?.examples);
      }
      console.log(`e2e ${e2e.label} clean scenario: ${Date.now() - t0} ms`);
    }, 600_000);

    it('answers equal the oracle after two speed SIGKILLs, a Redis restarted empty and a batch run killed mid-write', async () => {
      const t0 = Date.now();
      const e2e = await load();
      const input = new SeededInput(e2e, { events, seed: 4242, chunks: CHUNKS });
      privateRedis = await EphemeralRedis.start();
      stack = await LambdaStack.start({
        label: `${e2e.label}-faults`,
        project: e2e.file,
        epochMs: EPOCH_MS,
        redisUrl: privateRedis.url,
      });
      const live = stack;

      // SIGKILL 1: after the speed app committed progress, while the stream flows.
      const producing1 = produce(live, input, 0, 3);
      await live.waitFor(
        async () => ((await live.speedRecords()) > 0 ? true : undefined),
        60_000,
        'speed progress',
      );
      await live.killSpeed();
      const beforeChunk3 = await producing1;
      await check(live, e2e, input, 3, 'after SIGKILL 1 of the speed app');

      // A batch run killed after writing its files, before its manifest; its lock expires, the next run publishes.
      const deadRunId = await live.batchRunKilledMidWrite(2000);
      const afterCrash = await live.batchRun({ untilEpoch: beforeChunk3 });
      expect(afterCrash.runId).not.toBe(deadRunId);
      await live.servingFollows(afterCrash.runId);
      await check(live, e2e, input, 3, 'after a batch run killed mid-write');

      // SIGKILL 2, mid-stream again.
      const before = await live.speedRecords();
      const producing2 = produce(live, input, 4, 5);
      await live.waitFor(
        async () => ((await live.speedRecords()) > before ? true : undefined),
        60_000,
        'speed progress',
      );
      await live.killSpeed();
      await producing2;
      await check(live, e2e, input, 5, 'after SIGKILL 2 of the speed app');

      // Redis restarted empty: the speed app notices the missing generation marker and rebuilds from the manifest's
      // end offsets (the views are `rebuilding` until it reached where it was).
      await privateRedis.restart();
      await produce(live, input, 6, 7);
      await check(live, e2e, input, 7, 'after Redis restarted empty');
      expect(
        live.logs.some((line) => line.includes('generation marker')),
        live.logs.slice(-30).join('\n'),
      ).toBe(true);

      await produce(live, input, 8, CHUNKS - 1);
      const final = await live.batchRun({ coversEverything: true });
      await live.servingFollows(final.runId);
      await check(live, e2e, input, CHUNKS - 1, 'after the faults, the stream ended and a final batch run');
      console.log(`e2e ${e2e.label} fault scenario: ${Date.now() - t0} ms`);
    }, 600_000);
  },
);

/**
 * Probes answers while a deployment changes: every answer (200) an unchanged view gives must be exact; a 503
 * (`rebuilding`, or the server closing) or no connection (the server restarting) is no answer.
 */
class Probe {
  readonly counts = { exact: 0, rebuilding: 0, unavailable: 0, down: 0 };
  readonly failures: string[] = [];
  #stopped = false;
  readonly #done: Promise<void>;

  /** Queries each `[view, key]` total over and over until {@link Probe.stop}; `check` judges a 200 answer. */
  constructor(
    baseUrl: string,
    targets: ReadonlyArray<readonly [string, string]>,
    check: (view: string, key: string, total: Record<string, unknown>) => void,
  ) {
    this.#done = (async () => {
      while (!this.#stopped) {
        for (const [view, key] of targets) {
          let response: Response;
          try {
            response = await fetch(`${baseUrl}/v1/views/${view}?key=${encodeURIComponent(key)}`);
          } catch {
            this.counts.down++; // the serving API is restarting
            continue;
          }
          const body = (await response.json()) as { total?: Record<string, unknown>; status?: string };
          if (response.status === 200) {
            try {
              check(view, key, body.total ?? {});
              this.counts.exact++;
            } catch (error) {
              this.failures.push((error as Error).message);
            }
          } else if (response.status === 503 && body.status === 'rebuilding') this.counts.rebuilding++;
          else if (response.status === 503) this.counts.unavailable++;
          else this.failures.push(`${view} ${key}: ${response.status} ${JSON.stringify(body)}`);
        }
        await sleep(20);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

/** Asserts that `view` answers 503 `rebuilding` on both its routes and is listed as rebuilding. */
async function expectRebuilding(stack: LambdaStack, view: string, key: string, by: string): Promise<string> {
  for (const path of [`/v1/views/${view}?key=${encodeURIComponent(key)}`, `/v1/views/${view}/top?by=${by}`]) {
    const response = await fetch(`${stack.url}${path}`);
    const body = (await response.json()) as { code?: string; status?: string };
    expect(response.status, `${path}: ${JSON.stringify(body)}`).toBe(503);
    expect(body, path).toMatchObject({ code: 'OXBOW_VIEW_REBUILDING', status: 'rebuilding' });
    expect(Number(response.headers.get('retry-after')), path).toBeGreaterThan(0);
  }
  const listed = (await stack.viewListing()).find((candidate) => candidate.name === view);
  expect(listed?.status, view).toBe('rebuilding');
  return listed?.rebuilding ?? '';
}

describe('a deployment that changes its views', () => {
  const EVENTS = Number(process.env.OXBOW_E2E_EVOLUTION_EVENTS ?? 30_000);
  const EVOLUTION_CHUNKS = 6;

  it(`rebuilds a changed and an added view from the lake and Kafka (${EVENTS} events): 503 rebuilding until then, exact after; unchanged views exact throughout`, async () => {
    const t0 = Date.now();
    const e2e = await webAnalytics();
    const evolved: E2eProject = {
      ...e2e,
      file: EVOLVED_PROJECT,
      project: await loadProject(EVOLVED_PROJECT),
      oracle: EVOLVED_ORACLE,
    };
    expect(e2e.project.hasView(ADDED_VIEW)).toBe(false);

    const input = new SeededInput(e2e, { events: EVENTS, seed: 7070, chunks: EVOLUTION_CHUNKS });
    stack = await LambdaStack.start({ label: 'evolve', project: e2e.file, epochMs: EPOCH_MS });
    const live = stack;

    // The example runs: a batch run mid-stream, everything exact.
    const beforeChunk2 = await produce(live, input, 0, 2);
    const first = await live.batchRun({ untilEpoch: beforeChunk2 });
    await live.servingFollows(first.runId);
    await check(live, e2e, input, 2, 'on the example, before the change');
    const fingerprintsBefore = new Map(
      (await live.viewListing()).map((view) => [view.name, view.fingerprint]),
    );

    // Restart every app on the changed project, with no production meanwhile: whatever the unchanged views answer
    // while the serving API and the speed app restart (the speed app starts a new generation for the new view set
    // and replays Kafka from the manifest's end offsets) equals the oracle.
    const truthBefore = await oracleTruth(e2e.project, e2e.oracle, input.through(2), UNCHANGED_VIEWS);
    const targets = UNCHANGED_VIEWS.map((view) => {
      const totals = truthBefore.views.get(view)?.totals as Map<string, { hits?: number; count?: number }>;
      const busiest = [...totals].sort(
        ([, a], [, b]) => (b.hits ?? b.count ?? 0) - (a.hits ?? a.count ?? 0),
      )[0];
      return [view, busiest?.[0] as string] as const;
    });
    const probe = new Probe(live.url, targets, (view, key, total) =>
      expectTotalEqualsTruth(e2e.project.view(view), total, truthBefore, key, `probe ${view} ${key}`),
    );
    const restartStarted = Date.now();
    await live.stopApps();
    await live.startApps(EVOLVED_PROJECT);
    // From now until the batch run of the new definitions, the changed and the added view give no answer at all.
    const waiting = new Probe(
      live.url,
      [
        [CHANGED_VIEW, '4xx'],
        [ADDED_VIEW, 'GET www.oxbow.example'],
      ],
      (view) => {
        throw new Error(`${view} answered 200 before a batch run of its new definition`);
      },
    );

    // The changed and the added view: rebuilding (the manifest holds the old definition and no table of the new
    // view), on the batch side until the next batch run.
    const reasons = [
      await expectRebuilding(live, CHANGED_VIEW, '4xx', 'hits'),
      await expectRebuilding(live, ADDED_VIEW, 'GET www.oxbow.example', 'hits'),
    ];
    // The serving API runs the new definitions (as Node loads them, like the other apps): the unchanged views
    // keep their fingerprints, the changed one has a new one.
    const fingerprints = new Map((await live.viewListing()).map((view) => [view.name, view.fingerprint]));
    expect([...fingerprints.keys()]).toEqual(evolved.project.views.map((view) => view.name));
    for (const view of UNCHANGED_VIEWS)
      expect(fingerprints.get(view), view).toBe(fingerprintsBefore.get(view));
    expect(fingerprints.get(CHANGED_VIEW)).not.toBe(fingerprintsBefore.get(CHANGED_VIEW));
    await live.speedRuns();
    await live.speedCaughtUp();
    await live.viewsReady(UNCHANGED_VIEWS);
    await probe.stop();
    console.log(
      `e2e evolution: restart and replay ${Date.now() - restartStarted} ms, probe answers ${JSON.stringify(probe.counts)}`,
    );
    expect(probe.failures.slice(0, 5), `${probe.failures.length} wrong probe answers`).toEqual([]);
    expect(probe.counts.exact).toBeGreaterThan(0);
    expect(
      live.logs.some((line) => line.includes('the view set changed')),
      live.logs.slice(-30).join('\n'),
    ).toBe(true);
    await check(live, e2e, input, 2, 'after the restart on the changed project (unchanged views)', {
      views: UNCHANGED_VIEWS,
      project: evolved,
    });
    for (const view of [CHANGED_VIEW, ADDED_VIEW]) await expectRebuilding(live, view, '4xx', 'hits');

    // More traffic on the changed deployment: the unchanged views stay exact, the others wait for the batch run.
    const beforeChunk4 = await produce(live, input, 3, 4);
    await check(live, e2e, input, 4, 'on the changed project, before its first batch run (unchanged views)', {
      views: UNCHANGED_VIEWS,
      project: evolved,
    });
    for (const view of [CHANGED_VIEW, ADDED_VIEW]) await expectRebuilding(live, view, '4xx', 'hits');
    await waiting.stop();
    console.log(
      `e2e evolution: the changed and the added view until the batch run: ${JSON.stringify(waiting.counts)}`,
    );
    expect(waiting.failures.slice(0, 5), `${waiting.failures.length} answers`).toEqual([]);
    expect(waiting.counts.rebuilding).toBeGreaterThan(0);

    // A batch run of the new definitions: every view ready and equal to the oracle of its new definition (the
    // changed view holds no state of the old one: no 2xx/3xx key, no request below 400 counted).
    const rebuilt = await live.batchRun({ untilEpoch: beforeChunk4 });
    expect(
      Object.fromEntries(rebuilt.views.map((view) => [view.name, [view.change, view.fingerprint]])),
    ).toEqual(
      Object.fromEntries(
        evolved.project.views.map((view) => [
          view.name,
          [
            view.name === CHANGED_VIEW ? 'changed' : view.name === ADDED_VIEW ? 'new' : 'same',
            fingerprints.get(view.name),
          ],
        ]),
      ),
    );
    await live.servingFollows(rebuilt.runId);
    await check(live, e2e, input, 4, 'on the changed project after a batch run', { project: evolved });
    const statusKeys = await getJson<{ keys: Array<{ key: string }> }>(
      `${live.url}/v1/views/${CHANGED_VIEW}/top?by=hits&limit=10`,
    );
    expect(statusKeys.keys.map((k) => k.key).sort()).toEqual(['4xx', '5xx']);
    for (const view of await live.viewListing()) {
      expect(view.merge.batchRunId, view.name).toBe(rebuilt.runId);
      expect(view.merge.realtimeEpochs.length, view.name).toBeGreaterThan(0);
    }

    await produce(live, input, 5, EVOLUTION_CHUNKS - 1);
    const final = await live.batchRun({ coversEverything: true });
    await live.servingFollows(final.runId);
    await check(live, e2e, input, EVOLUTION_CHUNKS - 1, 'on the changed project after the final batch run', {
      project: evolved,
    });
    console.log(`e2e evolution scenario: ${Date.now() - t0} ms (rebuilding while: ${reasons.join(' | ')})`);
  }, 600_000);
});

describe('the Lambda architecture end to end on Redis Cluster', () => {
  let cluster: PrivateRedisCluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers equal the oracle with the speed and serving layers on a three-node cluster', async () => {
    const t0 = Date.now();
    const e2e = await webAnalytics();
    const events = Number(process.env.OXBOW_E2E_CLUSTER_EVENTS ?? 30_000);
    const input = new SeededInput(e2e, { events, seed: 1010, chunks: CHUNKS });
    cluster = await startPrivateRedisCluster();
    stack = await LambdaStack.start({
      label: `${e2e.label}-cluster`,
      project: e2e.file,
      epochMs: EPOCH_MS,
      redisUrl: cluster.url,
      redisCluster: true,
    });
    const live = stack;

    await produce(live, input, 0, 1);
    await check(live, e2e, input, 1, 'on Redis Cluster before any batch run');

    // A SIGKILL after the speed app committed progress: each partition resumes from its own stored offset.
    const before = await live.speedRecords();
    const producing = produce(live, input, 2, 3);
    await live.waitFor(
      async () => ((await live.speedRecords()) > before ? true : undefined),
      60_000,
      'speed progress',
    );
    await live.killSpeed();
    const beforeChunk3 = await producing;
    await check(live, e2e, input, 3, 'on Redis Cluster after a SIGKILL of the speed app');

    const mid = await live.batchRun({ untilEpoch: beforeChunk3 });
    await live.servingFollows(mid.runId);
    await produce(live, input, 4, 5);
    await check(live, e2e, input, 5, 'on Redis Cluster after a batch run mid-stream');
    for (const view of await live.viewListing()) {
      expect(view.merge.batchWatermarkEpoch, view.name).toBe(mid.watermarkEpoch);
      expect(view.merge.realtimeEpochs.length, view.name).toBeGreaterThan(0);
    }

    await produce(live, input, 6, CHUNKS - 1);
    const final = await live.batchRun({ coversEverything: true });
    await live.servingFollows(final.runId);
    await check(live, e2e, input, CHUNKS - 1, 'on Redis Cluster after the final batch run');
    console.log(`e2e ${e2e.label} Redis Cluster scenario: ${Date.now() - t0} ms`);
  }, 600_000);
});
