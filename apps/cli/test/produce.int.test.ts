import { loadConfig, type OxbowConfig } from '@oxbow/config';
import { generateHttpLogs, httpLogs } from '@oxbow/example-web-analytics';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli.ts';
import { createKafka } from '../src/clients.ts';
import type { Clock } from '../src/clock.ts';
import { runId } from '../src/demo/round-trip.ts';
import type { Output } from '../src/output.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
let config: OxbowConfig;
let kafka: Kafka;

beforeAll(async () => {
  config = (await loadConfig({ cwd: REPO_ROOT })).config;
  kafka = createKafka(config, 'oxbow-produce-test');
});

/** Reads every message of `topic` from the beginning until `count` have arrived: [key, value] per partition. */
async function consumeAll(topic: string, count: number): Promise<Map<number, Array<[string, string]>>> {
  const consumer = kafka.consumer({ groupId: `${topic}-reader`, sessionTimeout: 10_000 });
  const consumed = new Map<number, Array<[string, string]>>();
  let total = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${total} of ${count} messages in 60 s`)), 60_000);
      consumer
        .run({
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            const list = consumed.get(batch.partition) ?? [];
            consumed.set(batch.partition, list);
            for (const message of batch.messages) {
              list.push([message.key?.toString() ?? '', message.value?.toString() ?? '']);
              resolveOffset(message.offset);
              total += 1;
            }
            await heartbeat();
            if (total >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return consumed;
}

describe('oxbow produce against the local stack', { timeout: 120_000 }, () => {
  it('sends 2,000 generated HTTP logs to a fresh LogAppendTime topic that read back equal', async () => {
    const topic = `oxbow_produce_${runId().replace('-', '_')}`;
    const startMs = Date.UTC(2026, 10, 24, 9);
    let now = startMs;
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        now += ms; // virtual time: the rate is honoured without waiting
      },
    };
    const out: string[] = [];
    const err: string[] = [];
    const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
    const admin = kafka.admin();
    await admin.connect();
    try {
      const code = await run(
        [
          'produce',
          '--topic',
          topic,
          '--schema',
          'http_logs',
          '--count',
          '2000',
          '--rate',
          '200',
          '--seed',
          '5',
        ],
        { cwd: REPO_ROOT, clock, output },
      );
      expect(err).toEqual([]);
      expect(code).toBe(0);
      expect(out[0]).toBe(`produce: created topic ${topic} (3 partitions, LogAppendTime)`);
      expect(out.at(-1)).toMatch(
        new RegExp(`^produce: sent 2000 http_logs events \\(seed 5\\) to ${topic} in 50 batches, 9\\.8 s`),
      );
      expect(
        out.filter((line) => line.startsWith('produce: ') && line.includes('/2000 events')),
      ).toHaveLength(9);

      const expected = [
        ...generateHttpLogs({ count: 2000, seed: 5, startMs, ratePerSec: 200, lateFraction: 0.03 }),
      ];
      const consumed = await consumeAll(topic, expected.length);
      const all = [...consumed.values()].flat();
      expect(all).toHaveLength(2000);
      expect(all.map(([, value]) => JSON.parse(value)).sort(byTs)).toEqual([...expected].sort(byTs));
      // Keyed by user: each user's events sit in one partition, in the order they were generated.
      for (const list of consumed.values()) {
        for (const [key, value] of list) expect(JSON.parse(value).userId).toBe(key);
      }
      const orderOf = new Map(expected.map((log, index) => [JSON.stringify(log), index]));
      for (const list of consumed.values()) {
        const indexes = list.map(([, value]) => orderOf.get(value) ?? -1);
        expect(indexes.every((index, i) => index >= 0 && (i === 0 || index > (indexes[i - 1] ?? -1)))).toBe(
          true,
        );
      }
      expect(all.every(([, value]) => httpLogs.parse(value, { now: startMs + 86_400_000 }).ok)).toBe(true);

      const [resource] = (
        await admin.describeConfigs({
          resources: [
            { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['message.timestamp.type'] },
          ],
          includeSynonyms: false,
        })
      ).resources;
      expect(
        resource?.configEntries.find((entry) => entry.configName === 'message.timestamp.type')?.configValue,
      ).toBe('LogAppendTime');
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});

function byTs(a: { ts: string; userId: string }, b: { ts: string; userId: string }): number {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}
