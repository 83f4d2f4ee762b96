/**
 * The custom-receiver example (HttpPollingReceiver) against a local HTTP server that fails now and then: every
 * event once through restarts (the cursor moves only after a response's records were stored), 304 for an
 * unchanged resource, and clear start-up errors.
 */
import { createServer, type Server } from 'node:http';
import { DataflowContext, StreamingContext } from '@oxbow/dataflow';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpPollingReceiver, httpPollingStream, SourceError } from '../src/index.ts';
import { waitUntil } from './support/wait-for.ts';

const contexts: StreamingContext[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
  for (const server of servers.splice(0)) server.close();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function context(): StreamingContext {
  const ssc = new StreamingContext(new DataflowContext({ parallelism: 1 }), 50);
  contexts.push(ssc);
  return ssc;
}

describe('HttpPollingReceiver', () => {
  it('delivers every event once through failed requests and restarts, following the cursor', async () => {
    let produced = 0;
    let requests = 0;
    const base = await serve((request, response) => {
      requests += 1;
      if (requests % 4 === 2) {
        response.writeHead(503).end('busy');
        return;
      }
      if (requests % 4 === 3) {
        request.socket.destroy(); // a dropped connection
        return;
      }
      const after = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
      produced = Math.min(1000, produced + 37); // events keep arriving
      const events = Array.from(
        { length: Math.max(0, Math.min(produced, after + 50) - after) },
        (_, k) => after + 1 + k,
      );
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ events, last: events.at(-1) ?? after }));
    });
    const ssc = context();
    const stream = httpPollingStream(ssc, {
      url: `${base}/events?after=0`,
      intervalMs: 20,
      backoff: { initialMs: 20, maxMs: 100 },
      parse: (r) => (JSON.parse(r.body) as { events: number[] }).events,
      nextUrl: (r) => `${base}/events?after=${(JSON.parse(r.body) as { last: number }).last}`,
    });
    const seen: number[] = [];
    stream.foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    await ssc.start();
    await waitUntil(() => seen.length >= 1000, 20_000, 'all 1000 events');
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const metrics = stream.metrics();
    expect(metrics.records).toBe(1000);
    expect(metrics.errors).toBeGreaterThan(5);
    expect(metrics.reconnects).toBeGreaterThan(5);
  });

  it('stores an unchanged resource once (ETag, 304)', async () => {
    let version = 1;
    const base = await serve((request, response) => {
      const etag = `"v${version}"`;
      if (request.headers['if-none-match'] === etag) response.writeHead(304).end();
      else response.writeHead(200, { etag }).end(`line of version ${version}`);
    });
    const ssc = context();
    const receiver = new HttpPollingReceiver({
      url: `${base}/status`,
      intervalMs: 10,
      parse: (r) => [r.body],
    });
    const seen: string[] = [];
    ssc.receiverStream(receiver).foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
    await ssc.start();
    await waitUntil(() => seen.length >= 1, 5000, 'the first version');
    await new Promise((resolve) => setTimeout(resolve, 200));
    version = 2;
    await waitUntil(() => seen.length >= 2, 5000, 'the second version');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual(['line of version 1', 'line of version 2']);
  });

  it('fails start() clearly for refused credentials, a host that does not resolve and a malformed URL', async () => {
    const base = await serve((_, response) => response.writeHead(401).end());
    const attempt = async (url: string) => {
      const ssc = context();
      httpPollingStream(ssc, { url, parse: () => [] }).print();
      return ssc.start().catch((error: unknown) => error);
    };
    const refused = await attempt(`${base}/secret`);
    expect(SourceError.is(refused, 'OXBOW_SOURCE_AUTH')).toBe(true);
    expect((refused as Error).message).toMatch(/HTTP 401; check the credentials/);
    expect(SourceError.is(await attempt('http://no-such-host.invalid/x'), 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(
      true,
    );
    expect(SourceError.is(await attempt('not a url'), 'OXBOW_SOURCE_BAD_ADDRESS')).toBe(true);
  });
});
