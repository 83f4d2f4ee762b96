/**
 * `oxbow sql` end to end on a `file://` lake: the web-analytics example's HTTP logs written in the lake layout (as
 * the archiver writes them), a batch run published by `runBatch`, then queries over topics and views through the
 * command line: table and JSON lines, the row limit, the time limit, and refused queries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runBatch, silentProgress } from '@oxbow/batch';
import { loadConfig } from '@oxbow/config';
import { defineParquetSchema, openFileSystem, writeParquet } from '@oxbow/connectors';
import { encodeSealedMarker, epochOf, partFilePath, sealedPath } from '@oxbow/contracts';
import { generateHttpLogs, httpLogs, statusClass, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli.ts';
import type { Output } from '../src/output.ts';

const EPOCH_MS = 30_000;
const PARTITIONS = 2;
let dir: string;
let env: Record<string, string>;
/** The archived events: status and the epoch of each. */
const archived: Array<{ status: number; epoch: number }> = [];
let watermark = 0;

/** Writes HTTP logs as the archiver does: validated, epochs by append time, a file per epoch and partition. */
async function writeLake(lake: string): Promise<void> {
  const fs = openFileSystem(lake);
  const parquet = defineParquetSchema(httpLogs.lakeColumns);
  const files = new Map<string, { epoch: number; partition: number; rows: object[]; first: number }>();
  const next = new Array<number>(PARTITIONS).fill(0);
  let appendTimeMs = 0;
  const records = [
    ...generateHttpLogs({ count: 900, seed: 7, startMs: Date.UTC(2026, 10, 23, 23, 58), ratePerSec: 10 }),
  ];
  records.forEach((record, index) => {
    const parsed = httpLogs.parse(JSON.stringify(record), { now: Date.UTC(2030, 0, 1) });
    if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
    appendTimeMs = Math.max(appendTimeMs, httpLogs.timeOf(parsed.event));
    const epoch = epochOf(appendTimeMs, EPOCH_MS);
    const partition = index % PARTITIONS;
    const offset = next[partition] ?? 0;
    next[partition] = offset + 1;
    const key = `${epoch}/${partition}`;
    const file = files.get(key) ?? { epoch, partition, rows: [], first: offset };
    file.rows.push({ ...parsed.event, kafkaPartition: partition, kafkaOffset: offset, appendTimeMs });
    files.set(key, file);
    archived.push({ status: (parsed.event as { status: number }).status, epoch });
  });
  for (const file of files.values()) {
    const path = partFilePath({
      topic: 'http_logs',
      epoch: file.epoch,
      partition: file.partition,
      firstOffset: BigInt(file.first),
      lastOffset: BigInt(file.first + file.rows.length - 1),
    });
    // biome-ignore lint/suspicious/noExplicitAny: rows hold the schema's lake columns, known only at run time.
    await writeParquet(fs, path, parquet, file.rows as any);
  }
  const epochs = [...new Set(archived.map((event) => event.epoch))].sort((a, b) => a - b);
  for (const epoch of epochs.slice(0, -1)) {
    const endOffsets: Record<string, string> = {};
    for (let partition = 0; partition < PARTITIONS; partition++) {
      endOffsets[String(partition)] = String(
        archived.filter((event, index) => index % PARTITIONS === partition && event.epoch <= epoch).length,
      );
    }
    await fs.putAtomic(
      sealedPath('http_logs', epoch),
      encodeSealedMarker({
        topic: 'http_logs',
        epoch,
        epochMs: EPOCH_MS,
        sealedAt: '2030-01-01T00:00:00.000Z',
        endOffsets,
      }),
    );
  }
  watermark = epochs.at(-2) ?? 0;
  await fs.close();
}

async function oxbow(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await run(argv, { cwd: dir, env, output });
  return { code, out, err: err.join('\n') };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oxbow-sql-cli-'));
  const lake = `${pathToFileURL(join(dir, 'lake')).href}/`;
  env = {
    OXBOW_LAKE: lake,
    OXBOW_PROJECT: WEB_ANALYTICS_PROJECT,
    OXBOW_EPOCH_MS: String(EPOCH_MS),
    OXBOW_BATCH_PARALLELISM: '1',
  };
  await writeLake(lake);
  const { config } = await loadConfig({ cwd: dir, env, noFile: true });
  const summary = await runBatch(config, { progress: silentProgress });
  expect(summary.status).toBe('published');
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('oxbow sql', () => {
  it('prints a table of a topic query, numbers right-aligned', async () => {
    const result = await oxbow(
      'sql',
      'SELECT status, count(*) AS n FROM http_logs GROUP BY status ORDER BY status',
    );
    expect(result.code).toBe(0);
    const counts = new Map<number, number>();
    for (const { status } of archived) counts.set(status, (counts.get(status) ?? 0) + 1);
    const [header, rule, ...lines] = result.out.join('\n').split('\n');
    expect(header?.split(/\s+/)).toEqual(['status', 'n']);
    expect(rule).toMatch(/^-+ +-+$/);
    expect(lines.map((line) => line.trim().split(/\s+/).map(Number))).toEqual(
      [...counts].sort(([a], [b]) => a - b),
    );
    expect(result.err).toMatch(new RegExp(`^oxbow sql: ${counts.size} rows, \\d+ ms$`));
  });

  it('joins the published batch views with the lake: the view holds exactly the sealed epochs', async () => {
    const result = await oxbow(
      'sql',
      `SELECT (SELECT sum(hits) FROM status_minutely) AS view_hits,
              (SELECT count(*) FROM http_logs WHERE epoch <= ${watermark}) AS lake_rows,
              (SELECT count(*) FROM batch.status_minutely WHERE key = '2xx') AS ok_buckets`,
      '--json',
    );
    expect(result.code).toBe(0);
    const sealed = archived.filter((event) => event.epoch <= watermark);
    const ok = sealed.filter((event) => statusClass(event.status) === '2xx');
    expect(result.out.map((line) => JSON.parse(line))).toEqual([
      { view_hits: sealed.length, lake_rows: sealed.length, ok_buckets: expect.any(Number) },
    ]);
    expect(ok.length).toBeGreaterThan(0);
  });

  it('prints JSON lines, and keeps to the row limit', async () => {
    const result = await oxbow(
      'sql',
      'SELECT kafkaPartition, kafkaOffset FROM http_logs ORDER BY ALL',
      '--json',
      '--limit',
      '3',
    );
    expect(result.code).toBe(0);
    expect(result.out.map((line) => JSON.parse(line))).toEqual([
      { kafkaPartition: 0, kafkaOffset: 0 },
      { kafkaPartition: 0, kafkaOffset: 1 },
      { kafkaPartition: 0, kafkaOffset: 2 },
    ]);
    expect(result.err).toMatch(/^oxbow sql: 3 rows shown, more left out by the limit \(--limit 3\), \d+ ms$/);
  });

  it('stops a query at its time limit with exit 1', async () => {
    const result = await oxbow(
      'sql',
      'SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3',
      '--timeout-ms',
      '300',
    );
    expect(result).toEqual({ code: 1, out: [], err: 'oxbow: the query ran past its time limit of 300 ms' });
  });

  it.each([
    [['sql'], 'oxbow: usage: oxbow sql "SELECT …" [--limit N] [--timeout-ms N] [--json]'],
    [['sql', 'SELECT nope FROM http_logs'], /^oxbow: sql: Binder Error: .*nope/],
    [['sql', 'DROP TABLE http_logs'], 'oxbow: sql: only SELECT queries are allowed, not DROP'],
    [['sql', 'SELECT 1', '--limit', 'ten'], 'oxbow: --limit ten: expected an integer of at least 0'],
    [['sql', 'SELECT 1', '--timeout-ms', '0'], 'oxbow: --timeout-ms 0: expected an integer of at least 1'],
    [
      ['sql', 'SELECT 1', '--views', 'x'],
      'oxbow: flag --views does not apply to "oxbow sql" (run oxbow --help)',
    ],
  ])('refuses %j with exit 2', async (argv, message) => {
    const result = await oxbow(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});
