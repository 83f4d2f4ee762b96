/**
 * Serving on Redis Cluster (`OXBOW_REDIS_CLUSTER=yes`): one realtime state written in the cluster layout to a
 * private three-node cluster and in the standalone layout to the stack's Redis (its own prefix), the way the
 * speed layer commits each Kafka partition, gives the same answers, rankings and ETags from both servers; the
 * cluster server's mirror picks up an announced commit by re-reading only its hashes, finds an unannounced one by
 * the per-partition offsets, and drops the increments of a replaced generation.
 */
import { join } from 'node:path';
import { createRedisClient, isRedisCluster, type RedisClient, scanKeys, unlinkKeys } from '@oxbow/connectors';
import { escapeGlob, RedisLayout } from '@oxbow/contracts';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '@oxbow/testing-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, RealtimeStore, type ServingServer } from '../src/index.ts';
import {
  type AnyView,
  exampleProject,
  foldStates,
  type HttpLogEvent,
  httpEvents,
  type ViewStates,
  writeBatchVersion,
  writeSpeedStatus,
} from './support/fixtures.ts';
import { type TestEnvironment, testEnvironment } from './support/harness.ts';

const pageViews = exampleProject.view('page_views_hourly');
const countryDaily = exampleProject.view('country_daily');
const WATERMARK = 40;
const TOPIC = 'http_logs';

/** One Kafka partition's commit: its epoch and the states it adds to each view. */
interface PartitionCommit {
  readonly epoch: number;
  readonly partition: number;
  readonly events: readonly HttpLogEvent[];
}

/** The states of `events` for each mirrored view the test writes. */
function viewStates(events: readonly HttpLogEvent[]): Array<{ view: AnyView; states: ViewStates }> {
  return [pageViews, countryDaily].map((view) => ({ view, states: foldStates(view, events) }));
}

/**
 * Writes one partition's commit as the speed layer does, in `layout`: the increments hashes, the epoch's key
 * sets and the epoch sorted sets of every view and the partition's next offset (one more than before), in one
 * transaction — on a cluster every key of it carries the partition's hash tag, so it runs in one slot, after the
 * partition is registered in `partitions:<topic>`, and also sets the partition's generation fence — then
 * announces it on `rtcommits` unless `announce` is false.
 */
async function writeCommit(
  redis: RedisClient,
  layout: RedisLayout,
  commit: PartitionCommit,
  options: { announce?: boolean } = {},
): Promise<void> {
  const { epoch, partition } = commit;
  const generation = (await redis.get(layout.generation())) ?? '';
  if (layout.cluster) await redis.sadd(layout.partitions(TOPIC), String(partition));
  const transaction = redis.multi();
  const announced: Record<string, Record<string, Record<string, string[]>>> = {};
  for (const { view, states } of viewStates(commit.events)) {
    for (const [key, buckets] of states) {
      for (const [bucket, state] of buckets) {
        transaction.hset(
          layout.increments(view.name, epoch, partition, key),
          String(bucket),
          Buffer.from(view.aggregator.codec.serialize(state)),
        );
      }
      transaction.sadd(layout.keyIndex(view.name, epoch, partition), key);
    }
    transaction.zadd(layout.epochs(view.name, partition), epoch, String(epoch));
    announced[view.name] = { [String(epoch)]: { [String(partition)]: [...states.keys()] } };
  }
  transaction.hincrby(layout.offsets(TOPIC, partition), String(partition), 1);
  if (layout.cluster) transaction.set(layout.fence(partition), generation);
  const replies = (await transaction.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  const offset = replies.at(layout.cluster ? -2 : -1)?.[1];
  if (options.announce === false) return;
  await redis.publish(
    layout.commits(),
    JSON.stringify({
      v: 1,
      generation,
      offsets: { [TOPIC]: { [String(partition)]: String(offset) } },
      views: announced,
    }),
  );
}

/** Installs generation `id`: the marker, its hash and the speed status naming it. */
async function writeGeneration(redis: RedisClient, layout: RedisLayout, id: string): Promise<void> {
  await redis.set(layout.generation(), id);
  await redis.hset(layout.generationViews(), { generation: id, viewsFingerprint: 'test' });
  await writeSpeedStatus(redis, layout.prefix, { fields: { generation: id } });
}

describe('serving on Redis Cluster', () => {
  let env: TestEnvironment;
  let cluster: PrivateRedisCluster;
  let clusterRedis: RedisClient;
  let standaloneServer: ServingServer;
  let clusterServer: ServingServer;
  let standaloneLayout: RedisLayout;
  let clusterLayout: RedisLayout;
  const events = httpEvents(700, 57);
  const keys = [...new Set(events.map((event) => event.path))].slice(0, 10);
  const countries = [...new Set(events.map((event) => event.country))].slice(0, 4);
  const hitsOf = (key: string, of: readonly HttpLogEvent[]) => of.filter((e) => e.path === key).length;

  /** Writes the same commit to both Redis, each in its layout. */
  const writeBoth = async (commit: PartitionCommit, options: { announce?: boolean } = {}) => {
    await writeCommit(env.redis, standaloneLayout, commit, options);
    await writeCommit(clusterRedis, clusterLayout, commit, options);
  };

  /** Each server's answer to `url`: status, ETag and body (freshness aside: it carries the probe's time). */
  const answers = (url: string) =>
    Promise.all(
      [standaloneServer, clusterServer].map(async (server) => {
        const response = await server.app.inject({ url });
        return {
          status: response.statusCode,
          etag: response.headers.etag,
          body: { ...response.json(), freshness: undefined },
        };
      }),
    );

  /** Checks both servers answer `urls` alike (200, same body and ETag); resolves the cluster's bodies. */
  const expectSameAnswers = async (urls: readonly string[]) => {
    const bodies: Record<string, { total?: { hits?: number } }> = {};
    for (const url of urls) {
      const [standalone, onCluster] = await answers(url);
      expect(standalone?.status, `${url}: ${JSON.stringify(standalone?.body)}`).toBe(200);
      expect(onCluster, url).toEqual(standalone);
      bodies[url] = onCluster?.body;
    }
    return bodies;
  };

  const keyUrl = (key: string) => `/v1/views/page_views_hourly?key=${encodeURIComponent(key)}`;
  const allUrls = () => [
    ...keys.map(keyUrl),
    ...countries.map((country) => `/v1/views/country_daily?key=${encodeURIComponent(country)}`),
    `${keyUrl(keys[0] as string)}&from=2026-11-24T10:00:00Z&to=2026-11-24T12:00:00Z`,
    '/v1/views/page_views_hourly/top?by=hits&limit=5',
    '/v1/views/page_views_hourly/top?by=uniqueUsers&limit=5',
    '/v1/views/country_daily/top?by=hits&limit=3',
  ];

  const metric = async (name: string) => {
    const text = (await clusterServer.app.inject('/metrics')).body;
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
  };

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    env = await testEnvironment('redis-cluster');
    standaloneLayout = new RedisLayout(env.prefix);
    clusterLayout = new RedisLayout(env.prefix, { cluster: true });
    clusterRedis = createRedisClient({
      url: cluster.url,
      cluster: true,
      redisOptions: { lazyConnect: true },
    });
    clusterRedis.on('error', () => {});
    await writeGeneration(env.redis, standaloneLayout, 'g1');
    await writeGeneration(clusterRedis, clusterLayout, 'g1');
    await writeBatchVersion({
      lakeDir: env.lakeDir,
      runId: '20261124T120000000Z-c1c1c1c1',
      watermarkEpoch: WATERMARK,
      epochMs: 3_600_000,
      views: viewStates(events.slice(0, 150)),
    });
    standaloneServer = await buildServer(env.config, { redis: env.redis, project: exampleProject });
    // The cluster server opens its own cluster client from the settings, as `oxbow serve` does.
    clusterServer = await buildServer(
      env.with({
        redisCluster: 'yes',
        redisUrl: cluster.url,
        servingCacheDir: join(env.lakeDir, 'cluster-server-cache'),
      }),
      { project: exampleProject, announceWaitMs: 1_000 },
    );
  });

  afterAll(async () => {
    await clusterServer?.close();
    await standaloneServer?.close();
    clusterRedis?.disconnect();
    await env?.cleanup();
    await cluster?.stop();
  });

  it('refuses a standalone client with OXBOW_REDIS_CLUSTER=yes', async () => {
    await expect(
      buildServer(env.with({ redisCluster: 'yes' }), { redis: env.redis, project: exampleProject }),
    ).rejects.toThrow(/OXBOW_REDIS_CLUSTER/);
  });

  it('answers keys, ranges and rankings as from the same state in standalone Redis, ETags included', async () => {
    // Three partitions, two epochs after the watermark, keys spread over partitions; epoch WATERMARK is the batch's.
    const commits: PartitionCommit[] = [
      { epoch: WATERMARK + 1, partition: 0, events: events.slice(150, 250) },
      { epoch: WATERMARK + 1, partition: 1, events: events.slice(250, 320) },
      { epoch: WATERMARK + 2, partition: 2, events: events.slice(320, 400) },
      { epoch: WATERMARK + 2, partition: 0, events: events.slice(400, 450) },
      { epoch: WATERMARK, partition: 1, events: events.slice(450, 500) },
    ];
    for (const commit of commits) await writeBoth(commit);
    // The partitions' keys sit on different nodes: the state is spread over the cluster.
    if (!isRedisCluster(clusterRedis)) throw new Error('not a cluster client');
    const keysPerNode = await Promise.all(
      clusterRedis.nodes('master').map(async (node) => {
        const [, found] = await node.scan('0', 'MATCH', `${escapeGlob(env.prefix)}rt:*`, 'COUNT', 100_000);
        return found.length;
      }),
    );
    expect(keysPerNode.filter((count) => count > 0).length).toBeGreaterThan(1);
    const bodies = await expectSameAnswers(allUrls());
    for (const key of keys) {
      expect(bodies[keyUrl(key)]?.total?.hits, key).toBe(hitsOf(key, events.slice(0, 450)));
    }
    expect(keys.some((key) => hitsOf(key, events.slice(150, 450)) > 0)).toBe(true);
    const [status] = await Promise.all(
      [standaloneServer, clusterServer].map((server) => server.app.inject('/v1/speed/status')),
    );
    expect(status?.statusCode).toBe(200);
  });

  it('picks up an announced commit on the cluster, re-reading only its hashes', async () => {
    const reloads = await metric('oxbow_serving_realtime_reloads_total');
    const rereads = await metric('oxbow_serving_realtime_rereads_total');
    const part = events.slice(500, 560);
    await writeBoth({ epoch: WATERMARK + 3, partition: 1, events: part });
    const bodies = await expectSameAnswers(allUrls());
    for (const key of keys) {
      expect(bodies[keyUrl(key)]?.total?.hits, key).toBe(
        hitsOf(key, events.slice(0, 450)) + hitsOf(key, part),
      );
    }
    expect(await metric('oxbow_serving_realtime_reloads_total')).toBe(reloads);
    const hashes = viewStates(part).reduce((sum, { states }) => sum + states.size, 0);
    expect(await metric('oxbow_serving_realtime_rereads_total')).toBe(rereads + hashes);
  });

  it('finds a commit that was never announced by the per-partition offsets, with one full read', async () => {
    const reloads = await metric('oxbow_serving_realtime_reloads_total');
    await writeBoth(
      { epoch: WATERMARK + 3, partition: 2, events: events.slice(560, 620) },
      { announce: false },
    );
    const bodies = await expectSameAnswers(allUrls());
    for (const key of keys) {
      expect(bodies[keyUrl(key)]?.total?.hits, key).toBe(
        hitsOf(key, events.slice(0, 450)) + hitsOf(key, events.slice(500, 620)),
      );
    }
    expect(await metric('oxbow_serving_realtime_reloads_total')).toBe(reloads + 1);
  });

  it('the realtime store reads the same increments from either layout', async () => {
    const kafkaTopics = { [TOPIC]: [TOPIC] };
    const standalone = new RealtimeStore(env.redis, env.prefix, kafkaTopics);
    const onCluster = new RealtimeStore(clusterRedis, env.prefix, kafkaTopics, { cluster: true });
    const sorted = (read: Awaited<ReturnType<RealtimeStore['read']>>) => ({
      epochs: read.epochs,
      states: read.states
        .map((state) => `${state.key}\t${state.bucket}\t${Buffer.from(state.bytes).toString('base64')}`)
        .sort(),
    });
    for (const wanted of [undefined, keys.slice(0, 3)]) {
      const [a, b] = await Promise.all(
        [standalone, onCluster].map((store) =>
          store.read(pageViews.name, TOPIC, wanted, WATERMARK, {}).then(sorted),
        ),
      );
      expect(a?.epochs).toEqual([WATERMARK + 1, WATERMARK + 2, WATERMARK + 3]);
      expect(a?.states.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    }
    expect(await onCluster.epochsAfter(pageViews.name, TOPIC, WATERMARK + 1)).toEqual([
      WATERMARK + 2,
      WATERMARK + 3,
    ]);
  });

  it('drops the increments of a replaced generation', async () => {
    // A new generation starts over: the speed layer deletes the layout's keys, then installs its marker.
    for (const pattern of clusterLayout.rebuildPatterns()) {
      await scanKeys(clusterRedis, pattern, async (found) => {
        await unlinkKeys(clusterRedis, found);
      });
    }
    await writeGeneration(clusterRedis, clusterLayout, 'g2');
    const key = keys[0] as string;
    const response = await clusterServer.app.inject({ url: keyUrl(key) });
    expect(response.json().total.hits).toBe(hitsOf(key, events.slice(0, 150)));
    await writeCommit(clusterRedis, clusterLayout, {
      epoch: WATERMARK + 4,
      partition: 0,
      events: events.slice(620, 700),
    });
    const after = await clusterServer.app.inject({ url: keyUrl(key) });
    expect(after.json().total.hits).toBe(
      hitsOf(key, events.slice(0, 150)) + hitsOf(key, events.slice(620, 700)),
    );
  });
});
