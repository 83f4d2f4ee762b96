/**
 * The ingest gateway's HTTP API: `POST /v1/ingest/:topic` takes JSON lines or a JSON array (or one object), checks
 * every record with the topic's schema, produces the valid ones to Kafka keyed by the schema's `messageKey`, and
 * answers once Kafka acknowledged them — with the counts and, for each refused record, its index and reasons.
 * API keys (scope `ingest` or `admin`), an in-flight budget answered with 429, body limits, /metrics, /healthz,
 * /readyz.
 */
import rateLimit from '@fastify/rate-limit';
import type { OxbowConfig } from '@oxbow/config';
import { PROMETHEUS_CONTENT_TYPE } from '@oxbow/connectors';
import { OxbowError } from '@oxbow/contracts';
import { type ApiKeys, authorize, parseApiKeys, presentedKey, type Scope } from '@oxbow/http-auth';
import { type AnyEvent, loadProject, type Project, resolveProjectPath, type Schema } from '@oxbow/views';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Kafka, type KafkaConfig, logLevel, type ProducerConfig } from 'kafkajs';
import { InFlightBudget, type Reservation } from './budget.ts';
import { httpStatusOf, IngestError } from './errors.ts';
import { KafkaWriter } from './kafka-writer.ts';
import { IngestMetrics } from './metrics.ts';
import { type BodyFormat, checkBody, JSON_LINES_TYPES, type RejectedRecord } from './records.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API key scope a route needs; routes without one are open. */
    scope?: Scope;
  }
}

/** The settings the gateway reads. */
export type IngestConfig = Pick<
  OxbowConfig,
  | 'project'
  | 'kafkaBrokers'
  | 'apiKeys'
  | 'apiAllowOpen'
  | 'ingestHost'
  | 'ingestPort'
  | 'ingestMaxBodyBytes'
  | 'ingestMaxRecordBytes'
  | 'ingestMaxInFlightRecords'
  | 'ingestMaxInFlightBytes'
  | 'ingestAckTimeoutMs'
  | 'ingestRateLimit'
  | 'ingestSyslogHost'
  | 'ingestSyslogUdpPort'
  | 'ingestSyslogTcpPort'
  | 'ingestSyslogTopic'
  | 'ingestMqttUrl'
  | 'ingestMqttTopics'
  | 'ingestMqttClientId'
  | 'ingestSourceBatchMs'
>;

/** What the gateway is built on; everything not given is made from the configuration. */
export interface IngestDependencies {
  /** The project whose topics and schemas are served (default: the module `config.project` names). */
  readonly project?: Project;
  /** The Kafka client (default: one for `config.kafkaBrokers`); the gateway makes its producer from it. */
  readonly kafka?: Kafka;
  /** Producer retries (tests shorten them). */
  readonly producerRetry?: ProducerConfig['retry'];
  /** Lines for the operator (Kafka warnings, failed writes); default: none. */
  readonly log?: (line: string) => void;
  /** fastify's logger (default off). */
  readonly logger?: boolean;
}

/** A built, not yet listening, gateway. */
export interface IngestServer {
  readonly app: FastifyInstance;
  readonly project: Project;
  readonly writer: KafkaWriter;
  readonly budget: InFlightBudget;
  readonly metrics: IngestMetrics;
  /** Stops taking requests, lets those in flight finish (their Kafka writes included), disconnects. */
  close(): Promise<void>;
}

/** The answer to an ingest request Kafka acknowledged (200), or whose every record was refused (422). */
export interface IngestAnswer {
  readonly topic: string;
  /** Records produced and acknowledged by Kafka. */
  readonly accepted: number;
  /** Records refused (not produced). */
  readonly rejected: number;
  /** The refused records with their reasons, at most {@link MAX_LISTED_REJECTIONS} of them. */
  readonly errors: readonly RejectedRecord[];
  /** Present (true) when more records were refused than are listed. */
  readonly errorsTruncated?: true;
}

/** Refused records listed in an answer at most (all are counted). */
export const MAX_LISTED_REJECTIONS = 1000;

/** How long a client is told to wait after a 429 of the in-flight budget. */
const BUSY_RETRY_AFTER_S = 1;

function reasonPhrase(status: number): string {
  const phrases: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Content',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  return phrases[status] ?? 'Error';
}

/** The body format of a content type, or `undefined` for one the gateway does not read. */
export function bodyFormatOf(contentType: string | undefined): BodyFormat | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type !== undefined && (JSON_LINES_TYPES as readonly string[]).includes(type)) return 'ndjson';
  return undefined;
}

/** A kafkajs client for `brokers` whose warnings and errors go to `log`. */
export function createKafka(
  brokers: readonly string[],
  log: (line: string) => void,
  extra: Partial<KafkaConfig> = {},
): Kafka {
  return new Kafka({
    clientId: 'oxbow-ingest',
    brokers: [...brokers],
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, log: entry }) =>
        log(`ingest: kafka ${namespace}: ${entry.message}`),
    ...extra,
  });
}

function rejectWithin<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Builds the gateway for the project (`deps.project`, else the module `config.project` names) and connects its
 * Kafka producer; call `app.listen` (or use `startIngest`) to serve.
 *
 * @example
 * const server = await buildIngestServer(config);
 * const answer = await server.app.inject({
 *   method: 'POST', url: '/v1/ingest/http_logs',
 *   headers: { 'content-type': 'application/x-ndjson' }, payload: lines,
 * });
 * await server.close();
 */
export async function buildIngestServer(
  config: IngestConfig,
  deps: IngestDependencies = {},
): Promise<IngestServer> {
  const log = deps.log ?? (() => {});
  const apiKeys: ApiKeys = parseApiKeys(config.apiKeys);
  const project = deps.project ?? (await loadProject(resolveProjectPath(config.project)));
  const metrics = new IngestMetrics();
  const budget = new InFlightBudget({
    maxRecords: config.ingestMaxInFlightRecords,
    maxBytes: config.ingestMaxInFlightBytes,
  });
  // A body the budget could never hold is refused as too large, not as busy.
  const bodyLimit = Math.min(config.ingestMaxBodyBytes, config.ingestMaxInFlightBytes);
  const writer = new KafkaWriter(deps.kafka ?? createKafka(config.kafkaBrokers, log), {
    maxRequestBytes: config.ingestMaxRecordBytes,
    ...(deps.producerRetry ? { producer: { retry: deps.producerRetry } } : {}),
    onSendError: (topic, error, records) => {
      metrics.add('oxbow_ingest_records_failed_total', { topic }, records);
      log(`ingest: a produce request of ${records} records to ${topic} failed: ${String(error)}`);
    },
  });

  metrics.watchInFlight({ records: () => budget.inFlightRecords, bytes: () => budget.inFlightBytes });

  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', ...JSON_LINES_TYPES],
    { parseAs: 'buffer', bodyLimit },
    (_request, body, done) => done(null, body),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status: number;
    let code: string;
    let retryAfterS: number | undefined;
    if (OxbowError.is(error)) {
      status = httpStatusOf(error);
      code = error.code;
      retryAfterS = error instanceof IngestError ? error.retryAfterS : undefined;
      if (status >= 500 && status !== 503) request.log.error({ err: error }, 'request failed');
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      code =
        status === 429
          ? 'OXBOW_RATE_LIMITED'
          : status === 413
            ? 'OXBOW_PAYLOAD_TOO_LARGE'
            : status === 415
              ? 'OXBOW_UNSUPPORTED_MEDIA_TYPE'
              : 'OXBOW_BAD_REQUEST';
    } else {
      request.log.error({ err: error }, 'request failed');
      status = 500;
      code = 'OXBOW_INTERNAL';
    }
    if (retryAfterS !== undefined) reply.header('retry-after', String(retryAfterS));
    else if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    const message =
      status === 415
        ? `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json (an array of records or one record) or application/x-ndjson (JSON lines)`
        : status === 500
          ? 'internal error (see the server log)'
          : error.message;
    reply.code(status).send({ statusCode: status, error: reasonPhrase(status), code, message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      code: 'OXBOW_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  if (config.ingestRateLimit > 0) {
    await app.register(rateLimit, {
      global: false,
      keyGenerator: (request) => {
        const key = presentedKey(request.headers);
        return key !== undefined && apiKeys.has(key) ? `key:${key}` : `ip:${request.ip}`;
      },
    });
  }

  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (scope) authorize(apiKeys, presentedKey(request.headers), scope);
  });

  const topics = project.topics;
  /** The budget share of each ingest request, until its records are handed to the writer. */
  const shares = new WeakMap<FastifyRequest, Reservation>();
  const handedOff = new WeakSet<Reservation>();
  const releaseUnlessHandedOff = (request: FastifyRequest) => {
    const share = shares.get(request);
    if (share && !handedOff.has(share)) share.release();
  };

  const schemaOf = (topic: string): Schema<AnyEvent> => {
    const schema = topics.get(topic);
    if (!schema) {
      throw new IngestError(
        'OXBOW_NOT_FOUND',
        `unknown topic "${topic}" (topics: ${[...topics.keys()].join(', ') || 'none'})`,
      );
    }
    return schema;
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (!writer.ready) {
      reply.header('retry-after', '1');
      return reply.code(503).send({ status: 'unavailable', kafka: 'disconnected' });
    }
    return { status: 'ready', inFlightRecords: budget.inFlightRecords, inFlightBytes: budget.inFlightBytes };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render());
  });
  app.get('/v1/topics', { config: { scope: 'ingest' } }, async () => ({
    topics: [...topics].map(([topic, schema]) => ({
      topic,
      schema: schema.name,
      messageKey: schema.messageKey ?? null,
      eventTime: schema.eventTime,
      jsonSchema: schema.jsonSchema(),
    })),
  }));

  app.post<{ Params: { topic: string } }>(
    '/v1/ingest/:topic',
    {
      bodyLimit,
      config: {
        scope: 'ingest',
        ...(config.ingestRateLimit > 0
          ? { rateLimit: { max: config.ingestRateLimit, timeWindow: 60_000 } }
          : {}),
      },
      onRequest: async (request) => {
        const topic = request.params.topic;
        schemaOf(topic);
        await writer.requireTopic(topic);
        const declared = Number(request.headers['content-length']);
        const known = Number.isSafeInteger(declared) && declared >= 0;
        if (known && declared > bodyLimit) {
          throw new IngestError(
            'OXBOW_PAYLOAD_TOO_LARGE',
            `the body is ${declared} bytes; at most ${bodyLimit} are accepted per request`,
          );
        }
        const share = budget.tryReserve(0, known ? declared : bodyLimit);
        if (!share) throw busy();
        shares.set(request, share);
      },
      onResponse: async (request) => releaseUnlessHandedOff(request),
      onRequestAbort: async (request) => releaseUnlessHandedOff(request),
    },
    async (request, reply) => {
      reply.raw.once('close', () => releaseUnlessHandedOff(request));
      const topic = request.params.topic;
      const schema = schemaOf(topic);
      const format = bodyFormatOf(request.headers['content-type']) ?? 'json';
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new IngestError('OXBOW_BAD_REQUEST', 'the request has no body');
      const checked = checkBody(schema, body, format, {
        maxRecordBytes: config.ingestMaxRecordBytes,
        now: Date.now(),
      });
      // The body is no longer needed: what is held from now on is the messages.
      request.body = undefined;
      const { messages, rejected } = checked;
      const share = shares.get(request);
      if (messages.length > budget.limits.maxRecords) {
        throw new IngestError(
          'OXBOW_PAYLOAD_TOO_LARGE',
          `the body holds ${messages.length} valid records; at most ${budget.limits.maxRecords} are accepted per request`,
        );
      }
      const bytes = messages.reduce((sum, message) => sum + message.bytes, 0);
      if (!share?.resize(messages.length, bytes)) throw busy();
      metrics.add('oxbow_ingest_records_rejected_total', { source: 'http', topic }, rejected.length);
      if (messages.length > 0) {
        handedOff.add(share);
        const written = writer.write(topic, messages).finally(() => share.release());
        written.catch(() => undefined);
        await rejectWithin(
          written,
          config.ingestAckTimeoutMs,
          () =>
            new IngestError(
              'OXBOW_INGEST_ACK_TIMEOUT',
              `Kafka did not acknowledge the records within ${config.ingestAckTimeoutMs} ms; they may still be written (a retry may duplicate them)`,
              { retryAfterS: 1 },
            ),
        );
        metrics.add('oxbow_ingest_records_accepted_total', { source: 'http', topic }, messages.length);
      }
      const answer: IngestAnswer = {
        topic,
        accepted: messages.length,
        rejected: rejected.length,
        errors: rejected.slice(0, MAX_LISTED_REJECTIONS),
        ...(rejected.length > MAX_LISTED_REJECTIONS ? { errorsTruncated: true as const } : {}),
      };
      return reply.code(messages.length === 0 ? 422 : 200).send(answer);
    },
  );

  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/v1/ingest/:topic') {
      const named = (request.params as { topic?: string }).topic ?? '';
      // Only the project's topics become label values: clients cannot grow the series.
      const topic = topics.has(named) ? named : '(unknown)';
      metrics.add('oxbow_ingest_requests_total', { topic, status: reply.statusCode });
    }
  });

  let httpClosed = false;
  let httpClosing = false;
  app.addHook('preClose', async () => {
    httpClosing = true;
  });
  // Answers given while closing end their connection, so close() does not wait for keep-alive timeouts.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (httpClosing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onClose', async () => {
    httpClosed = true;
  });
  try {
    await writer.connect();
    await app.ready();
  } catch (error) {
    await app.close();
    await writer.close(0);
    throw error;
  }

  let closed = false;
  return {
    app,
    project,
    writer,
    budget,
    metrics,
    close: async () => {
      if (closed) return;
      closed = true;
      if (!httpClosed) await app.close();
      await writer.close(config.ingestAckTimeoutMs);
    },
  };
}

function busy(): IngestError {
  return new IngestError(
    'OXBOW_INGEST_BUSY',
    'the gateway holds as many records as it may until Kafka acknowledges them; retry shortly',
    { retryAfterS: BUSY_RETRY_AFTER_S },
  );
}
