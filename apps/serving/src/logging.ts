/**
 * The serving API's log: JSON lines from fastify's pino logger, one per event, each with the request id
 * (`reqId`) when it concerns a request. The level is the `logLevel` setting (`OXBOW_LOG_LEVEL`, default `info`;
 * `warn` under vitest unless set otherwise); one line per answered request is logged at `debug`. API keys never
 * reach the log: the `x-api-key`, `authorization` and `cookie` headers are redacted wherever they appear.
 */
import { type FastifyInstance, LogController } from 'fastify';
import { StartRefusedError } from './access.ts';

/** The levels `logLevel` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Where and how much the server logs (tests pass a stream to read the lines). */
export interface ServingLogOptions {
  /** Overrides the `logLevel` setting. */
  readonly level?: string;
  /** Receives each JSON line (default: stdout). */
  readonly stream?: { write(line: string): void };
}

/** The header paths redacted from every log line. */
const REDACTED = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
];

/**
 * fastify's `logger` option: `false` turns logging off; otherwise pino at the configured level with the key
 * headers redacted.
 *
 * @example
 * Fastify({ logger: loggerOptions(config, deps.logger), disableRequestLogging: true });
 */
export function loggerOptions(
  settings: { readonly logLevel: string },
  option: boolean | ServingLogOptions | undefined,
): false | Record<string, unknown> {
  if (option === false) return false;
  const given = typeof option === 'object' ? option : {};
  const configured = given.level ?? settings.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(configured)) {
    throw new StartRefusedError(
      'OXBOW_BAD_SETTING',
      `logLevel (OXBOW_LOG_LEVEL) is "${configured}": expected one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  // Tests answer thousands of requests: only warnings and errors, unless a level was asked for.
  const level =
    given.level === undefined && configured === 'info' && process.env.VITEST !== undefined
      ? 'warn'
      : configured;
  return {
    level,
    redact: { paths: REDACTED, censor: '[redacted]' },
    ...(given.stream === undefined ? {} : { stream: given.stream }),
  };
}

/**
 * fastify's `logController`: its own `info` lines per request ("incoming request", "request completed") are off;
 * {@link logAnsweredRequests} logs one line per request at `debug` instead.
 */
export function quietRequestLogs(): LogController {
  return new LogController({ disableRequestLogging: true });
}

/** Logs one `debug` line per answered request: method, route, status and time. */
export function logAnsweredRequests(app: FastifyInstance): void {
  // The level is fixed at start: no per-request cost when debug lines are off.
  if (app.log.level !== 'debug' && app.log.level !== 'trace') return;
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request answered',
    );
    done();
  });
}
