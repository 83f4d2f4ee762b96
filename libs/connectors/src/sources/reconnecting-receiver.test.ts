import { setTimeout as sleep } from 'node:timers/promises';
import { DataflowContext, ManualClock, StreamingContext } from '@oxbow/dataflow';
import { afterEach, describe, expect, it } from 'vitest';
import { meteredReceiverStream, ReconnectingReceiver } from './reconnecting-receiver.ts';
import { SourceError } from './source-error.ts';

type Step = 'ok' | 'hang' | SourceError;

/** A receiver whose connection attempts follow a script; the test loses connections at will. */
class ScriptedReceiver extends ReconnectingReceiver<number> {
  readonly attempts: number[] = [];
  disconnects = 0;
  private current = 0;
  private readonly script: Step[];

  constructor(script: Step[], startTimeoutMs = 2000, initialMs = 1000) {
    super({ startTimeoutMs, backoff: { initialMs, maxMs: 8000, jitter: 0 } });
    this.script = script;
  }

  protected get description(): string {
    return 'scripted';
  }

  protected connect(generation: number): Promise<void> {
    this.attempts.push(Date.now());
    this.current = generation;
    const step = this.script.shift() ?? 'ok';
    if (step === 'ok') return Promise.resolve();
    if (step === 'hang') return new Promise(() => {});
    return Promise.reject(step);
  }

  protected disconnect(): void {
    this.disconnects += 1;
  }

  lose(): void {
    this.connectionLost(this.current, new Error('connection reset'));
  }

  push(value: number): void {
    this.deliver([value], 8);
  }
}

const unavailable = () => new SourceError('OXBOW_SOURCE_UNAVAILABLE', 'refused');
const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

function setUp(receiver: ScriptedReceiver) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 1000, { clock });
  contexts.push(ssc);
  const stream = meteredReceiverStream(ssc, receiver);
  const seen: number[] = [];
  stream.foreachRDD(async (rdd) => {
    seen.push(...(await rdd.collect()));
  });
  return { ssc, clock, stream, seen };
}

describe('ReconnectingReceiver', () => {
  it('retries an unavailable source during the first start, then runs', async () => {
    // The first start waits in real time: short delays.
    const receiver = new ScriptedReceiver([unavailable(), unavailable(), 'ok'], 10_000, 10);
    const { ssc, clock, stream, seen } = setUp(receiver);
    await ssc.start();
    expect(receiver.attempts).toHaveLength(3);
    expect(stream.metrics()).toMatchObject({
      errors: 2,
      reconnects: 0,
      connected: true,
      lastError: 'refused',
    });
    receiver.push(1);
    receiver.push(2);
    clock.setTime(1000);
    await ssc.awaitBatchCompletion(1000);
    expect(seen).toEqual([1, 2]);
    expect(stream.metrics()).toMatchObject({ records: 2, bytes: 16 });
  });

  it('fails start() at once on a fatal error, and does not keep trying afterwards', async () => {
    const receiver = new ScriptedReceiver([new SourceError('OXBOW_SOURCE_AUTH', 'bad password')]);
    const { ssc } = setUp(receiver);
    await expect(ssc.start()).rejects.toThrow('bad password');
    await sleep(50);
    expect(receiver.attempts).toHaveLength(1);
    expect(receiver.disconnects).toBe(1);
  });

  it('gives up with OXBOW_SOURCE_UNAVAILABLE when the first connection hangs past startTimeoutMs', async () => {
    const receiver = new ScriptedReceiver(['hang'], 150);
    const { ssc } = setUp(receiver);
    const error = await ssc.start().catch((e: unknown) => e);
    expect(SourceError.is(error, 'OXBOW_SOURCE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toBe('scripted: no connection established (gave up after 150 ms)');
  });

  it('after a lost connection, reconnects through the engine after growing backoff delays on its clock', async () => {
    const receiver = new ScriptedReceiver(['ok', unavailable(), unavailable(), 'ok']);
    const { ssc, clock, stream } = setUp(receiver);
    await ssc.start();
    receiver.lose();
    receiver.lose(); // a second report of the same loss is ignored
    await sleep(10);
    expect(stream.metrics()).toMatchObject({ connected: false, errors: 1 });
    expect(receiver.attempts).toHaveLength(1);

    const advanceTo = async (time: number) => {
      clock.setTime(time);
      await sleep(10);
    };
    await advanceTo(999);
    expect(receiver.attempts).toHaveLength(1); // the first delay is 1000 ms
    await advanceTo(1000);
    expect(receiver.attempts).toHaveLength(2); // refused: the next delay is 2000 ms
    await advanceTo(2999);
    expect(receiver.attempts).toHaveLength(2);
    await advanceTo(3000);
    expect(receiver.attempts).toHaveLength(3); // refused again: 4000 ms
    await advanceTo(7000);
    expect(receiver.attempts).toHaveLength(4);
    expect(stream.metrics()).toMatchObject({ connected: true, reconnects: 1, errors: 3 });

    receiver.lose(); // the backoff starts over after a success
    await sleep(10);
    await advanceTo(8000);
    expect(receiver.attempts).toHaveLength(5);
    expect(stream.metrics().reconnects).toBe(2);
  });
});
