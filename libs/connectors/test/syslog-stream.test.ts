/**
 * The syslog collector on real loopback sockets: UDP datagrams and TCP connections in both framings, mapped to
 * an application schema; clear errors for ports it cannot bind; and no message lost when a sender reconnects,
 * including across a restart of the collector's listener.
 */
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataflowContext, StreamingContext } from '@oxbow/dataflow';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError, syslogStream } from '../src/index.ts';
import {
  formatRfc3164,
  formatRfc5424,
  frameNonTransparent,
  frameOctetCounted,
} from '../src/sources/syslog/format.ts';
import { waitUntil } from './support/wait-for.ts';

const contexts: StreamingContext[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
});

function context(): StreamingContext {
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
  contexts.push(ssc);
  return ssc;
}

/** Opens a TCP connection, writes the buffers, half-closes and waits for the close. */
function sendTcp(port: number, buffers: readonly Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      for (const buffer of buffers) socket.write(buffer);
      socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

/** Like {@link sendTcp}, retrying the connection with a short backoff while nothing listens. */
async function sendTcpWithRetry(port: number, buffers: readonly Buffer[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await sendTcp(port, buffers);
      return;
    } catch (error) {
      if (attempt > 100) throw error;
      await sleep(Math.min(200, 10 * 2 ** attempt));
    }
  }
}

function sendUdp(port: number, messages: readonly string[]): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    let pending = messages.length;
    for (const message of messages) {
      socket.send(Buffer.from(message), port, '127.0.0.1', (error) => {
        if (error) reject(error);
        if (--pending === 0) socket.close(() => resolve());
      });
    }
  });
}

interface LogLine {
  host: string;
  app: string | null;
  severity: number | null;
  text: string;
  via: string;
}

describe('syslogStream', () => {
  it('collects RFC 5424 over UDP and RFC 3164 over TCP in both framings, mapped by the user function', async () => {
    const ssc = context();
    const stream = syslogStream<LogLine>(ssc, {
      udp: { port: 0 },
      tcp: { port: 0 },
      map: (m) =>
        m.appName === 'skip'
          ? undefined
          : {
              host: m.hostname ?? m.peer,
              app: m.appName,
              severity: m.severity,
              text: m.message,
              via: m.transport,
            },
    });
    const lines: LogLine[] = [];
    stream.foreachRDD(async (rdd) => {
      lines.push(...(await rdd.collect()));
    });
    await ssc.start();
    const { udp, tcp } = stream.source.addresses();
    if (!udp || !tcp) throw new Error('not listening');

    await sendUdp(udp.port, [
      formatRfc5424({
        facility: 1,
        severity: 3,
        hostname: 'web1',
        appName: 'nginx',
        message: 'upstream down',
      }),
      formatRfc5424({
        facility: 1,
        severity: 6,
        hostname: 'web1',
        appName: 'skip',
        message: 'dropped by map',
      }),
      'not syslog at all',
    ]);
    const bsd = formatRfc3164({
      facility: 4,
      severity: 2,
      timestamp: Date.now(),
      hostname: 'db1',
      appName: 'su',
      procId: '12',
      message: 'failed',
    });
    await sendTcp(tcp.port, [
      frameOctetCounted(bsd),
      frameNonTransparent('<30>Oct 11 22:14:15 db2 cron: done'),
    ]);
    await waitUntil(() => lines.length === 4, 5000, 'four messages');

    expect(lines.sort((a, b) => a.text.localeCompare(b.text))).toEqual([
      { host: 'db2', app: 'cron', severity: 6, text: 'done', via: 'tcp' },
      { host: 'db1', app: 'su', severity: 2, text: 'failed', via: 'tcp' },
      {
        host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        app: null,
        severity: null,
        text: 'not syslog at all',
        via: 'udp',
      },
      { host: 'web1', app: 'nginx', severity: 3, text: 'upstream down', via: 'udp' },
    ]);
    expect(stream.metrics()).toMatchObject({
      records: 4,
      invalid: 1,
      dropped: 1,
      errors: 0,
      connected: true,
    });
    expect(stream.metrics().bytes).toBeGreaterThan(100);
  });

  it('fails start() with OXBOW_SOURCE_BAD_ADDRESS for a port in use or a host that is not ours', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const busy = context();
      syslogStream(busy, { tcp: { port } }).print();
      const error = await busy.start().catch((e: unknown) => e);
      expect(SourceError.is(error, 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
      expect(String((error as Error).message)).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE.*another process`),
      );

      const foreign = context();
      syslogStream(foreign, { udp: { host: '192.0.2.1', port: 5514 } }).print();
      const foreignError = await foreign.start().catch((e: unknown) => e);
      expect(SourceError.is(foreignError, 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
    } finally {
      blocker.close();
    }
    expect(() => syslogStream(context(), {})).toThrow(/give `udp`, `tcp` or both/);
    expect(() => syslogStream(context(), { tcp: { port: 70_000 } })).toThrow(SourceError);
  });

  it('loses no message when senders reconnect, including across a restart of the listener', async () => {
    const ssc = context();
    const stream = syslogStream(ssc, {
      tcp: { port: 0 },
      backoff: { initialMs: 100, jitter: 0 },
      map: (m) => Number(m.message),
    });
    const seen: number[] = [];
    stream.foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    await ssc.start();
    const port = stream.source.addresses().tcp?.port ?? 0;
    const message = (i: number) =>
      formatRfc5424({ facility: 16, severity: 6, hostname: 'h', appName: 'a', message: String(i) });
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

    // LF framing, the last message without its trailer: the close delivers it.
    const first = range(0, 1000).map((i) => frameNonTransparent(message(i)));
    first[first.length - 1] = Buffer.from(message(999));
    await sendTcp(port, first);
    // The sender reconnects and goes on with octet counting.
    await sendTcp(
      port,
      range(1000, 2000).map((i) => frameOctetCounted(message(i))),
    );
    await waitUntil(() => seen.length >= 2000, 10_000, 'the first 2000 messages');

    // The listener restarts (as after a failure): the sender retries until it is back.
    stream.source.restart('restart for the test', undefined, 300);
    await waitUntil(() => !stream.metrics().connected, 2000, 'the listener to go down');
    await sendTcpWithRetry(
      port,
      range(2000, 3000).map((i) => frameOctetCounted(message(i))),
    );
    await waitUntil(() => seen.length >= 3000, 10_000, 'all 3000 messages');
    await sleep(100);

    expect(seen.sort((a, b) => a - b)).toEqual(range(0, 3000));
    expect(stream.metrics()).toMatchObject({ records: 3000, reconnects: 1, connected: true });
  });
});
