/**
 * Fault 5 (Kafka part): our loopback TCP proxy between `oxbow speed` and Kafka — a private broker advertising the
 * proxy (`support/proxied-kafka.ts`), so fetches, offset requests, group heartbeats and the dead-letter producer
 * all go through it. While the speed layer works through a backlog (its rate capped), the proxy resets every open
 * connection five times, mid-fetch; then it delays every chunk by 30 ms both ways while the rest of the input is
 * produced. The process is never restarted: its increments must end complete and contiguous —
 * ALL-RECORDS-DELIVERED — and its lag back to 0.
 */
import { RedisLayout } from '@oxbow/contracts';
import { generateHttpLogs, generateSensorReadings } from '@oxbow/example-web-analytics';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  committedOffsets,
  TEST_REDIS_URL,
  testEnv,
  waitFor,
} from '../../../apps/speed/test/support/speed-test-env.ts';
import { createEmptyTopics } from './support/golden.ts';
import { connectToPrivateKafka, privateBrokerTestNames } from './support/private-broker-names.ts';
import { ProxiedKafka } from './support/proxied-kafka.ts';
import { startSpeedProcessKilledOnCleanup, stopProcess } from './support/speed-process.ts';
import { speedVerdicts } from './support/speed-verdict.ts';

const DROPS = 5;
const redis = new Redis(TEST_REDIS_URL);
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  redis.disconnect();
});

describe('Kafka behind our TCP proxy: connections reset mid-fetch, then 30 ms of latency (fault 5)', () => {
  it('leaves the speed layer complete and contiguous without a restart: ALL-RECORDS-DELIVERED', async () => {
    const kafka = await ProxiedKafka.start();
    cleanups.push(() => kafka.stop());
    const { kafka: client, admin } = await connectToPrivateKafka(
      kafka.brokers,
      'oxbow-fault-kafka-proxy',
      cleanups,
    );
    const { names } = privateBrokerTestNames(redis, cleanups, {
      topicLabel: 'proxied',
      prefixLabel: 'kafka-proxy',
      dirLabel: 'kafka-proxy',
    });
    await createEmptyTopics(admin, [names.http, names.sensors, names.deadLetters], 3, [names.deadLetters]);
    // The producer goes through the proxy too, but never while it drops connections (a retried send would be a
    // duplicate the verifier rightly counts).
    const producer = client.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const produce = async (topic: string, records: readonly object[]) => {
      for (let i = 0; i < records.length; i += 500) {
        const messages = records
          .slice(i, i + 500)
          .map((r, j) => ({ key: `k${i + j}`, value: JSON.stringify(r) }));
        await producer.send({ topic, acks: -1, messages });
      }
    };
    const start0 = Date.now() - 2 * 3_600_000;
    const http = [...generateHttpLogs({ count: 4000, seed: 505, startMs: start0, ratePerSec: 5 })];
    const sensors = [...generateSensorReadings({ count: 1200, seed: 506, startMs: start0, ratePerSec: 2 })];
    const total = http.length + sensors.length;
    const layout = new RedisLayout(names.prefix);
    const status = () => redis.hgetall(layout.status());
    const committed = async () =>
      (await committedOffsets(redis, layout, names.http)) +
      (await committedOffsets(redis, layout, names.sensors));

    // A backlog of the first 60 %, consumed at a capped rate while connections are reset.
    await produce(names.http, http.slice(0, 2400));
    await produce(names.sensors, sensors.slice(0, 720));
    const backlog = 2400 + 720;
    const logs: string[] = [];
    const speed = startSpeedProcessKilledOnCleanup(
      testEnv(names, {
        OXBOW_KAFKA_BROKERS: kafka.brokers,
        OXBOW_SPEED_KAFKA_SESSION_TIMEOUT_MS: '6000',
        OXBOW_SPEED_MAX_RATE_PER_PARTITION: '150',
      }),
      logs,
      'speed',
      cleanups,
    );
    const failure = (error: unknown) =>
      new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
    const until = (check: () => Promise<boolean>, what: string, timeoutMs = 180_000) =>
      waitFor(async () => ((await check()) ? true : undefined), timeoutMs, what).catch((error: unknown) => {
        throw failure(error);
      });
    const dropsAt: number[] = [];
    for (let drop = 1; drop <= DROPS; drop++) {
      // At a random point of each sixth of the backlog, and after the last drop some records were committed.
      const at = Math.max(
        Math.floor((backlog * (drop - 1 + Math.random())) / (DROPS + 1)),
        (dropsAt.at(-1) ?? -1) + 1,
      );
      await until(async () => (await committed()) >= at, `${at} records committed before drop ${drop}`);
      dropsAt.push(await committed());
      kafka.proxy.dropAll();
    }
    const dropped = kafka.proxy.dropped;
    kafka.proxy.setLatency(30);
    await produce(names.http, http.slice(2400));
    await produce(names.sensors, sensors.slice(720));
    await until(async () => {
      const seen = await committed();
      if (seen > total) throw new Error(`committed ${seen} records, only ${total} were produced`);
      return seen === total && (await status()).lagRecords === '0';
    }, 'every record committed and the lag back to 0 under 30 ms of latency');
    expect(speed.process.exitCode, 'the speed layer was never restarted').toBeNull();
    kafka.proxy.setLatency(0);
    expect(await stopProcess(speed.process, speed.exited), logs.slice(-30).join('\n')).toBe(0);

    const verdicts = await speedVerdicts(redis, layout, http, sensors);
    console.log(
      `kafka proxy: ${DROPS} drops (${dropped} connections reset) at ${dropsAt.join(', ')} of ${backlog} records; ` +
        `${kafka.proxy.accepted} connections accepted in all; then 30 ms latency\n` +
        `${verdicts.http.summary.split('\n')[0]}; ${verdicts.sensors.summary.split('\n')[0]}`,
    );
    expect(dropped).toBeGreaterThanOrEqual(DROPS);
    expect(verdicts.http.verdict, verdicts.http.summary).toBe('ALL-RECORDS-DELIVERED');
    expect(verdicts.sensors.verdict, verdicts.sensors.summary).toBe('ALL-RECORDS-DELIVERED');
  });
});
