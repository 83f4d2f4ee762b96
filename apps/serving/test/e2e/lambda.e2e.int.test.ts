/**
 * End to end, the whole Lambda architecture: seeded HTTP logs (with late events) and sensor readings are produced
 * to a private topic pair while the archiver, the speed app (`oxbow speed`, a child process) and the serving API
 * run; batch runs publish batch views from the sealed epochs. At quiet moments (production paused, the speed app
 * at the topics' end offsets) every view, key, bucket and per-key total the API answers over HTTP equals plain
 * DuckDB SQL over the records produced so far (sketches within their stated error): before any batch run, after
 * a batch run mid-stream, and after the stream ended and a final batch run. Then the same under faults: the speed
 * app SIGKILLed twice, its Redis (a private `redis-server`) restarted empty once, a batch run killed after
 * writing its data and before its manifest. Nothing lost, nothing doubled.
 *
 * Size: `OXBOW_E2E_EVENTS` events per scenario (90 % HTTP logs, 10 % sensor readings), default 300 000 as the
 * issue asks (both scenarios ≈ 80 s on the shared 2-core machine); a smaller number gives a quick local run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { afterEach, describe, expect, it } from 'vitest';
import { type Comparison, expectApiEqualsOracle } from './support/api-vs-oracle.ts';
import { LambdaStack, PrivateRedis } from './support/lambda-stack.ts';

const EVENTS = Number(process.env.OXBOW_E2E_EVENTS ?? 300_000);
const EPOCH_MS = 3000;
/** The stream is produced in this many chunks, with a short pause between them. */
const CHUNKS = 10;
const CHUNK_PAUSE_MS = 1000;

/** The seeded input of a scenario, split in chunks; `through(c)` is everything produced up to chunk c. */
function seededInput(seed: number) {
  const httpCount = Math.round(EVENTS * 0.9);
  const sensorCount = EVENTS - httpCount;
  const spanS = 2 * 3600;
  const startMs = Date.now() - 3 * 3_600_000;
  const http = [...generateHttpLogs({ count: httpCount, seed, startMs, ratePerSec: httpCount / spanS })];
  const sensors = [
    ...generateSensorReadings({
      count: sensorCount,
      seed: seed + 1,
      startMs,
      ratePerSec: sensorCount / spanS,
    }),
  ];
  const cut = (length: number, chunk: number) => Math.round((length * chunk) / CHUNKS);
  return {
    http,
    sensors,
    through: (chunk: number) => ({
      http: http.slice(0, cut(http.length, chunk + 1)),
      sensors: sensors.slice(0, cut(sensors.length, chunk + 1)),
    }),
    /**
     * Produces chunks `from..to` (inclusive), pausing after each so the stream spans several epochs; returns the
     * epoch before the one the last chunk started in (every record of that chunk is appended after it).
     */
    produce: async (stack: LambdaStack, from: number, to: number): Promise<number> => {
      let lastChunkStartMs = Date.now();
      for (let chunk = from; chunk <= to; chunk++) {
        lastChunkStartMs = Date.now();
        const h0 = cut(http.length, chunk);
        const s0 = cut(sensors.length, chunk);
        await stack.produce(stack.http, http.slice(h0, cut(http.length, chunk + 1)), h0);
        await stack.produce(stack.sensors, sensors.slice(s0, cut(sensors.length, chunk + 1)), s0);
        await sleep(CHUNK_PAUSE_MS);
      }
      return Math.floor(lastChunkStartMs / EPOCH_MS) - 1;
    },
  };
}

interface MergeState {
  readonly name: string;
  readonly merge: { batchRunId: string | null; batchWatermarkEpoch: number | null; realtimeEpochs: number[] };
}

async function mergeStates(stack: LambdaStack): Promise<MergeState[]> {
  return (await stack.get<{ views: MergeState[] }>('/v1/views')).views.filter((v) =>
    ['page_views_hourly', 'country_daily', 'status_minutely', 'sensor_hourly'].includes(v.name),
  );
}

/** One timed quiet-moment check, logged for the report. */
async function check(
  stack: LambdaStack,
  input: ReturnType<typeof seededInput>,
  throughChunk: number,
  label: string,
): Promise<Comparison> {
  const started = Date.now();
  await stack.speedCaughtUp();
  const { http, sensors } = input.through(throughChunk);
  const result = await expectApiEqualsOracle(stack.url, http, sensors, label);
  expect(result.keys).toBeGreaterThan(100);
  console.log(
    `e2e ${label}: ${result.httpEvents + result.sensorEvents} events, ${result.keys} keys, ${result.cells} cells equal the oracle (${Date.now() - started} ms)`,
  );
  return result;
}

let stack: LambdaStack | undefined;
let privateRedis: PrivateRedis | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  await privateRedis?.stop();
  privateRedis = undefined;
});

describe(`the Lambda architecture end to end (${EVENTS} events per scenario)`, () => {
  it('answers equal the oracle before any batch run, after a batch run mid-stream and after the final batch run', async () => {
    const t0 = Date.now();
    const input = seededInput(2026);
    stack = await LambdaStack.start({ label: 'clean', epochMs: EPOCH_MS });

    await input.produce(stack, 0, 2);
    await check(stack, input, 2, 'before any batch run');
    for (const view of await mergeStates(stack)) expect(view.merge.batchRunId, view.name).toBeNull();

    // The batch run stops before the last chunk's epochs: they stay realtime-only, so the answer is a merge.
    const beforeLastChunk = await input.produce(stack, 3, 5);
    const mid = await stack.batchRun({ untilEpoch: beforeLastChunk });
    await stack.servingFollows(mid.runId);
    await check(stack, input, 5, 'after a batch run mid-stream');
    for (const view of await mergeStates(stack)) {
      expect(view.merge.batchWatermarkEpoch, view.name).toBe(mid.watermarkEpoch);
      // Mid-stream the answer is batch ⊕ realtime, both non-empty.
      if (view.name !== 'sensor_hourly' || input.sensors.length > 0)
        expect(view.merge.realtimeEpochs.length, view.name).toBeGreaterThan(0);
    }
    expect(mid.views.reduce((rows, view) => rows + view.rowsIn, 0)).toBeGreaterThan(0);

    await input.produce(stack, 6, CHUNKS - 1);
    const final = await stack.batchRun({ coversEverything: true });
    await stack.servingFollows(final.runId);
    await check(stack, input, CHUNKS - 1, 'after the stream ended and a final batch run');
    console.log(`e2e clean scenario: ${Date.now() - t0} ms`);
  }, 600_000);

  it('answers equal the oracle after two speed SIGKILLs, a Redis restarted empty and a batch run killed mid-write', async () => {
    const t0 = Date.now();
    const input = seededInput(4242);
    privateRedis = await PrivateRedis.start();
    stack = await LambdaStack.start({ label: 'faults', epochMs: EPOCH_MS, redisUrl: privateRedis.url });
    const live = stack;

    // SIGKILL 1: after the speed app committed progress, while the stream flows.
    const producing1 = input.produce(live, 0, 3);
    await live.waitFor(
      async () => ((await live.speedRecords()) > 0 ? true : undefined),
      60_000,
      'speed progress',
    );
    await live.killSpeed();
    const beforeChunk3 = await producing1;
    await check(live, input, 3, 'after SIGKILL 1 of the speed app');

    // A batch run killed after writing its files, before its manifest; its lock expires, the next run publishes.
    const deadRunId = await live.batchRunKilledMidWrite(2000);
    const afterCrash = await live.batchRun({ untilEpoch: beforeChunk3 });
    expect(afterCrash.runId).not.toBe(deadRunId);
    await live.servingFollows(afterCrash.runId);
    await check(live, input, 3, 'after a batch run killed mid-write');

    // SIGKILL 2, mid-stream again.
    const before = await live.speedRecords();
    const producing2 = input.produce(live, 4, 5);
    await live.waitFor(
      async () => ((await live.speedRecords()) > before ? true : undefined),
      60_000,
      'speed progress',
    );
    await live.killSpeed();
    await producing2;
    await check(live, input, 5, 'after SIGKILL 2 of the speed app');

    // Redis restarted empty: the speed app notices the missing generation marker and rebuilds from the manifest's
    // end offsets.
    await privateRedis.restart();
    await input.produce(live, 6, 7);
    await check(live, input, 7, 'after Redis restarted empty');
    expect(
      live.logs.some((line) => line.includes('generation marker')),
      live.logs.slice(-30).join('\n'),
    ).toBe(true);

    await input.produce(live, 8, CHUNKS - 1);
    const final = await live.batchRun({ coversEverything: true });
    await live.servingFollows(final.runId);
    await check(live, input, CHUNKS - 1, 'after the faults, the stream ended and a final batch run');
    console.log(`e2e fault scenario: ${Date.now() - t0} ms`);
  }, 600_000);
});
