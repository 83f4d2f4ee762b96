/**
 * Every answer that is not a route's own in the API's error shape `{ statusCode, error, code, message }`: a wrong
 * method (405 with `Allow`) and `OPTIONS` (204 with `Allow`), an unknown route (404), the errors fastify and Node
 * answer before a route runs (a malformed URL 400, a path parameter too long 414, a request head too large 431,
 * a request not received in time 408, a malformed request 400), and what a 5xx body may say: only text this server
 * wrote — never a Redis, DuckDB or S3 message, which goes to the log.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { OxbowError } from '@oxbow/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServingError } from './errors.ts';

/** The error body of every non-2xx answer. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly code: string;
  readonly message: string;
}

/** The methods fastify routes, in the order `Allow` lists them. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A request path or URL cut to a length an error message may repeat. */
function shown(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * The error body for `status`.
 *
 * @example
 * errorBody(405, 'OXBOW_METHOD_NOT_ALLOWED', 'DELETE is not allowed on /v1/views'); // { statusCode: 405, error: 'Method Not Allowed', … }
 */
export function errorBody(status: number, code: string, message: string): ErrorBody {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message };
}

/**
 * The methods of every route, recorded as routes are added (create it before registering routes), so a path
 * that exists under other methods is answered 405 with `Allow` rather than 404.
 */
export class RouteMethods {
  readonly #routes: { readonly pattern: RegExp; readonly methods: Set<string> }[] = [];
  readonly #byUrl = new Map<string, Set<string>>();

  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      this.add(route.url ?? route.path, methods);
      // fastify answers HEAD for every GET route unless told otherwise.
      if (methods.includes('GET') && route.exposeHeadRoute !== false)
        this.add(route.url ?? route.path, ['HEAD']);
    });
  }

  /** Records `methods` of the route pattern `url` (`/v1/views/:view/top`, `/docs/*`). */
  add(url: string, methods: readonly string[]): void {
    let known = this.#byUrl.get(url);
    if (known === undefined) {
      known = new Set();
      this.#byUrl.set(url, known);
      const source = url
        .split('/')
        .map((segment) =>
          segment.startsWith(':')
            ? '[^/]+'
            : segment === '*'
              ? '.*'
              : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*$/, '.*'),
        )
        .join('/');
      this.#routes.push({ pattern: new RegExp(`^${source}$`), methods: known });
    }
    for (const method of methods) known.add(method.toUpperCase());
  }

  /** The methods routed for a request path (without its query string); empty when no route matches it. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) {
      if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    }
    return METHOD_ORDER.filter((method) => methods.has(method));
  }
}

/**
 * The not-found handler: `OPTIONS` on a routed path → 204 with `Allow`; another method of a routed path → 405
 * with `Allow`; anything else 404.
 */
export function answerUnrouted(routes: RouteMethods) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const path = request.url.split('?')[0] ?? '';
    const methods = routes.allowed(path);
    if (methods.length > 0) {
      const allow = [...methods.filter((method) => method !== 'OPTIONS'), 'OPTIONS'].join(', ');
      reply.header('allow', allow);
      if (request.method === 'OPTIONS') {
        reply.code(204).send();
        return;
      }
      reply
        .code(405)
        .send(
          errorBody(
            405,
            'OXBOW_METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${shown(path)} (allowed: ${allow})`,
          ),
        );
      return;
    }
    reply.code(404).send(errorBody(404, 'OXBOW_NOT_FOUND', `no route ${request.method} ${shown(path)}`));
  };
}

/** fastify's `frameworkErrors`: a URL whose percent-encoding does not decode (400), a path parameter too long (414). */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.header('x-content-type-options', 'nosniff');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.code(414).send(errorBody(414, 'OXBOW_URI_TOO_LONG', 'a path segment of the URL is too long'));
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    reply
      .code(400)
      .send(
        errorBody(400, 'OXBOW_BAD_REQUEST', 'the URL is not valid (a percent-encoding that does not decode)'),
      );
    return;
  }
  request.log.error({ err: error }, 'request failed before routing');
  reply.code(500).send(errorBody(500, 'OXBOW_INTERNAL', `internal error (request ${request.id}, logged)`));
}

/**
 * The server's `clientError` handler: what Node's HTTP parser rejects (a head over the limit, a raw space in the
 * URL, a request not received in time) is answered in the error shape, then the connection is closed.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'OXBOW_HEADERS_TOO_LARGE', 'the request line and headers are larger than the server accepts']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'OXBOW_TIMEOUT', 'the request was not received in time']
        : [400, 'OXBOW_BAD_REQUEST', 'malformed HTTP request'];
  this.log.debug({ err: error }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(status, code, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * The message a client gets for an error answered with `status`. Below 500 the error's own message (it describes
 * the request). From 500 only text this server wrote: a serving error's message when it carries no cause, else
 * its part before the first `: ` (serving errors put a dependency's text after it) — other errors get a
 * generic line. Every 5xx names the request id, under which the error is logged.
 *
 * @example
 * publicMessage(new ServingError('OXBOW_UNAVAILABLE', 'Redis is unavailable: WRONGTYPE …', { cause }), 503, 'req-7');
 * // 'Redis is unavailable (request req-7; details in the server log)'
 */
export function publicMessage(error: Error, status: number, requestId: string): string {
  if (status < 500) return error.message;
  const trace = `request ${requestId}; details in the server log`;
  if (error instanceof ServingError) {
    if (error.cause === undefined) return error.message;
    return `${error.message.split(': ')[0]} (${trace})`;
  }
  if (status === 503 || (OxbowError.is(error) && error.retriable))
    return `a store the answer needs is unavailable; retry later (${trace})`;
  if (status === 502) return `the published batch views could not be read (${trace})`;
  return `internal error (${trace})`;
}
