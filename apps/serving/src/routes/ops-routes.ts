/**
 * Operations routes: `GET /healthz`, `GET /readyz`, `GET /metrics`, and the admin routes `POST /v1/batch/runs`,
 * `GET /v1/batch/runs/:id`. Swagger UI (`/docs`) and the OpenAPI document (`/docs/json`) are registered by the
 * server with `@fastify/swagger-ui`.
 */
import { PROMETHEUS_CONTENT_TYPE } from '@oxbow/connectors';
import type { FastifyInstance } from 'fastify';
import type { BatchRuns } from '../batch-runs.ts';
import type { BatchViewStore } from '../batch-store.ts';
import type { ServingMetrics } from '../metrics.ts';
import type { RealtimeStore } from '../realtime-store.ts';
import { errorSchema } from './schemas.ts';

/** What the operations routes need. */
export interface OpsRoutesOptions {
  readonly batch: BatchViewStore;
  readonly realtime: RealtimeStore;
  readonly metrics: ServingMetrics;
  readonly runs: BatchRuns;
}

const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['running', 'succeeded', 'failed'] },
    startedAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'] },
    result: {},
    error: { type: ['string', 'null'] },
  },
} as const;

const check = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    message: { type: 'string' },
    runId: { type: 'string' },
    watermarkEpoch: { type: 'integer' },
  },
} as const;

const readinessSchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', properties: { batch: check, redis: check } },
  },
} as const;

/** Registers the operations and admin routes on `app`. */
export function registerOpsRoutes(app: FastifyInstance, options: OpsRoutesOptions): void {
  const open = { rateLimit: false } as const;

  app.get(
    '/healthz',
    {
      config: open,
      schema: {
        summary: 'The process is up',
        tags: ['operations'],
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    },
  );

  app.get(
    '/readyz',
    {
      config: open,
      schema: {
        summary: 'Ready: a batch DuckDB view is loaded and Redis answers',
        tags: ['operations'],
        response: {
          200: readinessSchema,
          503: readinessSchema,
        },
      },
    },
    async (_request, reply) => {
      const manifest = options.batch.manifest;
      const redis = await options.realtime.ping();
      const ready = manifest !== undefined && redis;
      reply.header('cache-control', 'no-store').code(ready ? 200 : 503);
      return {
        ready,
        checks: {
          batch: manifest
            ? { ok: true, runId: manifest.runId, watermarkEpoch: manifest.watermarkEpoch }
            : { ok: false, message: 'no batch manifest loaded yet' },
          redis: redis ? { ok: true } : { ok: false, message: 'Redis does not answer PING' },
        },
      };
    },
  );

  app.get(
    '/metrics',
    {
      config: open,
      schema: { summary: 'Prometheus metrics (text format)', tags: ['operations'], produces: ['text/plain'] },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store').type(PROMETHEUS_CONTENT_TYPE);
      return options.metrics.render();
    },
  );

  app.post(
    '/v1/batch/runs',
    {
      config: { scope: 'admin' },
      bodyLimit: 1024,
      schema: {
        summary: 'Trigger a batch run (admin)',
        tags: ['admin'],
        response: { 202: runSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema, 501: errorSchema },
      },
    },
    async (_request, reply) => {
      const run = options.runs.trigger();
      reply.code(202).header('location', `/v1/batch/runs/${run.id}`).header('cache-control', 'no-store');
      return run;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/batch/runs/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'A batch run triggered through this server (admin)',
        tags: ['admin'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
        response: { 200: runSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return options.runs.get(request.params.id);
    },
  );
}
