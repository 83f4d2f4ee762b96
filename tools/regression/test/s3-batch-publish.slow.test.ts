/**
 * Fault 8 (batch part): the S3 endpoint killed mid-upload while a batch run publishes. The lake is on a private
 * S3Proxy (never the shared stack's); the archiver fills it and a first batch run publishes version 1. More
 * records are archived, and a second run talks to S3 through our loopback TCP proxy, which watches the requests:
 * at the first upload of a file of the new version (`PUT …/views/v=…`) the S3Proxy is SIGKILLed and every
 * connection cut, mid-request; it is restarted on its data directory seconds later. The run either rides the
 * outage out on its storage retries or fails; a failed run is run again, as the scheduler would. At every step
 * nothing torn is visible: `_manifest.json` decodes and names a complete version (every file it names is there
 * and reads), and every history manifest decodes. In the end the published version covers every record: its
 * `page_views_hourly` Parquet file against plain DuckDB SQL over the produced records, and the lake's part files
 * against them record by record — ALL-RECORDS-DELIVERED.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { type FileSystem, openFileSystem } from '@oxbow/connectors';
import { parseLakePath, topicPrefix } from '@oxbow/contracts';
import { generateHttpLogs } from '@oxbow/example-web-analytics';
import { deliveryVerdict } from '@oxbow/testing-tools';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchiver, waitUntil } from '../../../apps/archiver/test/support/archiver-child.ts';
import {
  createTestTopic,
  highWatermarks,
  produce,
  testKafka,
} from '../../../apps/archiver/test/support/kafka.ts';
import { listPartFiles } from '../../../apps/archiver/test/support/lake.ts';
import { type BatchRunOutcome, runBatchCli } from './support/batch-run.ts';
import { GOLDEN_PROJECT } from './support/golden.ts';
import { lakeVerdict } from './support/lake-verdict.ts';
import { PrivateS3Proxy } from './support/private-stack.ts';
import { TcpProxy } from './support/tcp-proxy.ts';

const PARTITIONS = 3;
const CREDENTIALS = { accessKeyId: 'oxbow', secretAccessKey: 'oxbow-secret' };
let admin: Admin;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  admin = testKafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await admin?.disconnect();
});

/** Copies `paths` of the lake to a local directory (byte for byte) and returns it. */
async function copyOut(lake: FileSystem, paths: readonly string[]): Promise<string> {
  const local = mkdtempSync(join(tmpdir(), 'oxbow-s3-batch-'));
  cleanups.push(() => rmSync(local, { recursive: true, force: true }));
  for (const path of paths) {
    const target = join(local, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await lake.read(path));
  }
  return local;
}

/**
 * What a reader sees now: `_manifest.json` decodes and every file it names reads (the Parquet files and the
 * DuckDB file opened by DuckDB), and so does every history manifest. Returns the current manifest's run id.
 */
async function visibleVersion(lake: FileSystem): Promise<string> {
  const manifest = JSON.parse(Buffer.from(await lake.read('views/_manifest.json')).toString()) as NonNullable<
    BatchRunOutcome['manifest']
  >;
  const files = [...manifest.views.map((view) => view.parquet), manifest.duckdb];
  const local = await copyOut(lake, files);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    for (const view of manifest.views) {
      await connection.run(`SELECT count(*) FROM read_parquet('${join(local, view.parquet)}')`);
    }
    await connection.run(`ATTACH '${join(local, manifest.duckdb)}' AS published (READ_ONLY)`);
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  for await (const file of lake.list('views/_manifests/')) {
    JSON.parse(Buffer.from(await lake.read(file.path)).toString());
  }
  return manifest.runId;
}

describe('the S3 endpoint killed with SIGKILL while a batch run publishes (fault 8)', () => {
  it('never shows a torn version, publishes once S3 is back: ALL-RECORDS-DELIVERED', async () => {
    const s3proxy = await PrivateS3Proxy.start();
    cleanups.push(() => s3proxy.stop());
    const s3Port = Number(new URL(s3proxy.endpoint).port);
    const proxy = await TcpProxy.start(s3Port);
    cleanups.push(() => proxy.close());
    const lakeUrl = `s3://lake/fault-s3-batch-${randomUUID().slice(0, 8)}`;
    const lake = openFileSystem(lakeUrl, {
      s3: { endpoint: s3proxy.endpoint, region: 'us-east-1', forcePathStyle: true, ...CREDENTIALS },
    });
    cleanups.push(() => lake.close());
    const topic = await createTestTopic(admin, 's3-batch', PARTITIONS);
    const env = (endpoint: string): Record<string, string> => ({
      OXBOW_PROJECT: GOLDEN_PROJECT,
      OXBOW_LAKE: lakeUrl,
      OXBOW_S3_ENDPOINT: endpoint,
      OXBOW_S3_ACCESS_KEY: CREDENTIALS.accessKeyId,
      OXBOW_S3_SECRET_KEY: CREDENTIALS.secretAccessKey,
      OXBOW_S3_REGION: 'us-east-1',
      OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs`,
      OXBOW_ARCHIVER_GROUP_ID: `oxbow-test-archiver-${randomUUID().slice(0, 8)}`,
      OXBOW_EPOCH_MS: '2000',
      OXBOW_ARCHIVER_ROLL_MS: '500',
      OXBOW_BATCH_PARALLELISM: '1',
      OXBOW_BATCH_LOCK_TTL_MS: '10000',
    });
    const logs: string[] = [];
    const events = [
      ...generateHttpLogs({ count: 6000, seed: 808, startMs: Date.now() - 8 * 3_600_000, ratePerSec: 0.25 }),
    ];
    const archiver = startArchiver(env(s3proxy.endpoint));
    cleanups.push(() => archiver.process.exitCode === null && archiver.process.kill('SIGKILL'));
    const describeState = () =>
      `${logs.slice(-20).join('\n')}\narchiver: ${archiver.stderr.slice(-10).join('\n')}`;
    const batchEnv = env(`http://127.0.0.1:${proxy.port}`);
    /** True once every record produced is in a part file and every epoch of those files is sealed. */
    const archivedAndSealed = async () => {
      const high = await highWatermarks(admin, topic);
      const next = new Map<number, bigint>();
      let lastEpoch = -1;
      let sealedThrough = -1;
      for await (const info of lake.list(topicPrefix(topic))) {
        const entry = parseLakePath(info.path);
        if (entry.kind === 'part') {
          lastEpoch = Math.max(lastEpoch, entry.epoch);
          if (entry.lastOffset + 1n > (next.get(entry.partition) ?? 0n))
            next.set(entry.partition, entry.lastOffset + 1n);
        } else if (entry.kind === 'sealed') sealedThrough = Math.max(sealedThrough, entry.epoch);
      }
      return [...high].every(([p, h]) => (next.get(p) ?? 0n) === h) && sealedThrough >= lastEpoch;
    };
    /** Runs batches until one publishes a version covering every record produced. */
    const publishAll = async (runs: BatchRunOutcome[]) => {
      const high = await highWatermarks(admin, topic);
      const covered = (outcome: BatchRunOutcome) =>
        [...high].every(([p, h]) => outcome.manifest?.endOffsets[topic]?.[String(p)] === String(h));
      await waitUntil(
        async () => {
          const outcome = await runBatchCli(batchEnv, logs);
          runs.push(outcome);
          logs.push(`run: exit ${outcome.exit}, ${outcome.status ?? 'no summary'}`);
          if (outcome.status === 'published' && covered(outcome)) return true;
          await sleep(1000);
          return false;
        },
        180_000,
        describeState,
      );
    };
    const produceAndArchive = async (slice: readonly object[]) => {
      await produce(
        topic,
        slice.map((event, index) => ({ partition: index % PARTITIONS, value: JSON.stringify(event) })),
      );
      await waitUntil(archivedAndSealed, 120_000, describeState, 300);
    };

    // Version 1, no fault.
    const first: BatchRunOutcome[] = [];
    await produceAndArchive(events.slice(0, 3000));
    await publishAll(first);
    const version1 = first.at(-1)?.manifest?.runId ?? '';
    expect(await visibleVersion(lake)).toBe(version1);

    // Version 2: the rest archived (the archiver stopped: its own S3 outage is the other fault 8 test), then S3
    // dies at the run's first upload of a file of the new version.
    await produceAndArchive(events.slice(3000));
    archiver.process.kill('SIGTERM');
    expect(await archiver.exited, describeState()).toBe(0);
    let struckAt = 0;
    let request = '';
    proxy.watchClients((chunk) => {
      const line = chunk
        .toString('latin1', 0, Math.min(chunk.length, 400))
        .match(/^(PUT|POST) (\S*\/views\/v(?:=|%3D)\S*)/m);
      if (struckAt !== 0 || line === null) return;
      struckAt = Date.now();
      request = `${line[1]} ${line[2]}`;
      void s3proxy.kill();
      proxy.dropAll();
    });
    const restarting = (async () => {
      await waitUntil(() => struckAt !== 0, 180_000, describeState, 20);
      proxy.watchClients(undefined);
      // While S3 is down the runs fail at once; it comes back on its data directory.
      await sleep(4000);
      await s3proxy.up();
      return Date.now() - struckAt;
    })();
    const second: BatchRunOutcome[] = [];
    const publishing = publishAll(second);
    const downMs = await restarting;
    // Back up, before the version is published again: what readers see is version 1, whole.
    const seenAfterOutage = await visibleVersion(lake);
    await publishing;
    const version2 = second.at(-1)?.manifest?.runId ?? '';
    expect(struckAt, 'the proxy struck during an upload of the new version').toBeGreaterThan(0);
    expect([version1, version2]).toContain(seenAfterOutage);
    expect(await visibleVersion(lake)).toBe(version2);

    // The published version and the lake against the produced records.
    const manifest = second.at(-1)?.manifest;
    const pageViews = manifest?.views.find((view) => view.name === 'page_views_hourly')?.parquet ?? '';
    const viewFile = join(await copyOut(lake, [pageViews]), pageViews);
    const viewReport = await deliveryVerdict({
      produced: { columns: { ts: 'VARCHAR', path: 'VARCHAR' }, records: events },
      expected: `SELECT path || '|' || (epoch_ms(CAST(ts AS TIMESTAMPTZ)) // 3600000) * 3600000 AS key,
        count(*) AS n FROM produced GROUP BY ALL`,
      delivered: { parquet: [viewFile], sql: `SELECT key || '|' || bucket AS key, hits AS n FROM lake` },
    });
    const parts = await listPartFiles(lake, topic);
    const lakeReport = await lakeVerdict(
      await copyOut(
        lake,
        parts.map((file) => file.path),
      ),
      topic,
      events,
    );
    const outcomes = second.map((run) => `${run.exit}/${run.status ?? 'no summary'}`).join(', ');
    console.log(
      `s3 during a batch publish: struck at ${request}; S3Proxy down ${downMs} ms; runs of version 2: ${outcomes}; ` +
        `readers saw ${seenAfterOutage === version1 ? 'version 1' : 'version 2'} after the outage\n` +
        `view: ${viewReport.summary.split('\n')[0]}\nlake: ${lakeReport.summary.split('\n')[0]}`,
    );
    expect(viewReport.verdict, viewReport.summary).toBe('ALL-RECORDS-DELIVERED');
    expect(lakeReport.verdict, lakeReport.summary).toBe('ALL-RECORDS-DELIVERED');
  });
});
