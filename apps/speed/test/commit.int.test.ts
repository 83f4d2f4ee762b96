/**
 * The commit script against the local stack's Redis: a commit of many distinct cells is staged in bounded chunks
 * and applied by one final script with exactly the effect of the single-call script; a staged commit that is
 * refused, or interrupted between staging and the final script, leaves nothing visible and no staging keys that
 * could ever be applied.
 */
import { randomUUID } from 'node:crypto';
import { RedisLayout } from '@oxbow/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CommitLimits,
  type CommitRequest,
  commitBatch,
  finishStagedCommit,
  stageCommit,
} from '../src/commit-script.ts';
import { SpeedError } from '../src/errors.ts';
import { scanKeys, TEST_REDIS_URL } from './support/speed-test-env.ts';

const GENERATION = 'gen-1';
const INLINE_ONLY: Partial<CommitLimits> = {
  maxInlineEntries: Number.MAX_SAFE_INTEGER,
  maxInlineBytes: Number.MAX_SAFE_INTEGER,
};
/** Tiny chunks and slices with odd sizes, so every boundary of the staging and the final script is crossed. */
const TINY: Partial<CommitLimits> = {
  maxInlineEntries: 10,
  chunkEntries: 7,
  chunkBytes: 200,
  chunksPerRoundTrip: 3,
  applySliceEntries: 5,
};

let redis: Redis;
const prefixes: string[] = [];

function freshLayout(): RedisLayout {
  const prefix = `oxbow-test-commit-${randomUUID().slice(0, 8)}:`;
  prefixes.push(prefix);
  return new RedisLayout(prefix);
}

/** A commit of `hashes × fields` cells (values of 1–40 bytes), their key index and epochs, and counters. */
function bigRequest(layout: RedisLayout, hashes: number, fields: number): CommitRequest {
  const hashWrites: Array<CommitRequest['hashWrites'][number]> = [];
  const setAdds: Array<CommitRequest['setAdds'][number]> = [];
  for (let h = 0; h < hashes; h++) {
    const epoch = 100 + (h % 3);
    const key = `/p/${h}:x`;
    setAdds.push({ key: layout.keyIndex('page_views_hourly', epoch), member: key });
    for (let f = 0; f < fields; f++) {
      const value = new Uint8Array(1 + ((h * 7 + f) % 40)).map((_, i) => (h + f + i) % 256);
      hashWrites.push({
        key: layout.increments('page_views_hourly', epoch, h % 3, key),
        field: String(f * 3_600_000),
        value,
      });
    }
  }
  return {
    generation: GENERATION,
    ranges: [0, 1, 2].map((partition) => ({
      topic: 'http',
      partition,
      fromOffset: '0',
      untilOffset: String(hashes),
      absentOk: true,
    })),
    hashWrites,
    setAdds,
    zAdds: [100, 101, 102].map((epoch) => ({
      key: layout.epochs('page_views_hourly'),
      score: epoch,
      member: String(epoch),
    })),
    counters: [
      { key: layout.status(), field: 'records:http', by: hashes },
      { key: layout.status(), field: 'deadLettered', by: 2 },
    ],
  };
}

/** Every key under the layout's prefix (prefix stripped) with its content, staging lists and the marker apart. */
async function dump(layout: RedisLayout): Promise<Record<string, unknown>> {
  const keys = (await scanKeys(redis, `${layout.prefix}*`))
    .filter((key) => key !== layout.generation() && !key.startsWith(`${layout.prefix}staging:`))
    .sort();
  const out: Record<string, unknown> = {};
  for (let first = 0; first < keys.length; first += 1000) {
    const slice = keys.slice(first, first + 1000);
    const pipeline = redis.pipeline();
    for (const key of slice) {
      const name = key.slice(layout.prefix.length);
      if (name.startsWith('rtkeys:')) pipeline.smembers(key);
      else if (name.startsWith('rtepochs:')) pipeline.zrange(key, '0', '-1', 'WITHSCORES');
      else pipeline.hgetallBuffer(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    slice.forEach((key, k) => {
      const [error, value] = replies[k] ?? [new Error('no reply'), null];
      if (error) throw error;
      const name = key.slice(layout.prefix.length);
      out[name] = name.startsWith('rtkeys:')
        ? [...(value as string[])].sort()
        : name.startsWith('rtepochs:')
          ? value
          : Object.fromEntries(
              Object.entries(value as Record<string, Buffer>)
                .map(([field, bytes]) => [field, bytes.toString('hex')])
                .sort(),
            );
    });
  }
  return out;
}

async function stagingKeys(layout: RedisLayout): Promise<string[]> {
  return scanKeys(redis, layout.stagingPattern());
}

async function setUp(layout: RedisLayout): Promise<void> {
  await redis.set(layout.generation(), GENERATION);
}

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    const keys = await scanKeys(redis, `${prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await redis.call('unlink', keys.slice(i, i + 1000));
  }
});

afterAll(() => {
  redis?.disconnect();
});

describe('commitBatch of many distinct cells', () => {
  it('commits 80,000 hash writes staged in bounded chunks exactly as the single-call script does', async () => {
    const inline = freshLayout();
    const staged = freshLayout();
    await setUp(inline);
    await setUp(staged);
    const inlineRequest = bigRequest(inline, 20_000, 4);
    const stagedRequest = bigRequest(staged, 20_000, 4);
    expect(await commitBatch(redis, inline, inlineRequest, INLINE_ONLY)).toEqual({ kind: 'committed' });
    expect(await commitBatch(redis, staged, stagedRequest)).toEqual({ kind: 'committed' });
    const expected = await dump(inline);
    expect(Object.keys(expected)).toHaveLength(20_000 + 3 + 1 + 1 + 1); // rt, rtkeys, rtepochs, offsets, status
    expect(await dump(staged)).toEqual(expected);
    expect(await stagingKeys(staged)).toEqual([]);
    expect(await redis.hgetall(staged.offsets('http'))).toEqual({ 0: '20000', 1: '20000', 2: '20000' });
  });

  it('crosses every chunk, round-trip and slice boundary with the same result', async () => {
    const inline = freshLayout();
    const staged = freshLayout();
    await setUp(inline);
    await setUp(staged);
    expect(await commitBatch(redis, inline, bigRequest(inline, 61, 3), INLINE_ONLY)).toEqual({
      kind: 'committed',
    });
    const request = bigRequest(staged, 61, 3);
    const pending = await stageCommit(redis, staged, request, TINY);
    expect(pending.lengths).toEqual([61 * 3 * 3, 61 * 2, 3 * 3, 2 * 3]);
    expect(await finishStagedCommit(redis, staged, request, pending, TINY)).toEqual({ kind: 'committed' });
    expect(await dump(staged)).toEqual(await dump(inline));
    expect(await stagingKeys(staged)).toEqual([]);
  });

  it('a staged commit refused because the offsets moved or the generation changed writes nothing and drops its staging', async () => {
    const layout = freshLayout();
    await setUp(layout);
    await redis.hset(layout.offsets('http'), '1', '7');
    const before = await dump(layout);
    expect(await commitBatch(redis, layout, bigRequest(layout, 2_000, 2))).toEqual({
      kind: 'offsets-moved',
      topic: 'http',
      partition: 1,
      stored: '7',
    });
    expect(await dump(layout)).toEqual(before);
    expect(await stagingKeys(layout)).toEqual([]);

    const other = { ...bigRequest(layout, 2_000, 2), generation: 'gen-0' };
    expect(await commitBatch(redis, layout, other)).toEqual({
      kind: 'generation-changed',
      stored: GENERATION,
    });
    expect(await dump(layout)).toEqual(before);
    expect(await stagingKeys(layout)).toEqual([]);
  });

  it('a crash between staging and the final script leaves only expiring staging lists that are never applied', async () => {
    const layout = freshLayout();
    await setUp(layout);
    const request = bigRequest(layout, 3_000, 2);
    // The process dies after staging: the final script never runs.
    const orphan = await stageCommit(redis, layout, request);
    expect(await dump(layout)).toEqual({});
    const leftovers = (await stagingKeys(layout)).sort();
    expect(leftovers).toEqual([...orphan.keys].sort());
    for (const key of leftovers) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_600);
    }
    // The restarted speed layer re-reads the batch from Redis's offsets and commits it once, under a new token.
    expect(await commitBatch(redis, layout, request)).toEqual({ kind: 'committed' });
    const committed = await dump(layout);
    expect(committed['speed:status']).toEqual({
      deadLettered: Buffer.from('2').toString('hex'),
      'records:http': Buffer.from('3000').toString('hex'),
    });
    expect((await stagingKeys(layout)).sort()).toEqual(leftovers);
    // Finishing the orphan now (it never is, but even so) is refused and only drops it.
    expect((await finishStagedCommit(redis, layout, request, orphan)).kind).toBe('offsets-moved');
    expect(await dump(layout)).toEqual(committed);
    expect(await stagingKeys(layout)).toEqual([]);
  });

  it('a staging list that expired before the final script makes it fail retriably, writing nothing', async () => {
    const layout = freshLayout();
    await setUp(layout);
    const request = bigRequest(layout, 3_000, 2);
    const staged = await stageCommit(redis, layout, request);
    await redis.del(staged.keys[1] as string);
    const failure = await finishStagedCommit(redis, layout, request, staged).catch((error: unknown) => error);
    expect(SpeedError.is(failure, 'OXBOW_SPEED_REDIS')).toBe(true);
    expect((failure as SpeedError).retriable).toBe(true);
    expect((failure as Error).message).toMatch(/expired or deleted/);
    expect(await dump(layout)).toEqual({});
    expect(await stagingKeys(layout)).toEqual([]);
  });
});
