/**
 * The exactly-once round trip under crashes, shared by the file://, s3:// and hdfs:// suites: produce generated
 * HTTP logs to a fresh topic while SIGKILLing the archiver at random points (each time only after it published
 * something since its last start) and restarting it; then stop it with SIGTERM and check that the lake holds every
 * produced event exactly once, at its (partition, offset), in a file of its epoch, and that every `_sealed` marker's
 * `endOffsets` split the rows exactly at the epoch boundary.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileSystem } from '@oxbow/connectors';
import { epochOf } from '@oxbow/contracts';
import { generateHttpLogs, type HttpLogEvent, httpLogs } from '@oxbow/example-web-analytics';
import type { Admin, Message } from 'kafkajs';
import { expect } from 'vitest';
import { type ArchiverChild, startArchiver, waitUntil } from './archiver-child.ts';
import { createTestTopic, highWatermarks, produce } from './kafka.ts';
import { listPartFiles, readLake } from './lake.ts';

/** Inputs of {@link crashRoundTrip}. */
export interface CrashRoundTripOptions {
  readonly label: string;
  readonly admin: Admin;
  /** The lake URL the archiver gets (`OXBOW_LAKE`) and the same lake opened for reading. */
  readonly lakeUrl: string;
  readonly lake: FileSystem;
  readonly count: number;
  readonly kills: number;
  readonly epochMs: number;
  readonly rollRows: number;
  readonly rollMs: number;
  readonly partitions?: number;
  /** Extra environment for the archiver (S3 credentials, …). */
  readonly env?: Record<string, string>;
}

/** What happened, for the test's report. */
export interface CrashRoundTripReport {
  readonly topic: string;
  readonly events: number;
  readonly kills: number;
  readonly files: number;
  readonly sealedEpochs: number;
  readonly produceMs: number;
  /** From the start of producing until the lake held every event. */
  readonly archiveMs: number;
  readonly totalMs: number;
}

/** Runs the round trip and asserts; returns timings. */
export async function crashRoundTrip(options: CrashRoundTripOptions): Promise<CrashRoundTripReport> {
  const began = Date.now();
  const partitions = options.partitions ?? 3;
  const topic = await createTestTopic(options.admin, options.label, partitions);
  try {
    const events = [
      ...generateHttpLogs({
        count: options.count,
        seed: 20_261_124,
        startMs: Date.now() - 3_600_000,
        ratePerSec: 2000,
      }),
    ];
    const messages: Message[] = events.map((event, index) => ({
      partition: index % partitions,
      value: JSON.stringify(event),
    }));
    const env: Record<string, string> = {
      OXBOW_LAKE: options.lakeUrl,
      OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
      OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${randomUUID().slice(0, 8)}`,
      OXBOW_EPOCH_MS: String(options.epochMs),
      OXBOW_ARCHIVER_ROLL_ROWS: String(options.rollRows),
      OXBOW_ARCHIVER_ROLL_MS: String(options.rollMs),
      ...options.env,
    };
    let child: ArchiverChild = startArchiver(env);
    const describe = () =>
      `archiver output: ${child.stderr.slice(-10).join('\n')}\nlast events: ${JSON.stringify(child.events.slice(-5))}`;
    let produceMs: number | undefined;
    const producing = produce(topic, messages, 2000).then(() => {
      produceMs = Date.now() - began;
    });
    /** True once production is over and the lake holds everything up to the high watermarks. */
    const lakeComplete = async (): Promise<boolean> => {
      if (produceMs === undefined) return false;
      const watermarks = await highWatermarks(options.admin, topic);
      const next = new Map<number, bigint>();
      for (const file of await listPartFiles(options.lake, topic)) {
        if (file.lastOffset + 1n > (next.get(file.partition) ?? 0n))
          next.set(file.partition, file.lastOffset + 1n);
      }
      return [...watermarks].every(([partition, high]) => (next.get(partition) ?? 0n) === high);
    };
    let kills = 0;
    try {
      // Kill only after this process made progress (a new file), at a random moment; stop once all is archived.
      for (; kills < options.kills; kills++) {
        const needed = 1 + Math.floor(Math.random() * 3);
        let complete = false;
        await waitUntil(
          async () => {
            if (child.published() >= needed) return true;
            complete = await lakeComplete();
            return complete;
          },
          30_000,
          describe,
          100,
        );
        if (complete) break;
        await sleep(Math.floor(Math.random() * 150));
        child.process.kill('SIGKILL');
        expect(await child.exited).toBe('SIGKILL');
        child = startArchiver(env);
      }
      await producing;
      await waitUntil(lakeComplete, 60_000, describe, 200);
      const archiveMs = Date.now() - began;
      // A graceful stop (the handler is installed once the process has started) publishes, commits, exits 0.
      const last = child;
      await waitUntil(
        () => last.events.some((event) => event.event === 'archiver.started'),
        30_000,
        describe,
      );
      child.process.kill('SIGTERM');
      expect(await child.exited, describe()).toBe(0);
      const { rows, files, sealed } = await readLake(options.lake, topic);

      // Every produced event exactly once, at its partition and offset, with its content.
      expect(rows.length).toBe(events.length);
      const byPartition = new Map<number, typeof rows>();
      for (const row of rows) {
        const list = byPartition.get(row.kafkaPartition) ?? [];
        list.push(row);
        byPartition.set(row.kafkaPartition, list);
      }
      for (let partition = 0; partition < partitions; partition++) {
        const expected = events
          .filter((_, index) => index % partitions === partition)
          .map((event) => {
            const parsed = httpLogs.parse(JSON.stringify(event));
            if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
            return parsed.event;
          });
        const actual = (byPartition.get(partition) ?? []).sort((a, b) =>
          a.kafkaOffset < b.kafkaOffset ? -1 : 1,
        );
        const offsetsOk =
          actual.length === expected.length && actual.every((row, i) => row.kafkaOffset === BigInt(i));
        expect(offsetsOk, `partition ${partition}: offsets are not exactly 0..${expected.length - 1}`).toBe(
          true,
        );
        for (let i = 0; i < expected.length; i++) {
          const want = expected[i] as HttpLogEvent;
          const got = actual[i];
          if (
            !got ||
            got.ts !== BigInt(want.ts) ||
            got.userId !== want.userId ||
            got.path !== want.path ||
            got.status !== want.status ||
            got.bytes !== BigInt(want.bytes) ||
            got.latencyMs !== want.latencyMs ||
            got.host !== want.host ||
            got.method !== want.method ||
            got.country !== want.country ||
            got.userAgent !== want.userAgent
          ) {
            expect(got).toMatchObject({ ...want, ts: BigInt(want.ts), bytes: BigInt(want.bytes) });
          }
        }
      }
      // Offsets are 0..n-1 per partition (checked above), so a partition's sorted rows are indexed by offset.
      const epochOfRow = (row: (typeof rows)[number]) => epochOf(Number(row.appendTimeMs), options.epochMs);
      const problems: string[] = [];
      for (const [partition, list] of byPartition) {
        for (let i = 1; i < list.length; i++) {
          if (
            epochOfRow(list[i] as (typeof rows)[number]) < epochOfRow(list[i - 1] as (typeof rows)[number])
          ) {
            problems.push(`partition ${partition}: epochs go backwards at offset ${i}`);
          }
        }
      }
      // Files never overlap and never span two epochs; every row sits in the file of its epoch.
      const covered = new Map<number, number>();
      for (const file of files) {
        const list = byPartition.get(file.partition) ?? [];
        for (let offset = Number(file.firstOffset); offset <= Number(file.lastOffset); offset++) {
          const row = list[offset];
          if (!row || epochOfRow(row) !== file.epoch)
            problems.push(`${file.path}: offset ${offset} is not of its epoch`);
        }
        covered.set(
          file.partition,
          (covered.get(file.partition) ?? 0) + Number(file.lastOffset - file.firstOffset + 1n),
        );
      }
      for (const [partition, list] of byPartition) {
        if (covered.get(partition) !== list.length)
          problems.push(`partition ${partition}: files overlap or leave gaps`);
      }
      // Seals: contiguous epochs, and endOffsets split each partition exactly at the epoch's end.
      expect(sealed.length).toBeGreaterThan(0);
      sealed.forEach((marker, index) => {
        expect(marker.epoch).toBe((sealed[0]?.epoch ?? 0) + index);
        expect(marker.epochMs).toBe(options.epochMs);
        expect(Object.keys(marker.endOffsets).sort()).toEqual(
          Array.from({ length: partitions }, (_, p) => String(p)).sort(),
        );
        for (const [partition, list] of byPartition) {
          const end = Number(marker.endOffsets[String(partition)] ?? '-1');
          const before = list[end - 1];
          const after = list[end];
          if (before && epochOfRow(before) > marker.epoch)
            problems.push(`epoch ${marker.epoch} p${partition}: end too late`);
          if (after && epochOfRow(after) <= marker.epoch)
            problems.push(`epoch ${marker.epoch} p${partition}: end too early`);
          if (end < 0 || end > list.length)
            problems.push(`epoch ${marker.epoch} p${partition}: end ${end} out of range`);
        }
      });
      expect(problems.slice(0, 10)).toEqual([]);
      return {
        topic,
        events: events.length,
        kills,
        files: files.length,
        sealedEpochs: sealed.length,
        produceMs: produceMs ?? -1,
        archiveMs,
        totalMs: Date.now() - began,
      };
    } finally {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGKILL');
        await child.exited;
      }
      await producing.catch(() => {});
    }
  } finally {
    await options.admin.deleteTopics({ topics: [topic] }).catch(() => {});
  }
}
