/**
 * The dashboard: its built page at `GET /` (with its assets; only when `apps/dashboard/dist` exists) and the two
 * read routes it needs beyond the views: `GET /v1/speed/status` (the speed layer's lag, throughput counters and
 * dead letters) and `GET /v1/batch/manifests` (the last published batch runs with their durations).
 */
import type { FileSystem, RedisClient } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import type { FastifyInstance } from 'fastify';
import type { BatchViewStore } from '../batch-store.ts';
import { DEFAULT_DASHBOARD_DIR, readDashboardFiles } from '../dashboard-files.ts';
import { ServingError } from '../errors.ts';
import { ManifestHistory, publishedRunOf } from '../manifest-history.ts';
import { speedOverviewOf } from '../speed-overview.ts';
import { errorSchema } from './schemas.ts';

/** What the dashboard routes need. */
export interface DashboardRoutesOptions {
  readonly batch: BatchViewStore;
  readonly lake: FileSystem;
  readonly redis: RedisClient;
  readonly redisPrefix: string;
  /** True for the Redis Cluster key layout (`RedisLayout`'s `cluster` option); default false. */
  readonly cluster?: boolean;
  /** The built bundle (default: the workspace's `apps/dashboard/dist`). */
  readonly dashboardDir?: string;
}

/** The page's policy: only its own scripts and the API; uPlot sets inline styles. */
const PAGE_SECURITY_POLICY =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

const runSchema = {
  type: 'object',
  properties: {
    runId: { type: 'string' },
    watermarkEpoch: { type: 'integer' },
    epochMs: { type: 'integer' },
    watermarkThrough: { type: 'string' },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    durationMs: { type: 'number' },
    durationsMs: {
      type: 'object',
      properties: { read: { type: 'number' }, compute: { type: 'number' }, write: { type: 'number' } },
    },
    views: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          rows: { type: 'integer' },
          computeMs: { type: ['number', 'null'] },
        },
      },
    },
  },
} as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const speedSchema = {
  type: 'object',
  properties: {
    reported: { type: 'boolean' },
    state: nullableString,
    lagMs: nullableNumber,
    lagRecords: nullableNumber,
    realtimeThrough: nullableString,
    lastBatchTime: nullableString,
    lastBatchMs: nullableNumber,
    batches: nullableNumber,
    records: nullableNumber,
    refusedBatches: nullableNumber,
    rebuilding: { type: 'boolean' },
    watermarkEpoch: nullableNumber,
    deadLettered: { type: 'number' },
    topics: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          topic: { type: 'string' },
          records: { type: 'number' },
          deadLettered: { type: 'number' },
        },
      },
    },
    recentDeadLetters: {
      type: 'array',
      description: 'The last records the speed process dead-lettered (at most 20), newest first',
      items: {
        type: 'object',
        properties: {
          topic: { type: 'string' },
          partition: { type: 'integer' },
          offset: { type: 'string', description: 'Exact int64 offset, as a decimal string' },
          reason: { type: 'string', description: "The dead letter's oxbow-error header (≤ 300 characters)" },
          at: { type: 'string', description: 'When it was dead-lettered, ISO-8601' },
        },
      },
    },
    lastError: nullableString,
    updatedAt: nullableString,
  },
} as const;

/** Registers the dashboard's page (when built) and its read routes on `app`. */
export function registerDashboardRoutes(app: FastifyInstance, options: DashboardRoutesOptions): void {
  const history = new ManifestHistory(options.lake);
  const statusKey = new RedisLayout(options.redisPrefix, { cluster: options.cluster === true }).status();

  app.get(
    '/v1/speed/status',
    {
      config: { scope: 'read' },
      schema: {
        summary: "The speed layer's state, lag, records and dead letters per Kafka topic",
        tags: ['dashboard'],
        response: { 200: speedSchema, 401: errorSchema, 403: errorSchema, 503: errorSchema },
      },
    },
    async (_request, reply) => {
      let status: Record<string, string>;
      try {
        status = await options.redis.hgetall(statusKey);
      } catch (error) {
        throw new ServingError('OXBOW_UNAVAILABLE', `cannot read the speed status: ${String(error)}`, {
          cause: error,
        });
      }
      reply.header('cache-control', 'no-cache');
      return speedOverviewOf(status);
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/batch/manifests',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The manifest served now and the last published batch runs (newest first)',
        tags: ['dashboard'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              current: { anyOf: [runSchema, { type: 'null' }] },
              runs: { type: 'array', items: runSchema },
            },
          },
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const manifest = options.batch.manifest;
      let runs: Awaited<ReturnType<ManifestHistory['newest']>>;
      try {
        runs = await history.newest(request.query.limit ?? 10, manifest?.runId);
      } catch (error) {
        throw new ServingError('OXBOW_UNAVAILABLE', `cannot list the manifest history: ${String(error)}`, {
          cause: error,
        });
      }
      reply.header('cache-control', 'no-cache');
      return { current: manifest ? publishedRunOf(manifest) : null, runs };
    },
  );

  const files = readDashboardFiles(options.dashboardDir ?? DEFAULT_DASHBOARD_DIR);
  for (const file of files ?? []) {
    app.get(file.url, { schema: { hide: true } }, async (_request, reply) => {
      reply
        .type(file.contentType)
        .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (file.url === '/') reply.header('content-security-policy', PAGE_SECURITY_POLICY);
      return file.body;
    });
  }
}
