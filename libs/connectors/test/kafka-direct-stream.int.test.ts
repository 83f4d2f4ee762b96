/**
 * The Kafka direct stream on a StreamingContext against the real broker: batches carry their offset ranges,
 * bad records reach the dead-letter topic while the stream goes on, and a counting job killed with SIGKILL five
 * times while input flows ends with the same state as an uninterrupted run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DataflowContext, StreamingContext } from '@oxbow/dataflow';
import { afterAll, describe, expect, it } from 'vitest';
import { createDirectStream, offsetRangesOf } from '../src/index.ts';
import { createTestTopic, produceMessages, TEST_BROKERS, testKafka } from './support/kafka-test-topics.ts';

const FAST_CONSUMER = {
  sessionTimeoutMs: 2000,
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 3000,
  maxWaitTimeMs: 100,
};
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('createDirectStream', () => {
  it('delivers every valid record once, with offset ranges per batch, and dead-letters bad ones', async () => {
    const topic = await createTestTopic('oxbow-direct-stream');
    const messages: Array<[string, string]> = Array.from({ length: 600 }, (_, i) => [
      `k${i % 7}`,
      i % 50 === 13 ? `{not json ${i}` : JSON.stringify({ id: i }),
    ]);
    await produceMessages(topic, messages);

    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 100);
    const stream = createDirectStream(ssc, {
      brokers: TEST_BROKERS,
      topics: [topic],
      groupId: `${topic}-reader`,
      startingOffsets: 'earliest',
      deserialize: (bytes) => JSON.parse(bytes.toString('utf8')) as { id: number },
      consumer: FAST_CONSUMER,
      logLevel: 'nothing',
    });
    const ids: number[] = [];
    let rangesSeen = 0;
    let recordsByRanges = 0n;
    stream.foreachRDD(async (rdd) => {
      const ranges = offsetRangesOf(rdd) ?? [];
      expect(rdd.getNumPartitions()).toBe(Math.max(1, ranges.length));
      rangesSeen += ranges.length;
      for (const range of ranges) recordsByRanges += BigInt(range.untilOffset) - BigInt(range.fromOffset);
      for (const record of await rdd.collect()) ids.push(record.value.id);
    });
    await ssc.start();
    const bad = messages.filter(([, v]) => v.startsWith('{not')).length;
    await waitFor(() => (ids.length + bad >= messages.length ? true : undefined), 20_000, 'all records');
    await sleep(300);
    await ssc.stop();

    expect(ids.sort((a, b) => a - b)).toEqual(
      messages.flatMap(([, v], i) => (v.startsWith('{not') ? [] : [i])),
    );
    expect(rangesSeen).toBeGreaterThan(0);
    expect(recordsByRanges).toBe(BigInt(messages.length)); // dead-lettered records are inside the ranges
    expect(stream.metrics().deadLettered).toBe(bad);

    // The bad records are in the dead-letter topic with their reason.
    const consumer = testKafka.consumer({ groupId: `${topic}-dlq-check` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'oxbow_dead_letter', fromBeginning: true });
    const reasons: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['oxbow-source-topic']?.toString() === topic) {
          reasons.push(message.headers['oxbow-error']?.toString() ?? '');
        }
      },
    });
    await waitFor(() => (reasons.length >= bad ? true : undefined), 15_000, 'dead letters');
    await consumer.disconnect();
    expect(reasons.length).toBe(bad);
    expect(reasons.every((r) => /JSON/.test(r))).toBe(true);
  });

  it('a counting job killed with SIGKILL five times while input flows ends with the uninterrupted state', async () => {
    const topic = await createTestTopic('oxbow-crash-count');
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-crash-'));
    const stateFile = join(dir, 'state.json');
    const jobPath = fileURLToPath(new URL('./fixtures/kafka-count-job.ts', import.meta.url));
    const nodeBinary = process.execPath;
    const starts: string[] = [];
    const checkpointDir = join(dir, 'checkpoints');
    const start = (): ChildProcess => {
      const child = spawn(nodeBinary, [jobPath], {
        env: {
          ...process.env,
          OXBOW_TEST_BROKERS: TEST_BROKERS.join(','),
          OXBOW_TEST_TOPIC: topic,
          OXBOW_TEST_CHECKPOINT_DIR: checkpointDir,
          OXBOW_TEST_STATE_FILE: stateFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const index = children.length;
      child.stdout?.on('data', (chunk: Buffer) => starts.push(`${index}:${chunk.toString().trim()}`));
      children.push(child);
      return child;
    };
    const newestCheckpoint = (): string =>
      existsSync(checkpointDir)
        ? (readdirSync(checkpointDir)
            .filter((n) => n.startsWith('checkpoint-'))
            .sort()
            .pop() ?? '')
        : '';
    const readState = (): { counts: Record<string, number> } | undefined =>
      existsSync(stateFile)
        ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { counts: Record<string, number> })
        : undefined;

    const total = 6_000;
    const messages: Array<[string, string]> = Array.from({ length: total }, (_, i) => [
      `m${i}`,
      `key-${(i * 7) % 23}`,
    ]);
    const expected: Record<string, number> = {};
    for (const [, key] of messages) expected[key] = (expected[key] ?? 0) + 1;

    // Input flows in 12 chunks while the job is killed and restarted.
    const producing = (async () => {
      for (let i = 0; i < 12; i++) {
        await produceMessages(topic, messages.slice((i * total) / 12, ((i + 1) * total) / 12));
        await sleep(250);
      }
    })();
    let job = start();
    for (let kill = 0; kill < 5; kill++) {
      // Kill at a random point after the job checkpointed progress since its (re)start.
      const before = newestCheckpoint();
      await waitFor(() => (newestCheckpoint() > before ? true : undefined), 30_000, 'progress before a kill');
      await sleep(Math.floor(Math.random() * 500));
      job.kill('SIGKILL');
      await new Promise((resolve) => job.once('exit', resolve));
      job = start();
    }
    await producing;
    // The last restart also resumes from a checkpoint before the final state is read.
    await waitFor(
      () => (starts.some((line) => line.startsWith('5:')) ? true : undefined),
      30_000,
      'the last restart',
    );
    const finalState = await waitFor(
      () => {
        const state = readState();
        const seen = Object.values(state?.counts ?? {}).reduce((a, b) => a + b, 0);
        if (seen > total) throw new Error(`counted ${seen} records, only ${total} were produced`);
        return seen === total ? state : undefined;
      },
      60_000,
      'the job to count every record',
    );
    job.kill('SIGTERM');
    await new Promise((resolve) => job.once('exit', resolve));
    expect(finalState.counts).toEqual(expected);
    // Every restart resumed from a checkpoint (none started over from the beginning).
    expect(
      starts.filter((line) => line.includes(':restored from')),
      starts.join(' | '),
    ).toHaveLength(5);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
