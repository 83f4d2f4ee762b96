/**
 * Fault 6: a zombie speed instance. Two `oxbow speed` instances share the consumer group (each with its own
 * `OXBOW_SPEED_INSTANCE_ID`). The second one freezes itself with SIGSTOP at its first commit, a batch folded and
 * in hand, nothing written (`OXBOW_FAILPOINT=mid-batch`, `OXBOW_FAILPOINT_SIGNAL=SIGSTOP`), and stays frozen past
 * its group session while input flows, so the first one takes its partitions back and commits past where the
 * frozen batch started. Then it gets SIGCONT and sends that batch to Redis. The fence is inside the commit script:
 * every partition's stored offset must equal the batch's first offset, so the late batch writes nothing, the
 * zombie says so (`refused (stored offset …)`, `refusedBatches` of its status) and re-reads from Redis. The
 * verifier ends with ALL-RECORDS-DELIVERED: a late write that got through would show as MORE.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  committedOffsets,
  createTestNames,
  produce,
  TEST_REDIS_URL,
  testEnv,
  waitFor,
} from '../../../apps/speed/test/support/speed-test-env.ts';
import { freePort } from './support/private-redis.ts';
import { removeSpeedTestData, withRecentLogs } from './support/speed-fault-run.ts';
import { type SpeedProcess, startSpeedProcess, stopProcess } from './support/speed-process.ts';
import { speedVerdicts } from './support/speed-verdict.ts';

const SESSION_TIMEOUT_MS = 3000;
const redis = new Redis(TEST_REDIS_URL);
const running: SpeedProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const child of running) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGCONT');
      child.process.kill('SIGKILL');
    }
  }
  for (const cleanup of cleanups) await cleanup();
  redis.disconnect();
});

/** The scheduler state of a process (`T` when stopped), from /proc. */
function processState(pid: number): string {
  return (
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ')[0] ?? '?'
  );
}

describe('a speed instance frozen mid-commit past its session and resumed (fault 6)', () => {
  it('has its late batch refused by the commit script: ALL-RECORDS-DELIVERED', async () => {
    const names = await createTestNames('zombie');
    const layout = new RedisLayout(names.prefix);
    const failpoints = mkdtempSync(join(tmpdir(), 'oxbow-zombie-failpoints-'));
    cleanups.push(() => removeSpeedTestData(redis, names, failpoints));
    const env = (instance: string, extra: Record<string, string> = {}) =>
      testEnv(names, {
        OXBOW_SPEED_INSTANCE_ID: instance,
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
        ...extra,
      });
    const logs: string[] = [];
    const failure = withRecentLogs(logs, 80);
    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 4000, seed: 111, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 1200, seed: 112, startMs: start0, ratePerSec: 2 })];
    const total = http.length + sensors.length;
    const committed = async () =>
      (await committedOffsets(redis, layout, names.http)) +
      (await committedOffsets(redis, layout, names.sensors));
    const until = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000) =>
      waitFor(async () => ((await check()) ? true : undefined), timeoutMs, what).catch((error: unknown) => {
        throw failure(error);
      });
    const chunks = 6;
    let produced = 0;
    let nextChunk = 0;
    const produceChunk = async () => {
      const c = nextChunk++;
      const slice = (list: readonly object[]) =>
        list
          .slice((c * list.length) / chunks, ((c + 1) * list.length) / chunks)
          .map((r) => JSON.stringify(r));
      const [h, s] = [slice(http), slice(sensors)];
      await produce(names.http, h, `c${c}-`);
      await produce(names.sensors, s, `c${c}-`);
      produced += h.length + s.length;
    };

    // The live instance alone first, then the other joins the group: the partitions are split between them.
    const live = startSpeedProcess(env('live'), logs, 'live');
    running.push(live);
    await produceChunk();
    await until(async () => (await committed()) === produced, 'the live instance to commit the first chunk');
    const zombiePort = await freePort();
    const zombie = startSpeedProcess(
      env('zombie', {
        OXBOW_SPEED_HEALTH_PORT: String(zombiePort),
        OXBOW_FAILPOINT: 'mid-batch',
        OXBOW_FAILPOINT_SIGNAL: 'SIGSTOP',
        OXBOW_FAILPOINT_DIR: failpoints,
      }),
      logs,
      'zombie',
    );
    running.push(zombie);
    const zombiePid = zombie.process.pid ?? -1;
    await until(
      () => logs.some((l) => l.startsWith('zombie') && l.includes('oxbow speed: running')),
      'the second instance to run',
    );
    // Records for every partition, until the new member got some of them and froze at its first commit.
    const frozen = () => existsSync(join(failpoints, 'mid-batch.fired'));
    while (!frozen() && nextChunk < 3) {
      await produceChunk();
      for (let waited = 0; waited < 10_000 && !frozen(); waited += 200) await sleep(200);
    }
    await until(frozen, 'the zombie to freeze mid-commit');
    await until(() => processState(zombiePid) === 'T', 'the zombie to be stopped');
    const frozenAt = await committed();

    // Frozen past its session: the live instance takes every partition and commits everything produced, past
    // the offsets the frozen batch starts at.
    while (nextChunk < 4) await produceChunk();
    await until(
      async () => (await committed()) === produced,
      'the live instance to take the frozen one’s partitions and commit everything produced',
    );
    expect(processState(zombiePid), 'the zombie stayed frozen').toBe('T');

    zombie.process.kill('SIGCONT');
    await until(
      () => logs.some((l) => l.startsWith('zombie') && / refused \(stored offset /.test(l)),
      'the resumed zombie’s late batch to be refused',
    );
    while (nextChunk < chunks) await produceChunk();
    await until(async () => {
      const seen = await committed();
      if (seen > total) throw new Error(`committed ${seen} records, only ${total} were produced`);
      return seen === total;
    }, 'every record committed after the zombie resumed');
    const health = (await (await fetch(`http://127.0.0.1:${zombiePort}/health`)).json()) as {
      refusedBatches: number;
      pid: number;
    };
    const refusals = logs.filter((l) => l.startsWith('zombie') && / refused \(stored offset /.test(l));
    expect(health.pid).toBe(zombiePid);
    expect(health.refusedBatches).toBeGreaterThanOrEqual(1);
    expect(await stopProcess(zombie.process, zombie.exited), logs.slice(-30).join('\n')).toBe(0);
    expect(await stopProcess(live.process, live.exited), logs.slice(-30).join('\n')).toBe(0);

    const verdicts = await speedVerdicts(redis, layout, http, sensors);
    console.log(
      `zombie: froze mid-commit with ${frozenAt} of ${total} records committed; after SIGCONT its status counted ` +
        `${health.refusedBatches} refused batches (${refusals[0]})\n` +
        `${verdicts.http.summary.split('\n')[0]}; ${verdicts.sensors.summary.split('\n')[0]}`,
    );
    expect(verdicts.http.verdict, verdicts.http.summary).toBe('ALL-RECORDS-DELIVERED');
    expect(verdicts.sensors.verdict, verdicts.sensors.summary).toBe('ALL-RECORDS-DELIVERED');
  });
});
