/**
 * A speed layer started on a Kafka topic that does not exist says so and fails: `startSpeed` rejects with
 * `OXBOW_SPEED_TOPIC_NOT_FOUND` naming the topic (having written nothing to Redis), and `oxbow speed` exits
 * non-zero with the message.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SpeedError, startSpeed } from '../src/index.ts';
import {
  createTestNames,
  type SpeedTestNames,
  scanKeys,
  TEST_REDIS_URL,
  testConfig,
  testEnv,
} from './support/speed-test-env.ts';

const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const redis = new Redis(TEST_REDIS_URL);
let names: SpeedTestNames | undefined;

afterAll(async () => {
  if (names) {
    for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
    rmSync(names.lakeDir, { recursive: true, force: true });
  }
  redis.disconnect();
});

describe('a topic that does not exist', () => {
  it('makes startSpeed reject with OXBOW_SPEED_TOPIC_NOT_FOUND and oxbow speed exit non-zero', async () => {
    const test = await createTestNames('missing');
    names = test;
    const missing = `${test.prefix.replace(/[^A-Za-z0-9._-]/g, '')}-nope`;
    const topics = `${test.http}:http_logs,${missing}:sensor_readings`;
    const error = await startSpeed(await testConfig(test, { OXBOW_SPEED_TOPICS: topics }), {
      log: () => {},
    }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(SpeedError.is(error, 'OXBOW_SPEED_TOPIC_NOT_FOUND'), String(error)).toBe(true);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).not.toContain(test.http);
    expect(await scanKeys(redis, `${test.prefix}*`)).toEqual([]);

    const child = spawn(process.execPath, [CLI, 'speed'], {
      env: { ...process.env, ...testEnv(test, { OXBOW_SPEED_TOPICS: topics }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exit) => resolve(exit)));
    expect(code, stderr).not.toBe(0);
    expect(stderr).toContain(`Kafka topic ${missing} does not exist`);
  }, 30_000);
});
