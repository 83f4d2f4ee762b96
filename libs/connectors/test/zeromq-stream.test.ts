import { setTimeout as sleep } from 'node:timers/promises';
import { DataflowContext, StreamingContext } from '@oxbow/dataflow';
import { freePort } from '@oxbow/testing-tools';
import { afterEach, describe, expect, it } from 'vitest';
import { curveKeyPair, Publisher } from 'zeromq';
import { SourceError, type ZeroMqStreamOptions, zeromqStream } from '../src/index.ts';
import { waitUntil } from './support/wait-for.ts';

const contexts: StreamingContext[] = [];
const publishers: Publisher[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
  for (const publisher of publishers.splice(0)) if (!publisher.closed) publisher.close();
});

async function publisher(
  port: number,
  options: ConstructorParameters<typeof Publisher>[0] = {},
): Promise<Publisher> {
  const socket = new Publisher({ linger: 0, sendHighWaterMark: 100_000, ...options });
  await socket.bind(`tcp://127.0.0.1:${port}`);
  publishers.push(socket);
  return socket;
}

async function start<T>(options: ZeroMqStreamOptions<T>) {
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
  contexts.push(ssc);
  const stream = zeromqStream<T>(ssc, options);
  const seen: T[] = [];
  stream.foreachRDD(async (rdd) => {
    seen.push(...(await rdd.collect()));
  });
  await ssc.start();
  return { ssc, stream, seen };
}

/**
 * Publishes `ping` on `topic` until the subscriber got one (a subscription reaches the publisher a moment after
 * the connection: ZeroMQ's "slow joiner"), then the numbered messages `from`..`to`-1.
 */
async function publishAfterJoin(
  socket: Publisher,
  topic: string,
  from: number,
  to: number,
  got: () => number,
) {
  const before = got();
  while (got() === before) {
    await socket.send([topic, 'ping']);
    await sleep(20);
  }
  for (let i = from; i < to; i++) await socket.send([topic, String(i)]);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('zeromqStream', () => {
  it('receives the messages of the subscribed topics only', async () => {
    const port = await freePort();
    const pub = await publisher(port);
    const { stream, seen } = await start({
      endpoints: `tcp://127.0.0.1:${port}`,
      topics: ['ticks.'],
      decode: ([topic, body]) => ({
        topic: Buffer.from(topic ?? []).toString(),
        body: Buffer.from(body ?? []).toString(),
      }),
    });
    await publishAfterJoin(pub, 'ticks.eur', 0, 1000, () => seen.length);
    await pub.send(['other', 'not subscribed']);
    await pub.send(['ticks.usd', 'last']);
    await waitUntil(() => seen.some((m) => m.body === 'last'), 5000, 'the last message');
    const numbered = seen.filter((m) => /^\d+$/.test(m.body)).map((m) => Number(m.body));
    expect(numbered).toEqual(range(0, 1000));
    expect(seen.some((m) => m.topic === 'other')).toBe(false);
    expect(stream.metrics()).toMatchObject({ errors: 0, connected: true });
    expect(stream.metrics().records).toBe(seen.length);
  });

  it('speaks CURVE, and fails start() with OXBOW_SOURCE_AUTH when the handshake is refused', async () => {
    const server = curveKeyPair();
    const client = curveKeyPair();
    const port = await freePort();
    const pub = await publisher(port, { curveServer: true, curveSecretKey: server.secretKey });
    const { seen } = await start({
      endpoints: `tcp://127.0.0.1:${port}`,
      curve: { serverKey: server.publicKey, publicKey: client.publicKey, secretKey: client.secretKey },
    });
    await publishAfterJoin(pub, 'secure', 0, 10, () => seen.length);
    await waitUntil(() => seen.length >= 11, 5000, 'the encrypted messages');

    const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
    contexts.push(ssc);
    zeromqStream(ssc, {
      endpoints: `tcp://127.0.0.1:${port}`,
      curve: {
        serverKey: curveKeyPair().publicKey,
        publicKey: client.publicKey,
        secretKey: client.secretKey,
      },
    }).print();
    const error = await ssc.start().catch((e: unknown) => e);
    expect(SourceError.is(error, 'OXBOW_SOURCE_AUTH')).toBe(true);
    expect((error as Error).message).toMatch(/CURVE handshake failed/);
  });

  it('fails start() clearly for a malformed endpoint, a host that does not resolve, and no publisher', async () => {
    const attempt = async (endpoints: string) => {
      const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
      contexts.push(ssc);
      zeromqStream(ssc, { endpoints, startTimeoutMs: 800, backoff: { initialMs: 100 } }).print();
      return ssc.start().catch((e: unknown) => e);
    };
    expect(SourceError.is(await attempt('udp://127.0.0.1:5'), 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
    const badHost = await attempt('tcp://no-such-host.invalid:5556');
    expect(SourceError.is(badHost, 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
    expect((badHost as Error).message).toMatch(/ENOTFOUND/);
    const nobody = await attempt(`tcp://127.0.0.1:${await freePort()}`);
    expect(SourceError.is(nobody, 'OXBOW_SOURCE_UNAVAILABLE')).toBe(true);
    expect((nobody as Error).message).toMatch(/no connection established \(gave up after 800 ms\)/);
  });

  it('reconnects by itself when the publisher restarts, and gets everything published after the reconnect', async () => {
    const port = await freePort();
    let pub = await publisher(port);
    const { stream, seen } = await start({
      endpoints: `tcp://127.0.0.1:${port}`,
      backoff: { initialMs: 50, maxMs: 200 },
      decode: ([, body]) => Buffer.from(body ?? []).toString(),
    });
    await publishAfterJoin(pub, 't', 0, 500, () => seen.length);
    await waitUntil(() => seen.includes('499'), 5000, 'the first 500');

    pub.close();
    await waitUntil(() => !stream.metrics().connected, 5000, 'the disconnection');
    pub = await publisher(port);
    await waitUntil(() => stream.metrics().connected, 5000, 'the reconnection');
    await publishAfterJoin(pub, 't', 500, 1000, () => seen.length);
    await waitUntil(() => seen.includes('999'), 5000, 'the messages after the reconnect');

    const numbered = seen.filter((m) => m !== 'ping').map(Number);
    expect(numbered).toEqual(range(0, 1000));
    expect(stream.metrics()).toMatchObject({ reconnects: 1, connected: true });
    expect(stream.metrics().errors).toBeGreaterThanOrEqual(1);
  });
});
