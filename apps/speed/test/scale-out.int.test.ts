/**
 * Scale-out on Kafka's consumer groups: three `oxbow speed` processes (`OXBOW_SPEED_INSTANCE_ID` speed-0/1/2) share
 * one consumer group per topic, so each is the single writer of the partitions it was assigned. One is SIGKILLed
 * mid-stream; after its session times out the others take its partitions over from the offsets it committed in
 * Redis, and the increments end equal to the oracle: nothing lost, nothing doubled.
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisLayout } from '@oxbow/contracts';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { loadProject } from '@oxbow/views';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { expectAllViewsMatchOracle, oracleOf } from './support/oracle-comparison.ts';
import {
  createTestNames,
  produce,
  removeTestState,
  startSpeedCli,
  TEST_BROKERS,
  TEST_REDIS_URL,
  testEnv,
  waitFor,
  waitForExactlyCommitted,
} from './support/speed-test-env.ts';

const INSTANCES = 3;
const children: ChildProcess[] = [];
const redis = new Redis(TEST_REDIS_URL);
const admin = new Kafka({
  clientId: 'oxbow-scale-out-test',
  brokers: TEST_BROKERS,
  logLevel: logLevel.NOTHING,
}).admin();
let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await cleanup?.();
  await admin.disconnect();
  redis.disconnect();
});

describe('three speed instances in one consumer group', () => {
  it('split the partitions, survive a SIGKILL of one, and end with increments equal to the oracle', async () => {
    const names = await createTestNames('scale');
    const layout = new RedisLayout(names.prefix);
    cleanup = () => removeTestState(redis, names);
    await admin.connect();
    const logs: string[] = [];
    const start = (instance: number): ChildProcess => {
      const env = {
        ...process.env,
        ...testEnv(names, {
          OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '3000',
          OXBOW_SPEED_BATCH_MS: '300',
          OXBOW_SPEED_LIVE_WINDOW_MS: '3000',
          OXBOW_SPEED_LIVE_SLIDE_MS: '600',
          OXBOW_SPEED_INSTANCE_ID: `speed-${instance}`,
        }),
      };
      const child = startSpeedCli(env, logs, instance);
      children.push(child);
      return child;
    };
    const committed = async (): Promise<number> => {
      const status = await redis.hgetall(layout.status());
      return Number(status[`records:${names.http}`] ?? 0) + Number(status[`records:${names.sensors}`] ?? 0);
    };
    /** The members of the http topic's group that hold at least one partition. */
    let lastGroup = '';
    const assignedMembers = async (): Promise<number> => {
      const { groups } = await admin.describeGroups([`${names.prefix}speed-${names.http}`]);
      const group = groups[0];
      lastGroup = JSON.stringify(group, (_key, value) =>
        value?.type === 'Buffer' ? value.data.length : value,
      );
      if (group === undefined || group.state !== 'Stable') return 0;
      return group.members.filter((member) => member.memberAssignment.length > 0).length;
    };

    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 3000, seed: 31, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 600, seed: 32, startMs: start0, ratePerSec: 2 })];
    const oracle = await oracleOf(http, sensors);
    const half = (values: readonly unknown[], second: boolean) =>
      values
        .slice(second ? values.length / 2 : 0, second ? values.length : values.length / 2)
        .map((v) => JSON.stringify(v));

    const running = Array.from({ length: INSTANCES }, (_, instance) => start(instance));
    // Every instance holds a partition of the 3-partition topic before anything is produced.
    await waitFor(
      async () => ((await assignedMembers()) === INSTANCES ? true : undefined),
      90_000,
      'three members of the group, each assigned a partition',
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\ngroup: ${lastGroup}\n${logs.join('\n')}`);
    });
    await produce(names.http, half(http, false));
    await produce(names.sensors, half(sensors, false));
    await waitFor(async () => ((await committed()) > 0 ? true : undefined), 60_000, 'a first commit');
    await sleep(Math.floor(Math.random() * 300));
    const killed = running[1] as ChildProcess;
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));
    await produce(names.http, half(http, true));
    await produce(names.sensors, half(sensors, true));

    const total = http.length + sensors.length;
    await waitForExactlyCommitted(
      committed,
      total,
      120_000,
      'every record to be committed by the two instances left',
      logs,
    );
    expect(await assignedMembers()).toBe(INSTANCES - 1);
    const project = await loadProject(WEB_ANALYTICS_PROJECT);
    expect(await expectAllViewsMatchOracle(redis, layout, oracle, project)).toBeGreaterThan(100);
    oracle.close();

    for (const child of running) {
      if (child === killed) continue;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 300_000);
});
