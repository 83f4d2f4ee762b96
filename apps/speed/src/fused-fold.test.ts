import type { KafkaRecord } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { DataflowContext } from '@oxbow/dataflow';
import { generateHttpLogs, WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { type AnyEvent, loadProject, SeededRandom } from '@oxbow/views';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type BatchChanges, CellStore } from './cell-store.ts';
import { foldPartition, foldViews } from './fused-fold.ts';
import { type AnyView, computeIncrements } from './increments.ts';

const project = await loadProject(WEB_ANALYTICS_PROJECT);
const views = project.views.filter((view) => view.topic === 'http_logs') as AnyView[];
const plans = foldViews(views);
const layout = new RedisLayout('t:');
const EPOCH_MS = 600_000;
const ctx = new DataflowContext({ parallelism: 1 });
afterAll(() => ctx.stop());

/** Generated logs as Kafka records of 3 partitions, appended over two hours (12 epochs of 10 minutes). */
function records(count: number, seed: number): Array<KafkaRecord<AnyEvent>> {
  const schema = project.schemaOf('http_logs');
  const random = new SeededRandom(seed);
  const start = Date.UTC(2026, 10, 24, 10);
  const offsets = [0, 0, 0];
  return [...generateHttpLogs({ count, seed, startMs: start - 3_600_000, users: 300 })].map((log, i) => {
    const partition = random.int(3);
    const parsed = schema.parse(JSON.stringify({ ...log, path: `/p/${random.int(40)}` }), {
      now: start + 86_400_000,
    });
    if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
    const offset = offsets[partition] ?? 0;
    offsets[partition] = offset + 1;
    return {
      topic: 'http',
      partition,
      offset: String(offset),
      timestamp: start + Math.floor((i * 7_200_000) / count),
      key: null,
      value: parsed.event,
      headers: {},
    };
  });
}

/** Each cell's codec bytes (hex) by `view epoch partition key bucket`. */
type Cells = Map<string, string>;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

async function reference(all: Array<KafkaRecord<AnyEvent>>, afterEpoch: number): Promise<Cells> {
  const cells: Cells = new Map();
  for (const view of views) {
    for (const increment of await computeIncrements(view, ctx.parallelize(all, 3), EPOCH_MS, afterEpoch)) {
      const key = `${view.name} ${increment.epoch} ${increment.partition} ${increment.key} ${increment.bucketStartMs}`;
      cells.set(key, hex(view.aggregator.codec.serialize(increment.state)));
    }
  }
  return cells;
}

/** A Redis stand-in for `loadBases`: `HMGET` answered from `stored` (hash key → field → bytes). */
function fakeRedis(stored: Map<string, Map<string, Uint8Array>>): Redis {
  return {
    pipeline() {
      const replies: Array<[null, Array<Buffer | null>]> = [];
      const pipeline = {
        callBuffer(_command: string, args: string[]) {
          const [key, ...fields] = args;
          const hash = stored.get(key ?? '');
          replies.push([
            null,
            fields.map((field) => (hash?.get(field) ? Buffer.from(hash.get(field) as Uint8Array) : null)),
          ]);
          return pipeline;
        },
        async exec() {
          return replies;
        },
      };
      return pipeline;
    },
  } as unknown as Redis;
}

/** Folds `all` in batches of random sizes, "committing" every changed cell's bytes after each batch. */
async function folded(
  all: Array<KafkaRecord<AnyEvent>>,
  afterEpoch: number,
  options: { seed: number; restartEvery?: number; budgetBytes?: number },
): Promise<Cells> {
  const random = new SeededRandom(options.seed);
  const redis = new Map<string, Map<string, Uint8Array>>();
  let store = new CellStore(layout, options.budgetBytes ?? 2 ** 30);
  for (let p = 0; p < 3; p++) store.reset('http', p, true);
  let batches = 0;
  for (let from = 0; from < all.length; ) {
    const to = Math.min(all.length, from + 1 + random.int(400));
    if (options.restartEvery !== undefined && ++batches % options.restartEvery === 0) {
      // A restart (or rebalance): nothing in memory, every cell read from "Redis" when touched.
      store = new CellStore(layout, options.budgetBytes ?? 2 ** 30);
      for (let p = 0; p < 3; p++) store.reset('http', p, false);
    }
    const batch: BatchChanges = store.beginBatch();
    for (let p = 0; p < 3; p++) {
      const slice = all.slice(from, to).filter((record) => record.partition === p);
      foldPartition(store.partition('http', p), plans, slice, 0, EPOCH_MS, afterEpoch, batch);
    }
    await store.loadBases(fakeRedis(redis), batch);
    const sizes: number[] = [];
    for (const cell of batch.changed) {
      const bytes = cell.row.group.view.aggregator.codec.serialize(cell.state);
      sizes.push(bytes.length);
      const hash = redis.get(cell.row.redisKey) ?? new Map<string, Uint8Array>();
      hash.set(String(cell.bucket), bytes);
      redis.set(cell.row.redisKey, hash);
    }
    store.committed(batch, sizes);
    store.evictIfOverBudget();
    from = to;
  }
  const cells: Cells = new Map();
  for (const [key, hash] of redis) {
    const parts = layout.parseIncrements(key);
    if (!parts) throw new Error(key);
    for (const [field, bytes] of hash) {
      cells.set(`${parts.view} ${parts.epoch} ${parts.partition} ${parts.key} ${field}`, hex(bytes));
    }
  }
  return cells;
}

describe('the fused fold', () => {
  const all = records(4_000, 5);

  it('writes, batch after batch, exactly the states of the view transformation (computeIncrements) over all records', async () => {
    const expected = await reference(all, Number.NEGATIVE_INFINITY);
    expect(expected.size).toBeGreaterThan(500);
    expect(await folded(all, Number.NEGATIVE_INFINITY, { seed: 1 })).toEqual(expected);
  });

  it('skips the epochs at or below the watermark', async () => {
    const afterEpoch = Math.floor(((all[0]?.timestamp ?? 0) + 3_600_000) / EPOCH_MS);
    const expected = await reference(all, afterEpoch);
    const actual = await folded(all, afterEpoch, { seed: 2 });
    expect(actual).toEqual(expected);
    expect([...actual.keys()].every((key) => Number(key.split(' ')[1]) > afterEpoch)).toBe(true);
  });

  it('gives the same states when cells are read back from Redis after restarts and evictions', async () => {
    const expected = await reference(all, Number.NEGATIVE_INFINITY);
    expect(await folded(all, Number.NEGATIVE_INFINITY, { seed: 3, restartEvery: 4 })).toEqual(expected);
    // A budget far below the cells' size evicts groups after nearly every batch.
    expect(await folded(all, Number.NEGATIVE_INFINITY, { seed: 4, budgetBytes: 200_000 })).toEqual(expected);
  });
});

describe('the cell store', () => {
  it('reads nothing for a partition positioned from a base, and evicts the least recently touched groups', async () => {
    const store = new CellStore(layout, 1);
    store.reset('http', 0, true);
    const batch = store.beginBatch();
    const part = all0();
    foldPartition(store.partition('http', 0), plans, part, 0, EPOCH_MS, Number.NEGATIVE_INFINITY, batch);
    expect(batch.needingBase).toEqual([]);
    expect(batch.changed.length).toBeGreaterThan(0);
    store.committed(
      batch,
      batch.changed.map(() => 10),
    );
    expect(store.stats().cells).toBe(batch.changed.length);
    expect(store.evictIfOverBudget()).toBeGreaterThan(0);
    expect(store.stats()).toMatchObject({ cells: 0, estimatedBytes: 0 });
    // An evicted group of an authoritative partition is read again when touched.
    const next = store.beginBatch();
    foldPartition(
      store.partition('http', 0),
      plans,
      part.slice(0, 1),
      0,
      EPOCH_MS,
      Number.NEGATIVE_INFINITY,
      next,
    );
    expect(next.needingBase.length).toBe(next.changed.length);
  });

  it('forgets a reset partition, and expired epochs', () => {
    const store = new CellStore(layout, 2 ** 30);
    store.reset('http', 0, true);
    const batch = store.beginBatch();
    const part = all0();
    foldPartition(store.partition('http', 0), plans, part, 0, EPOCH_MS, Number.NEGATIVE_INFINITY, batch);
    store.committed(
      batch,
      batch.changed.map(() => 10),
    );
    const epochs = [...new Set(batch.changed.map((cell) => cell.row.group.epoch))].sort((a, b) => a - b);
    expect(epochs.length).toBeGreaterThan(1);
    store.expire(epochs[0] as number);
    const left = store.stats().cells;
    expect(left).toBe(batch.changed.filter((cell) => cell.row.group.epoch > (epochs[0] as number)).length);
    store.reset('http', 0, false);
    expect(store.stats()).toMatchObject({ cells: 0, estimatedBytes: 0 });
  });

  function all0(): Array<KafkaRecord<AnyEvent>> {
    return records(600, 9).filter((record) => record.partition === 0);
  }
});
