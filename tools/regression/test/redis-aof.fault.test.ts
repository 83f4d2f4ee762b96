/**
 * Fault 7 (AOF case): `oxbow speed` writes to a private redis-server with AOF `appendfsync everysec`, which is
 * killed with SIGKILL while batches are being committed and restarted on the same directory. A killed process
 * loses nothing the kernel already has, so the second case also cuts the AOF back to its size of one second
 * before the kill — what a power loss does under `everysec` — and Redis comes back without the last second of
 * commits the speed layer saw succeed. Without being restarted itself, the speed layer must carry on from what
 * Redis holds: the verifier ends with ALL-RECORDS-DELIVERED (nothing lost with the missing second, nothing
 * counted twice by a replay).
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestNames, testEnv, waitFor } from '../../../apps/speed/test/support/speed-test-env.ts';
import { startPrivateRedis } from './support/private-redis.ts';
import {
  committedRecords,
  expectSpeedDeliveredAll,
  produceInChunks,
  waitForEveryRecordCommitted,
  withRecentLogs,
} from './support/speed-fault-run.ts';
import { type SpeedProcess, startSpeedProcessKilledOnCleanup, stopProcess } from './support/speed-process.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function speedThroughRedisKill(loseLastSecond: boolean): Promise<void> {
  {
    const server = await startPrivateRedis('redis-aof', cleanups);
    const names = await createTestNames('aof');
    cleanups.push(() => rmSync(names.lakeDir, { recursive: true, force: true }));
    const layout = new RedisLayout(names.prefix);
    const logs: string[] = [];
    const speed: SpeedProcess = startSpeedProcessKilledOnCleanup(
      testEnv(names, {
        OXBOW_REDIS_URL: server.url,
        OXBOW_SPEED_BATCH_MS: '200',
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '2000',
      }),
      logs,
      'speed',
      cleanups,
    );
    const failure = withRecentLogs(logs);

    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 3000, seed: 71, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 900, seed: 72, startMs: start0, ratePerSec: 2 })];
    // Input keeps flowing in small chunks, so commits are going on when Redis dies and after it is back.
    const producing = produceInChunks(names, http, sensors, 60, 100);

    // The AOF's size every 100 ms, to cut it back to where it was a second before the kill.
    const aofSizes: Array<{ at: number; bytes: number }> = [];
    const sampling = setInterval(() => aofSizes.push({ at: Date.now(), bytes: server.aofBytes() }), 100);
    cleanups.push(() => clearInterval(sampling));
    let redis = new Redis(server.url);
    const committed = (client: Redis) => committedRecords(client, layout, names);
    // Kill while records are still being committed: after two seconds of commits, and at a third of the input at
    // least, so a second of the log can be cut without losing the generation it started with.
    let firstCommitAt: number | undefined;
    await waitFor(
      async () => {
        const seen = await committed(redis);
        if (seen > 0) firstCommitAt ??= Date.now();
        const enough = seen >= (http.length + sensors.length) / 3 && seen < http.length + sensors.length;
        return enough && firstCommitAt !== undefined && Date.now() - firstCommitAt >= 2000 ? true : undefined;
      },
      120_000,
      'two seconds of commits and a third of the records',
    ).catch((error: unknown) => {
      throw failure(error);
    });
    const seenBeforeKill = await committed(redis);
    redis.disconnect();
    await server.kill();
    const killedAt = Date.now();
    if (loseLastSecond) {
      const before = aofSizes.filter((sample) => sample.at <= killedAt - 1000).at(-1)?.bytes ?? 0;
      server.truncateAof(before);
    }
    await sleep(1500);
    await server.start();
    redis = new Redis(server.url);
    cleanups.push(() => redis.disconnect());
    const afterRestart = await committed(redis);
    const killNote = `committed ${seenBeforeKill} records before the kill, ${afterRestart} after the restart`;
    logs.push(`test: ${killNote}`);
    if (loseLastSecond) {
      // The fault bit: Redis came back with some of its commits, not all.
      expect(afterRestart, killNote).toBeGreaterThan(0);
      expect(afterRestart, killNote).toBeLessThan(seenBeforeKill);
    } else {
      expect(afterRestart, killNote).toBe(seenBeforeKill);
    }

    await producing;
    const total = http.length + sensors.length;
    await waitForEveryRecordCommitted(
      () => committed(redis),
      total,
      'every record to be committed after Redis came back',
      failure,
      180_000,
    );
    // The speed layer was never restarted: it is the first and only process, still running.
    expect(speed.process.exitCode, logs.slice(-30).join('\n')).toBeNull();
    expect(await stopProcess(speed.process, speed.exited), logs.slice(-30).join('\n')).toBe(0);

    const delivered = await expectSpeedDeliveredAll(redis, layout, http, sensors);
    console.log(
      `redis AOF kill${loseLastSecond ? ' losing the last second' : ''}: ${killNote}\n${delivered.http}; ${delivered.sensors}`,
    );
  }
}

describe('oxbow speed when Redis (AOF everysec) is killed with SIGKILL (fault 7)', () => {
  it('carries on from what the restarted Redis holds: ALL-RECORDS-DELIVERED', () =>
    speedThroughRedisKill(false));
  it('carries on when the restarted Redis lost its last second of commits: ALL-RECORDS-DELIVERED', () =>
    speedThroughRedisKill(true));
});
