/** The examples of README.md, run as written, with the outputs the README shows. */
import { afterAll, describe, expect, it } from 'vitest';
import {
  count,
  DataflowContext,
  hyperLogLog,
  product,
  quantiles,
  type State,
  StateSpec,
  sum,
} from './index.ts';
import { runStream } from './testing/index.ts';

const ctx = new DataflowContext({ parallelism: 2 });
afterAll(() => ctx.stop());

describe('README examples', () => {
  it('word count', async () => {
    const counts = ctx
      .parallelize(['to be or not to be', 'that is the question'])
      .flatMap((line) => line.split(' '))
      .map((word): [string, number] => [word, 1])
      .reduceByKey((a, b) => a + b);
    expect((await counts.sortByKey().collect()).slice(0, 2)).toEqual([
      ['be', 2],
      ['is', 1],
    ]);
    expect(counts.toDebugString()).toMatch(/^\(2\) ShuffledRDD\[\d+\] at reduceByKey \[\]/);
  });

  it('join', async () => {
    const visits = ctx.parallelize<[string, string]>([
      ['u1', '/home'],
      ['u2', '/cart'],
      ['u1', '/pay'],
    ]);
    const users = ctx.parallelize<[string, string]>([
      ['u1', 'NL'],
      ['u3', 'FR'],
    ]);
    expect(await visits.join(users).collect()).toEqual([
      ['u1', ['/home', 'NL']],
      ['u1', ['/pay', 'NL']],
    ]);
    expect(await visits.leftOuterJoin(users).collect()).toContainEqual(['u2', ['/cart', undefined]]);
    expect(await visits.cogroup(users).collect()).toContainEqual(['u1', [['/home', '/pay'], ['NL']]]);
  });

  it('aggregators', async () => {
    interface Event {
      path: string;
      bytes: number;
      userId: string;
      latencyMs: number;
    }
    const pageStats = product({
      hits: count<Event>(),
      bytes: sum((e: Event) => e.bytes),
      users: hyperLogLog((e: Event) => e.userId),
      latency: quantiles((e: Event) => e.latencyMs),
    });
    const events = ctx.parallelize<Event>(
      Array.from({ length: 100 }, (_, i) => ({
        path: `/p${i % 2}`,
        bytes: 10,
        userId: `u${i % 7}`,
        latencyMs: i,
      })),
      4,
    );
    const perPath = await events
      .map((e): [string, typeof pageStats.zero] => [e.path, pageStats.prepare(e)])
      .reduceByKey((a, b) => pageStats.plus(a, b))
      .mapValues((state) => pageStats.present(state))
      .collectAsMap();
    expect(perPath.get('/p0')?.hits).toBe(50);
    expect(perPath.get('/p0')?.bytes).toBe(500);
    expect(perPath.get('/p0')?.users).toBeCloseTo(7, 0);
  });

  it('runStream example', async () => {
    expect(await runStream([[1], [2, 3], [4]], (s) => s.window(2000, 1000).reduce((a, b) => a + b))).toEqual([
      [1],
      [6],
      [9],
    ]);
  });

  it('stateful sessions example', async () => {
    const clicks: [string, string][][] = [
      [
        ['u1', '/a'],
        ['u2', '/b'],
      ],
      [['u1', '/c']],
      [],
      [],
    ];
    const out = await runStream(clicks, (stream) => {
      const sessions = stream.mapWithState(
        StateSpec.function((user: string, _path: string | undefined, state: State<{ pages: number }>) => {
          if (state.isTimingOut()) return { user, closed: true, pages: state.get().pages };
          const pages = (state.getOption()?.pages ?? 0) + 1;
          state.update({ pages });
          return { user, closed: false, pages };
        }).timeout(1500),
      );
      sessions.checkpoint(1000);
      return sessions;
    });
    expect(out.flat()).toEqual([
      { user: 'u1', closed: false, pages: 1 },
      { user: 'u2', closed: false, pages: 1 },
      { user: 'u1', closed: false, pages: 2 },
      { user: 'u2', closed: true, pages: 1 },
      { user: 'u1', closed: true, pages: 2 },
    ]);
  });
});
