import { describe, expect, it } from 'vitest';
import { Gate, withTimeLimit } from './gate.ts';
import { Pacer } from './pacer.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('gate and time limits', () => {
  it('runs at most `limit` at once, queues a bounded number, refuses beyond', async () => {
    const gate = new Gate(2, 3);
    let running = 0;
    let most = 0;
    const work = () =>
      gate.run(undefined, async () => {
        running++;
        most = Math.max(most, running);
        await sleep(20);
        running--;
        return 'done';
      });
    const accepted = Array.from({ length: 5 }, work);
    await expect(work()).rejects.toMatchObject({ code: 'OXBOW_UNAVAILABLE' });
    expect(await Promise.all(accepted)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(most).toBe(2);
    expect(gate.running + gate.waiting).toBe(0);
  });

  it('leaves the queue when the request is aborted while waiting', async () => {
    const gate = new Gate(1, 10);
    const first = gate.run(undefined, () => sleep(50));
    const controller = new AbortController();
    const waiting = gate.run(controller.signal, () => 'never');
    expect(gate.waiting).toBe(1);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(gate.waiting).toBe(0);
    await first;
  });

  it('aborts the work of a request over its time limit, which stops at its next slice', async () => {
    let slices = 0;
    const started = performance.now();
    await expect(
      withTimeLimit(
        async (signal) => {
          const pacer = new Pacer(signal, 1);
          for (;;) {
            const until = performance.now() + 2;
            while (performance.now() < until) {}
            slices++;
            await pacer.yield();
          }
        },
        30,
        'the ranking',
      ),
    ).rejects.toMatchObject({
      code: 'OXBOW_TIMEOUT',
      message: 'the ranking took longer than the 30 ms limit',
    });
    const stoppedAt = slices;
    await sleep(20);
    expect(slices).toBe(stoppedAt);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
