/**
 * StreamingContext behaviour: lifecycle, queue and receiver inputs (a real TCP socket on loopback), failures,
 * and checkpoint recovery with getOrCreate.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataflowContext } from '../context.ts';
import { ManualClock } from './clock.ts';
import { Receiver } from './receiver.ts';
import { StreamingContext } from './streaming-context.ts';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

function newContext(
  clock = new ManualClock(0),
  batchMs = 1000,
): { ssc: StreamingContext; clock: ManualClock } {
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), batchMs, { clock });
  contexts.push(ssc);
  return { ssc, clock };
}

async function runBatches(ssc: StreamingContext, clock: ManualClock, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    clock.advance(ssc.batchDuration);
    await ssc.awaitBatchCompletion(clock.now());
  }
}

describe('StreamingContext lifecycle', () => {
  it('refuses to start without output operations, twice, or after stop', async () => {
    const { ssc } = newContext();
    await expect(ssc.start()).rejects.toThrow('No output operations registered');
    ssc.queueStream([]).foreachRDD(() => undefined);
    await ssc.start();
    expect(ssc.getState()).toBe('ACTIVE');
    await expect(ssc.start()).rejects.toThrow('already been started');
    expect(() => ssc.queueStream([])).toThrow('after starting a context is not supported');
    await ssc.stop();
    expect(ssc.getState()).toBe('STOPPED');
    await expect(ssc.start()).rejects.toThrow('already been stopped');
  });

  it('aligns the first batch on the batch interval and counts batches from there', async () => {
    const { ssc, clock } = newContext(new ManualClock(12_345));
    const times: number[] = [];
    ssc.queueStream([]).foreachRDD((_rdd, time) => {
      times.push(time);
    });
    await ssc.start();
    expect(ssc.zeroTime).toBe(12_000);
    clock.setTime(15_000);
    await ssc.awaitBatchCompletion(15_000);
    expect(times).toEqual([13_000, 14_000, 15_000]);
  });

  it('serves queued RDDs one at a time, or all at once, then the default RDD', async () => {
    const { ssc, clock } = newContext();
    const ctx = ssc.dataflowContext;
    const oneByOne: number[][] = [];
    const allAtOnce: number[][] = [];
    ssc.queueStream([ctx.parallelize([1]), ctx.parallelize([2])]).foreachRDD(async (rdd) => {
      oneByOne.push(await rdd.collect());
    });
    ssc
      .queueStream([ctx.parallelize([1]), ctx.parallelize([2])], false, ctx.parallelize([9]))
      .foreachRDD(async (rdd) => {
        allAtOnce.push(await rdd.collect());
      });
    await ssc.start();
    await runBatches(ssc, clock, 3);
    expect(oneByOne).toEqual([[1], [2], []]);
    expect(allAtOnce).toEqual([[1, 2], [9], [9]]);
  });

  it('stops with the error of a failing batch, and awaitTermination rejects with it', async () => {
    const { ssc, clock } = newContext();
    ssc.queueStream([ssc.dataflowContext.parallelize([1])]).foreachRDD(() => {
      throw new Error('sink is down');
    });
    await ssc.start();
    clock.advance(1000);
    await expect(ssc.awaitTermination()).rejects.toThrow('sink is down');
  });

  it('awaitTerminationOrTimeout answers false while running and true once stopped', async () => {
    const { ssc, clock } = newContext();
    ssc.queueStream([]).foreachRDD(() => undefined);
    await ssc.start();
    const waiting = ssc.awaitTerminationOrTimeout(5000);
    clock.advance(5000);
    expect(await waiting).toBe(false);
    await ssc.stop();
    expect(await ssc.awaitTerminationOrTimeout(1000)).toBe(true);
  });
});

describe('receivers', () => {
  it('socketTextStream reads lines from a TCP server and reconnects after the server closes', async () => {
    const clients: Socket[] = [];
    const server: Server = createServer((socket) => {
      clients.push(socket);
      socket.write(clients.length === 1 ? 'hello world\nsecond line\npartial' : 'after restart\n');
      if (clients.length === 1) socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const { ssc, clock } = newContext();
    const received: string[][] = [];
    const lines = ssc.socketTextStream('127.0.0.1', port);
    lines.foreachRDD(async (rdd) => {
      received.push(await rdd.collect());
    });
    await ssc.start();
    await waitFor(() => clients.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runBatches(ssc, clock, 1);
    expect(received[0]).toEqual(['hello world', 'second line', 'partial']);
    clock.advance(2000); // the receiver's restart delay, on the context's clock
    await waitFor(() => clients.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runBatches(ssc, clock, 1);
    expect(received.flat()).toContain('after restart');
    await ssc.stop();
    for (const client of clients) client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a custom receiver stores records, reports errors and is stopped with the context', async () => {
    class Counter extends Receiver<number> {
      started = 0;
      stopped = 0;
      onStart(): void {
        this.started += 1;
        this.store([1, 2, 3]);
        this.reportError('odd reading', new Error('sensor glitch'));
      }
      onStop(): void {
        this.stopped += 1;
      }
    }
    const receiver = new Counter();
    const { ssc, clock } = newContext();
    const stream = ssc.receiverStream(receiver);
    const sums: number[] = [];
    stream
      .reduce((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        sums.push(...(await rdd.collect()));
      });
    await ssc.start();
    await runBatches(ssc, clock, 2);
    expect(sums).toEqual([6]);
    expect(stream.errors.map((e) => e.message)).toEqual(['odd reading']);
    await ssc.stop();
    expect(receiver.stopped).toBe(1);
    expect(receiver.isStopped()).toBe(true);
  });
});

describe('checkpoints and getOrCreate', () => {
  it('resumes state from the newest checkpoint after a restart, in a local directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-checkpoint-'));
    try {
      const batches = [['a', 'b'], ['a'], ['c'], ['a', 'c'], ['b']];
      const build = (clock: ManualClock, from: number, seen: Array<Array<[string, number]>>) => () => {
        const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
        const queue = batches.slice(from).map((batch) => ssc.dataflowContext.parallelize(batch, 2));
        ssc
          .queueStream(queue)
          .map((x): [string, number] => [x, 1])
          .updateStateByKey((values: number[], state: number | undefined) => (state ?? 0) + values.length)
          .foreachRDD(async (rdd) => {
            seen.push((await rdd.collect()).sort());
          });
        return ssc;
      };

      const firstClock = new ManualClock(0);
      const firstSeen: Array<Array<[string, number]>> = [];
      const first = await StreamingContext.getOrCreate(dir, build(firstClock, 0, firstSeen));
      await first.start();
      await runBatches(first, firstClock, 3); // a,b | a | c
      await first.stop(); // "crash" after batch 3 (its checkpoint is written)

      const secondClock = new ManualClock(3000);
      const secondSeen: Array<Array<[string, number]>> = [];
      const second = await StreamingContext.getOrCreate(dir, build(secondClock, 3, secondSeen));
      contexts.push(second);
      await second.start();
      expect(second.zeroTime).toBe(0);
      await runBatches(second, secondClock, 2); // a,c | b
      expect(secondSeen).toEqual([
        [
          ['a', 3],
          ['b', 1],
          ['c', 2],
        ],
        [
          ['a', 3],
          ['b', 2],
          ['c', 2],
        ],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips a truncated newest checkpoint, reports it, and resumes from the one before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-checkpoint-'));
    try {
      const build = (clock: ManualClock) => () => {
        const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
        ssc
          .queueStream([['a'], ['b'], ['c']].map((batch) => ssc.dataflowContext.parallelize(batch, 1)))
          .map((x): [string, number] => [x, 1])
          .updateStateByKey((values: number[], state: number | undefined) => (state ?? 0) + values.length)
          .foreachRDD(async () => {});
        return ssc;
      };
      const clock = new ManualClock(0);
      const first = await StreamingContext.getOrCreate(dir, build(clock));
      await first.start();
      await runBatches(first, clock, 3);
      await first.stop();
      const names = readdirSync(dir)
        .filter((name) => name.startsWith('checkpoint-'))
        .sort();
      expect(names.length).toBeGreaterThanOrEqual(2);
      const newest = names.at(-1) as string;
      const bytes = readFileSync(join(dir, newest));
      writeFileSync(join(dir, newest), bytes.subarray(0, Math.floor(bytes.length / 2)));

      const damaged: string[] = [];
      const second = await StreamingContext.getOrCreate(dir, build(new ManualClock(3000)), {
        onDamagedCheckpoint: (name, reason) => damaged.push(`${name}: ${reason}`),
      });
      contexts.push(second);
      expect(damaged).toHaveLength(1);
      expect(damaged[0]).toContain(newest);
      expect(second.restoredCheckpointTime).toBe(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an incremental window resumes exactly after a restart (window and in-window batches are checkpointed)', async () => {
    const batches = [['a', 'b'], ['a'], ['c', 'a'], ['b'], ['a', 'a'], [], ['c']];
    const build = (clock: ManualClock, from: number, seen: string[][]) => () => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
      const queue = batches.slice(from).map((batch) => ssc.dataflowContext.parallelize(batch, 2));
      ssc
        .queueStream(queue)
        .map((x): [string, number] => [x, 1])
        .reduceByKeyAndWindow(
          (a, b) => a + b,
          (a, b) => a - b,
          3000,
          1000,
          2,
          ([, n]) => n > 0,
        )
        .foreachRDD(async (rdd) => {
          seen.push((await rdd.collect()).map(([k, n]) => `${k}=${n}`).sort());
        });
      return ssc;
    };
    const uninterrupted: string[][] = [];
    const whole = await StreamingContext.getOrCreate(
      `memory://window-whole-${Date.now()}`,
      build(new ManualClock(0), 0, uninterrupted),
    );
    contexts.push(whole);
    await whole.start();
    await runBatches(whole, (whole as unknown as { clock: ManualClock }).clock, batches.length);

    const location = `memory://window-restart-${Date.now()}`;
    const before: string[][] = [];
    const firstClock = new ManualClock(0);
    const first = await StreamingContext.getOrCreate(location, build(firstClock, 0, before));
    await first.start();
    await runBatches(first, firstClock, 4);
    await first.stop();
    const after: string[][] = [];
    const secondClock = new ManualClock(4000);
    const second = await StreamingContext.getOrCreate(location, build(secondClock, 4, after));
    contexts.push(second);
    await second.start();
    await runBatches(second, secondClock, batches.length - 4);
    expect([...before, ...after]).toEqual(uninterrupted);
  });

  it('reads incremental-window checkpoints of the earlier format (window only)', () => {
    const { ssc } = newContext();
    const windowed = ssc.queueStream<[string, number]>([]).reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      2000,
      1000,
      2,
    );
    expect(() => windowed.restoreState({ time: 3000, partitions: [[['a', 1]], []] })).not.toThrow();
    expect(() =>
      windowed.restoreState({
        window: { time: 3000, partitions: [[], []] },
        batches: [{ time: 3000, partitions: [[], []] }],
      }),
    ).not.toThrow();
  });

  it('refuses a checkpoint written with another batch duration or another graph', async () => {
    const location = `memory://refuse-${Date.now()}`;
    const clock = new ManualClock(0);
    const first = await StreamingContext.getOrCreate(location, () => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
      ssc
        .queueStream([ssc.dataflowContext.parallelize<[string, number]>([['a', 1]])])
        .updateStateByKey((v: number[], s: number | undefined) => (s ?? 0) + v.length)
        .foreachRDD(() => undefined);
      return ssc;
    });
    await first.start();
    await runBatches(first, clock, 1);
    await first.stop();
    await expect(
      StreamingContext.getOrCreate(location, () => {
        const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 2000);
        ssc.queueStream([]).foreachRDD(() => undefined);
        return ssc;
      }),
    ).rejects.toThrow('batch duration of 1000 ms');
    const other = await StreamingContext.getOrCreate(location, () => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, {
        clock: new ManualClock(0),
      });
      ssc
        .queueStream<number>([])
        .map((x) => x)
        .foreachRDD(() => undefined);
      return ssc;
    });
    contexts.push(other);
    await expect(other.start()).rejects.toThrow('does not match the stream graph');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
