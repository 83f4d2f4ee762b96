/**
 * The serving API: builds the fastify app over the batch store (manifest + DuckDB, loaded into memory per
 * version) and the mirror of the realtime increments (Redis, refreshed per micro-batch), with validation, API
 * keys, rate limiting, ETags, metrics and the OpenAPI document.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { OxbowConfig } from '@oxbow/config';
import {
  createRedisClient,
  type FileSystem,
  isRedisCluster,
  openFileSystem,
  type RedisClient,
} from '@oxbow/connectors';
import { OxbowError } from '@oxbow/contracts';
import { bindTopics, loadProject, type Project, resolveProjectPath } from '@oxbow/views';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { type AdminKeyCreated, apiAccessOf } from './access.ts';
import { AnswerCache } from './answer-cache.ts';
import { type ApiKeys, authorize, presentedKey, type Scope } from './api-keys.ts';
import { BatchRuns, type TriggerBatchRun } from './batch-runs.ts';
import { BatchViewStore } from './batch-store.ts';
import { httpStatusOf, ServingError } from './errors.ts';
import { Gate } from './gate.ts';
import {
  answerClientError,
  answerFrameworkError,
  answerUnrouted,
  publicMessage,
  RouteMethods,
} from './http-errors.ts';
import { logAnsweredRequests, loggerOptions, quietRequestLogs, type ServingLogOptions } from './logging.ts';
import { ServingMetrics } from './metrics.ts';
import { ModelStore } from './model-store.ts';
import { RateCounter } from './rate-limit.ts';
import { RealtimeMirror } from './realtime-mirror.ts';
import { RealtimeStore } from './realtime-store.ts';
import { registerDashboardRoutes } from './routes/dashboard-routes.ts';
import { registerModelRoutes } from './routes/model-routes.ts';
import { registerOpsRoutes } from './routes/ops-routes.ts';
import { keyLimitsOf } from './routes/schemas.ts';
import { registerSqlRoutes } from './routes/sql-routes.ts';
import { registerViewRoutes } from './routes/view-routes.ts';
import { DEFAULT_ANSWER_CACHE_BYTES, type QueryHooks, ViewQueries } from './view-query.ts';
import { ViewRebuildingError } from './view-status.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The API key scope a route needs; routes without one are open. */
    scope?: Scope;
    /** Answers of the route carry an ETag and honour If-None-Match. */
    etag?: boolean;
    /** The `route` label of the route's metrics, when not its URL (each view's routes share one). */
    metricsRoute?: string;
    /**
     * The route is rate-limited by the server's synchronous hook (on the plugin's counters) instead of the
     * plugin's own hook; it sets `rateLimit: false` for the plugin.
     */
    leanRateLimit?: boolean;
  }
}

/** The settings the serving layer reads. */
export type ServingConfig = Pick<
  OxbowConfig,
  | 'lake'
  | 'redisUrl'
  | 'redisCluster'
  | 'redisPrefix'
  | 's3Endpoint'
  | 's3AccessKey'
  | 's3SecretKey'
  | 's3Region'
  | 'apiHost'
  | 'apiPort'
  | 'apiKeys'
  | 'apiMaxRangeDays'
  | 'apiRateLimit'
  | 'apiRequestTimeoutMs'
  | 'manifestPollMs'
  | 'servingCacheDir'
  | 'speedTopics'
  | 'archiverTopics'
  | 'project'
  | 'stateDir'
  | 'apiAllowOpen'
  | 'apiMaxConnections'
  | 'logLevel'
>;

/** What the server is built on; everything not given is created from the configuration. */
export interface ServingDependencies {
  /**
   * The project whose views and live views are served (default: the module of `config.project`, see
   * `resolveProjectPath` of `@oxbow/views`).
   */
  readonly project?: Project;
  /**
   * Redis client (not closed by the server when given): a cluster client when `config.redisCluster` is `yes`, a
   * standalone one otherwise.
   */
  readonly redis?: RedisClient;
  /** The lake (not closed by the server when given). */
  readonly lake?: FileSystem;
  /** Starts a batch run for `POST /v1/batch/runs` (without it that route answers 501). */
  readonly triggerBatchRun?: TriggerBatchRun;
  /** Test hooks inside a query. */
  readonly hooks?: QueryHooks;
  /**
   * The JSON log (pino): `false` turns it off; default on at the `logLevel` setting (see `logging.ts`); tests may
   * pass a level and a stream.
   */
  readonly logger?: boolean | ServingLogOptions;
  /** Called once when an admin key was generated (default: printed to stderr); see `access.ts`. */
  readonly onAdminKeyCreated?: AdminKeyCreated;
  /** Bytes of rendered answers kept in memory (default 128 MiB; 0: none). */
  readonly answerCacheBytes?: number;
  /** Rankings (`/top` cache misses) computed at once; more wait, up to 64, then 503 (default 2). */
  readonly rankingConcurrency?: number;
  /**
   * How long a request waits for the speed layer's announcement of offsets it found moved before the realtime
   * mirror reads every increment again (default 250 ms).
   */
  readonly announceWaitMs?: number;
}

/** A built, not yet listening, serving API. */
export interface ServingServer {
  readonly app: FastifyInstance;
  /** The project served. */
  readonly project: Project;
  readonly batch: BatchViewStore;
  readonly metrics: ServingMetrics;
  /** Closes the app, stops polling, closes the DuckDB file and the clients the server created. */
  close(): Promise<void>;
}

/** Request bodies are tiny (the admin trigger takes none). */
const BODY_LIMIT_BYTES = 16 * 1024;

/** Node's default limit of a request's head (request line and headers). */
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** The request head is never allowed more than this, however long a view's keys may be. */
const MAX_HEADER_BYTES_CAP = 1024 * 1024;

/**
 * The request head limit: Node's default plus room for the longest `?key=` any view accepts, percent-encoded
 * (at most 9 bytes per UTF-16 code unit: three UTF-8 bytes of three characters each), so every key the
 * pipeline accepts fits in a GET.
 */
function maxHeaderBytesFor(project: Project): number {
  const longestKey = Math.max(0, ...project.views.map((view) => keyLimitsOf(view).maxLength));
  return Math.min(MAX_HEADER_BYTES_CAP, DEFAULT_MAX_HEADER_BYTES + 9 * longestKey);
}

function reasonPhrase(status: number): string {
  const phrases: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    408: 'Request Timeout',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return phrases[status] ?? 'Error';
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string | undefined;
  params: Record<string, unknown>;
}

/** One line per schema failure, naming the parameter: "limit must be <= 1000", "from … is not ISO-8601". */
function describeSchemaErrors(errors: readonly SchemaError[], part: string): string {
  const lines = errors.map((error) => {
    const field = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    if (error.keyword === 'required')
      return `${part} parameter "${String(error.params.missingProperty)}" is required`;
    if (error.keyword === 'pattern') return `${field} is not an ISO-8601 time (e.g. 2026-11-24T13:00:00Z)`;
    return `${field || part} ${error.message ?? 'is invalid'}`;
  });
  return lines.join('; ');
}

/**
 * Builds the serving API for the project (`deps.project`, else the module `config.project` names): loads the
 * current manifest (when there is one), starts polling it and registers every route, with each view's own
 * routes typed by its definition. Call `app.listen` (or use {@link startServing}) to serve.
 *
 * @example
 * const server = await buildServer(config, { triggerBatchRun: () => runBatch(config, {}) });
 * const response = await server.app.inject('/v1/views/orders_by_store_hourly?key=amsterdam-01');
 * await server.close();
 */
export async function buildServer(
  config: ServingConfig,
  deps: ServingDependencies = {},
): Promise<ServingServer> {
  // Admin routes always need an admin key (generated when none is configured); the others only with keys set.
  const access = apiAccessOf(config, deps.onAdminKeyCreated);
  const apiKeys: ApiKeys = access.keys;
  const project = deps.project ?? (await loadProject(resolveProjectPath(config.project)));
  // The Kafka topics the speed layer reads for each project topic (its offsets hashes are named after them).
  const kafkaTopics: Record<string, string[]> = {};
  for (const binding of bindTopics(project, config.speedTopics)) {
    kafkaTopics[binding.topic] = [...(kafkaTopics[binding.topic] ?? []), binding.kafkaTopic];
  }
  // Redis Cluster (OXBOW_REDIS_CLUSTER=yes): the cluster client and the cluster key layout (RedisLayout of
  // @oxbow/contracts), where each Kafka partition's keys share a hash slot.
  const cluster = config.redisCluster === 'yes';
  if (deps.redis !== undefined && isRedisCluster(deps.redis) !== cluster) {
    throw new ServingError(
      'OXBOW_INTERNAL',
      `the Redis client given is ${isRedisCluster(deps.redis) ? 'a cluster client' : 'a standalone client'} but OXBOW_REDIS_CLUSTER is ${JSON.stringify(config.redisCluster)}`,
    );
  }
  const ownRedis = deps.redis === undefined;
  const redis =
    deps.redis ??
    createRedisClient({
      url: config.redisUrl,
      cluster,
      redisOptions: {
        lazyConnect: true,
        connectTimeout: 2000,
        commandTimeout: config.apiRequestTimeoutMs,
        maxRetriesPerRequest: 1,
      },
    });
  if (ownRedis) redis.on('error', () => {});
  const ownLake = deps.lake === undefined;
  const lake =
    deps.lake ??
    openFileSystem(config.lake, {
      s3: {
        endpoint: config.s3Endpoint,
        region: config.s3Region,
        accessKeyId: config.s3AccessKey,
        secretAccessKey: config.s3SecretKey,
      },
    });

  const metrics = new ServingMetrics();
  const app = Fastify({
    logger: loggerOptions(config, deps.logger),
    logController: quietRequestLogs(),
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    bodyLimit: BODY_LIMIT_BYTES,
    http: { maxHeaderSize: maxHeaderBytesFor(project) },
    requestTimeout: config.apiRequestTimeoutMs,
    connectionTimeout: config.apiRequestTimeoutMs,
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(describeSchemaErrors(errors as SchemaError[], dataVar)),
  });
  const routeMethods = new RouteMethods(app);
  logAnsweredRequests(app);
  const mirror = new RealtimeMirror({
    redis,
    prefix: config.redisPrefix,
    cluster,
    views: project.views
      .filter((view) => kafkaTopics[view.topic] !== undefined)
      .map((view) => ({ name: view.name, kafkaTopics: kafkaTopics[view.topic] ?? [] })),
    ...(deps.announceWaitMs === undefined ? {} : { announceWaitMs: deps.announceWaitMs }),
    onError: (error) => app.log.warn({ err: error }, 'realtime mirror: reading again at the next request'),
  });
  const batch = new BatchViewStore({
    lake,
    cacheDir: config.servingCacheDir,
    pollMs: config.manifestPollMs,
    views: project.views,
    onWatermark: (watermark) => mirror.prune(watermark),
    onError: (error) =>
      app.log.warn({ err: error }, 'batch manifest poll failed; keeping the current version'),
  });
  const realtime = new RealtimeStore(redis, config.redisPrefix, kafkaTopics, { cluster });
  const queries = new ViewQueries({
    project,
    batch,
    mirror,
    cache: new AnswerCache(deps.answerCacheBytes ?? DEFAULT_ANSWER_CACHE_BYTES),
    gate: new Gate(deps.rankingConcurrency ?? 2, 64),
    speedTopics: new Set(Object.keys(kafkaTopics)),
    // A rebuilt batch table shows up at a manifest poll at the earliest (at most a minute is suggested).
    rebuildingRetryAfterS: Math.min(60, Math.max(1, Math.ceil(config.manifestPollMs / 1000))),
    ...(deps.hooks === undefined ? {} : { hooks: deps.hooks }),
  });
  const runs = new BatchRuns(
    deps.triggerBatchRun,
    () => batch.refresh(),
    (id, error) => app.log.error({ err: error, batchRun: id }, 'batch run failed'),
  );

  const modelsOf = () => [...(batch.current?.models.values() ?? [])];
  metrics.watch({
    manifestSwitches: () => batch.stats.switches,
    manifestPollFailures: () => batch.stats.pollFailures,
    duckdbOpenFiles: () => batch.stats.openFiles,
    batchWatermarkEpoch: () => batch.manifest?.watermarkEpoch ?? -1,
    batchCells: () => modelsOf().reduce((sum, model) => sum + model.stats.cells, 0),
    batchModelBytes: () => modelsOf().reduce((sum, model) => sum + model.stats.bytes, 0),
    answerCacheHits: () => queries.cache.stats.hits,
    answerCacheMisses: () => queries.cache.stats.misses,
    answerCacheBytes: () => queries.cache.stats.bytes,
    realtimeProbes: () => mirror.stats.probes,
    realtimeAnnouncements: () => mirror.stats.announcements,
    realtimeRereads: () => mirror.stats.rereads,
    realtimeReloads: () => mirror.stats.reloads,
    rankingsRunning: () => queries.gate.running,
    rankingsWaiting: () => queries.gate.waiting,
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status: number;
    let code: string;
    if (OxbowError.is(error)) {
      status = httpStatusOf(error);
      code = error.code;
      // A store that is down (503) or a route without its runner (501) is a warning; anything else an error.
      if (status >= 500)
        request.log[status === 503 || status === 501 ? 'warn' : 'error']({ err: error }, 'request failed');
    } else if (error.validation) {
      status = 400;
      code = 'OXBOW_BAD_REQUEST';
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      code =
        status === 429
          ? 'OXBOW_RATE_LIMITED'
          : status === 413
            ? 'OXBOW_PAYLOAD_TOO_LARGE'
            : 'OXBOW_BAD_REQUEST';
    } else {
      request.log.error({ err: error }, 'request failed');
      status = 500;
      code = 'OXBOW_INTERNAL';
    }
    const rebuilding = error instanceof ViewRebuildingError;
    if (status === 503) reply.header('retry-after', rebuilding ? String(error.retryAfterS) : '1');
    reply.code(status).send({
      statusCode: status,
      error: reasonPhrase(status),
      code,
      message: publicMessage(error, status, request.id),
      ...(rebuilding ? { status: 'rebuilding' } : {}),
    });
  });
  app.setNotFoundHandler(answerUnrouted(routeMethods));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Oxbow serving API',
        version: '0.1.0',
        description: `batch(key, buckets) ⊕ realtime(epochs > E) for every view of the project, from DuckDB and Redis. Project: ${project.description || project.source}; views: ${project.views.map((view) => view.name).join(', ') || 'none'}.`,
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      ...(access.keysConfigured ? { security: [{ apiKey: [] }] } : {}),
    },
  });
  // Swagger UI at /docs over the generated document, which stays at /docs/json (and /docs/yaml).
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const rateKey = (headers: Record<string, string | string[] | undefined>, ip: string): string => {
    const key = presentedKey(headers);
    // The counters are named by a digest of the key: no key is held in memory in the clear.
    return key !== undefined && apiKeys.has(key)
      ? `key:${createHash('sha256').update(key).digest('base64url')}`
      : `ip:${ip}`;
  };
  const rateCounter = new RateCounter(config.apiRateLimit, 60_000);
  await app.register(rateLimit, {
    global: true,
    max: config.apiRateLimit,
    timeWindow: 60_000,
    store: rateCounter.pluginStore(),
    keyGenerator: (request) => rateKey(request.headers, request.ip),
  });

  // Callback-style hooks: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    const routeConfig = request.routeOptions.config;
    reply.header('x-content-type-options', 'nosniff');
    try {
      if (routeConfig.scope && (access.keysConfigured || routeConfig.scope === 'admin'))
        authorize(apiKeys, presentedKey(request.headers), routeConfig.scope);
      if (routeConfig.leanRateLimit) {
        rateCounter.check(rateKey(request.headers, request.ip), (name, value) => reply.header(name, value));
      }
      done();
    } catch (error) {
      done(error as FastifyError);
    }
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    // Query answers come with their ETag (and their 304) from the handler.
    if (
      !request.routeOptions.config.etag ||
      reply.statusCode !== 200 ||
      typeof payload !== 'string' ||
      reply.hasHeader('etag')
    ) {
      done(null, payload);
      return;
    }
    const etag = `"${createHash('sha1').update(payload).digest('base64url')}"`;
    reply.header('etag', etag);
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      reply.code(304);
      done(null, '');
      return;
    }
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.config.metricsRoute ?? request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  registerViewRoutes(app, {
    queries,
    realtime,
    apiKeys,
    maxRangeMs: config.apiMaxRangeDays * 86_400_000,
    queryTimeoutMs: config.apiRequestTimeoutMs,
    batchOnlyMaxAgeS: Math.max(1, Math.floor(config.manifestPollMs / 1000)),
    cacheVisibility: access.keysConfigured ? 'private' : 'public',
  });
  registerOpsRoutes(app, { batch, realtime, metrics, runs });
  registerDashboardRoutes(app, { batch, lake, redis, redisPrefix: config.redisPrefix, cluster });
  registerSqlRoutes(app, { config, project, bindings: bindTopics(project, config.archiverTopics) });
  registerModelRoutes(
    app,
    new ModelStore({
      models: project.models,
      lake,
      redis,
      prefix: config.redisPrefix,
      cluster,
      manifest: () => batch.manifest,
    }),
  );

  await mirror.start();
  await batch.start();
  await app.ready();

  let closed = false;
  return {
    app,
    project,
    batch,
    metrics,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      mirror.close();
      await batch.close();
      if (ownRedis) redis.disconnect();
      if (ownLake) await lake.close();
    },
  };
}
