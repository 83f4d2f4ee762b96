/**
 * The streaming-source examples of README.md, run as written — with port 0 and a temporary directory where the
 * README names fixed ports and remote locations, and with the outputs collected instead of printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { DataflowContext, Receiver, StreamingContext } from '@oxbow/dataflow';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Backoff,
  defineParquetSchema,
  formatRfc5424,
  HttpPollingReceiver,
  LocalFileSystem,
  parquetFileStream,
  SourceMeter,
  SYSLOG_SEVERITIES,
  sdParam,
  syslogStream,
  textFileStream,
  writeParquet,
} from '../src/index.ts';
import { waitUntil } from './support/wait-for.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function streamingContext(batchMs = 50): StreamingContext {
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), batchMs);
  cleanups.push(() => ssc.stop());
  return ssc;
}

describe('README: streaming sources', () => {
  it('syslog', async () => {
    const ssc = streamingContext();
    const logs = syslogStream(ssc, {
      udp: { port: 0 },
      tcp: { port: 0, framing: 'auto' },
      map: (m) =>
        m.severity === null || m.severity > 6
          ? undefined
          : {
              host: m.hostname ?? m.peer,
              app: m.appName ?? 'unknown',
              level: SYSLOG_SEVERITIES[m.severity],
              at: m.timestamp ?? m.receivedAt,
              requestId: sdParam(m, 'req@32473', 'id') ?? null,
              text: m.message,
            },
    });
    const counts: Array<[string, number]> = [];
    logs
      .map((l) => [l.level, 1] as [string, number])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        counts.push(...(await rdd.collect()));
      });
    await ssc.start();
    const port = logs.source.addresses().tcp?.port ?? 0;
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end(
      `${formatRfc5424({ facility: 1, severity: 3, hostname: 'web1', appName: 'api', structuredData: [{ id: 'req@32473', params: [['id', 'r-1']] }], message: 'boom' })}\n` +
        `${formatRfc5424({ facility: 1, severity: 7, hostname: 'web1', appName: 'api', message: 'debug: dropped' })}\n`,
    );
    await waitUntil(() => counts.length > 0, 5000, 'the count');
    expect(counts).toEqual([['err', 1]]);
    expect(logs.metrics()).toMatchObject({ records: 1, dropped: 1 });
  });

  it('directory streams (file:// in place of s3:// and hdfs://)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxbow-readme-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lake = new LocalFileSystem(pathToFileURL(dir).href);
    cleanups.push(() => lake.close());
    const words: Array<[string, number]> = [];
    const errors: number[] = [];
    const ssc = await StreamingContext.getOrCreate(join(dir, 'checkpoints'), () => {
      const context = new StreamingContext(new DataflowContext({ parallelism: 1 }), 100);
      textFileStream(context, pathToFileURL(join(dir, 'landing', 'logs')).href)
        .flatMap((line) => line.split(' '))
        .countByValue()
        .foreachRDD(async (rdd) => {
          words.push(...(await rdd.collect()));
        });
      const schema = defineParquetSchema([
        { name: 'ts', type: 'timestamp' },
        { name: 'status', type: 'int32' },
      ] as const);
      parquetFileStream(context, pathToFileURL(join(dir, 'landing', 'http_logs')).href, schema, {
        maxFilesPerBatch: 100,
      })
        .filter((row) => row.status >= 500)
        .count()
        .foreachRDD(async (rdd) => {
          errors.push(...(await rdd.collect()));
        });
      return context;
    });
    cleanups.push(() => ssc.stop());
    await ssc.start();
    await lake.putAtomic('landing/logs/a.txt', new TextEncoder().encode('to be or not to be\n'));
    const schema = defineParquetSchema([
      { name: 'ts', type: 'timestamp' },
      { name: 'status', type: 'int32' },
    ] as const);
    await writeParquet(lake, 'landing/http_logs/p.parquet', schema, [
      { ts: 1, status: 200 },
      { ts: 2, status: 503 },
      { ts: 3, status: 500 },
    ]);
    await waitUntil(() => words.length > 0 && errors.some((n) => n > 0), 5000, 'both streams');
    expect(new Map(words).get('be')).toBe(2);
    expect(errors.filter((n) => n > 0)).toEqual([2]);
  });

  it('custom receivers: the HTTP-polling example and the skeleton', async () => {
    const orders = [
      { id: 1, total: 10 },
      { id: 2, total: 32 },
    ];
    const server = createHttpServer((request, response) => {
      const after = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('after'));
      const page =
        request.headers.authorization === 'Bearer secret' ? orders.filter((o) => o.id > after) : null;
      if (!page) {
        response.writeHead(401).end();
        return;
      }
      response.end(JSON.stringify({ orders: page, last: page.at(-1)?.id ?? after }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    process.env.ORDERS_TOKEN = 'secret';

    const ssc = streamingContext();
    interface Order {
      id: number;
      total: number;
    }
    const stream = ssc.receiverStream(
      new HttpPollingReceiver<Order>({
        url: `${base}/orders?after=0`,
        headers: { authorization: `Bearer ${process.env.ORDERS_TOKEN}` },
        intervalMs: 500,
        parse: (r) => (JSON.parse(r.body) as { orders: Order[] }).orders,
        nextUrl: (r) => `${base}/orders?after=${(JSON.parse(r.body) as { last: number }).last}`,
        backoff: { initialMs: 500, maxMs: 30_000 },
      }),
    );
    const totals: number[] = [];
    stream
      .map((o) => o.total)
      .reduce((a, b) => a + b)
      .foreachRDD(async (rdd) => {
        totals.push(...(await rdd.collect()));
      });

    // The skeleton, as in the README (port 7777 there).
    const lineServer = createServer((socket) => socket.end('one\ntwo\n'));
    await new Promise<void>((resolve) => lineServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => lineServer.close());
    const linePort = (lineServer.address() as { port: number }).port;
    class LineReceiver extends Receiver<string> {
      private socket: Socket | undefined;
      private readonly backoff = new Backoff();
      readonly meter = new SourceMeter(() => Date.now());

      onStart(): void {
        const socket = connect(linePort, '127.0.0.1');
        this.socket = socket;
        socket.once('connect', () => this.backoff.reset());
        createInterface({ input: socket }).on('line', (line) => {
          this.store(line);
          this.meter.recordsIn(1, Buffer.byteLength(line));
        });
        socket.once('error', (error) => this.restart('connection failed', error, this.backoff.next()));
      }

      onStop(): void {
        this.socket?.destroy();
      }
    }
    const receiver = new LineReceiver();
    const lines: string[] = [];
    ssc.receiverStream(receiver).foreachRDD(async (rdd) => {
      lines.push(...(await rdd.collect()));
    });

    await ssc.start();
    await waitUntil(() => totals.length > 0 && lines.length >= 2, 5000, 'the orders and the lines');
    expect(totals).toEqual([42]);
    expect(lines).toEqual(['one', 'two']);
    expect(receiver.meter.snapshot().records).toBe(2);
  });
});
