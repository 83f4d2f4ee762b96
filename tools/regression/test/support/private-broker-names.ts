/**
 * The set-up of a fault test on a private Kafka broker (never the shared stack's): a kafkajs client and admin
 * connected to it, and the speed test's names — fresh topics, a Redis prefix, a temporary lake directory — each
 * removed again by the test's cleanups.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { type SpeedTestNames, scanKeys } from '../../../../apps/speed/test/support/speed-test-env.ts';
import type { CleanupList } from './cleanup-list.ts';

/** A kafkajs client of the private broker at `brokers` and its connected admin, disconnected by `cleanups`. */
export async function connectToPrivateKafka(
  brokers: string,
  clientId: string,
  cleanups: CleanupList,
): Promise<{ kafka: Kafka; admin: Admin }> {
  const kafka = new Kafka({
    clientId,
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 300 },
  });
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  return { kafka, admin };
}

/** How {@link privateBrokerTestNames} names a test's resources. */
export interface PrivateBrokerNaming {
  /** Topics are `<topicLabel>-http-<id>`, `<topicLabel>-sensors-<id>`, `<topicLabel>-dlq-<id>`. */
  readonly topicLabel: string;
  /** The Redis prefix is `oxbow-test-<prefixLabel>-<id>:`. */
  readonly prefixLabel: string;
  /** The temporary lake directory's name starts with `oxbow-<dirLabel>-`. */
  readonly dirLabel: string;
  /** The speed layer's lake inside that directory (say `speed`); the directory itself when absent. */
  readonly speedLakeSubdir?: string;
}

/**
 * Fresh names for a speed test on a private broker: a random `id` in every topic and the Redis prefix (returned
 * too, for the test's other names), a new temporary lake directory. `cleanups` removes the directory, then the
 * keys under the prefix.
 */
export function privateBrokerTestNames(
  redis: Redis,
  cleanups: CleanupList,
  naming: PrivateBrokerNaming,
): { id: string; names: SpeedTestNames } {
  const id = randomUUID().slice(0, 8);
  const lakeDir = mkdtempSync(join(tmpdir(), `oxbow-${naming.dirLabel}-`));
  cleanups.push(() => rmSync(lakeDir, { recursive: true, force: true }));
  const speedLake = naming.speedLakeSubdir === undefined ? lakeDir : join(lakeDir, naming.speedLakeSubdir);
  const names: SpeedTestNames = {
    http: `${naming.topicLabel}-http-${id}`,
    sensors: `${naming.topicLabel}-sensors-${id}`,
    deadLetters: `${naming.topicLabel}-dlq-${id}`,
    prefix: `oxbow-test-${naming.prefixLabel}-${id}:`,
    lakeDir,
    lake: `${pathToFileURL(speedLake).href}/`,
  };
  cleanups.push(async () => {
    for (const key of await scanKeys(redis, `${names.prefix}*`)) await redis.unlink(key);
  });
  return { id, names };
}
