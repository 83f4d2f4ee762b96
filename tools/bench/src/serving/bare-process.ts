/**
 * The serving benchmark's peer: a bare fastify route answering every `GET /constant` with the same JSON body (a
 * real answer of the API, read from the file named by the first argument), so it costs what fastify, the HTTP
 * stack and the body's size cost and nothing else. Reports `READY {"url"}`; stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

/** What the process reports when it listens. */
export interface BareReady {
  readonly url: string;
}

const body = readFileSync(process.argv[2] ?? '', 'utf8');
const app = Fastify({ logger: false });
app.get('/constant', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
const ready: BareReady = { url: `http://127.0.0.1:${port}` };
console.log(`READY ${JSON.stringify(ready)}`);
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await app.close();
process.exit(0);
