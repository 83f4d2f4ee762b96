/**
 * The query routes: `GET /v1/views`, `GET /v1/views/:view`, `GET /v1/views/:view/top`, `GET /v1/live/:view`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ServingError } from '../errors.ts';
import type { RealtimeStore } from '../realtime-store.ts';
import { parseTimeRange } from '../time-range.ts';
import { lookupView, rankableFields, type ViewQueries } from '../view-query.ts';
import {
  errorSchema,
  freshnessSchema,
  LIVE_VIEWS,
  queryErrors,
  rangeQuerystring,
  valueSchema,
  viewParams,
} from './schemas.ts';

/** What the query routes need. */
export interface ViewRoutesOptions {
  readonly queries: ViewQueries;
  readonly realtime: RealtimeStore;
  readonly maxRangeMs: number;
  /** Longest a query may take before it answers 503. */
  readonly queryTimeoutMs: number;
  /** `max-age` of answers with no realtime part (until the next manifest poll could change them). */
  readonly batchOnlyMaxAgeS: number;
  /** `private` when API keys are required, `public` otherwise. */
  readonly cacheVisibility: 'public' | 'private';
}

/** Races `work` against the query time limit. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ServingError('OXBOW_TIMEOUT', `${what} took longer than the ${ms} ms limit`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Registers the query routes on `app`. */
export function registerViewRoutes(app: FastifyInstance, options: ViewRoutesOptions): void {
  const { queries, realtime } = options;
  const cacheFor = (reply: FastifyReply, realtimeEpochs: number) => {
    const maxAge = realtimeEpochs > 0 ? 1 : options.batchOnlyMaxAgeS;
    reply.header('cache-control', `${options.cacheVisibility}, max-age=${maxAge}, must-revalidate`);
  };

  app.get(
    '/v1/views',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: 'The views with their description, aggregate fields, bucket size and merge state',
        tags: ['views'],
        response: {
          200: {
            type: 'object',
            properties: {
              views: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    description: { type: 'string' },
                    topic: { type: 'string' },
                    bucketMs: { type: 'integer' },
                    fields: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          name: { type: 'string' },
                          kind: { type: 'string' },
                          description: { type: 'string' },
                        },
                      },
                    },
                    rankBy: { type: 'array', items: { type: 'string' } },
                    merge: {
                      type: 'object',
                      properties: {
                        ...freshnessSchema.properties,
                        batchRows: { type: ['integer', 'null'] },
                        realtimeEpochs: { type: 'array', items: { type: 'integer' } },
                      },
                    },
                  },
                },
              },
            },
          },
          401: errorSchema,
          403: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (_request, reply) => {
      const states = await withTimeout(queries.mergeState(), options.queryTimeoutMs, 'listing the views');
      cacheFor(reply, Math.max(0, ...states.map((state) => state.realtimeEpochs.length)));
      return {
        views: states.map(({ view, batchRows, realtimeEpochs, freshness }) => ({
          name: view.name,
          description: view.description,
          topic: view.topic,
          bucketMs: view.bucketMs,
          fields: view.fields,
          rankBy: rankableFields(view),
          merge: { ...freshness, batchRows, realtimeEpochs },
        })),
      };
    },
  );

  app.get<{ Params: { view: string }; Querystring: { key: string; from?: string; to?: string } }>(
    '/v1/views/:view',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: 'One key of a view: batch ⊕ realtime per bucket, and their total',
        tags: ['views'],
        params: viewParams,
        querystring: {
          type: 'object',
          required: ['key'],
          properties: {
            key: { type: 'string', minLength: 1, maxLength: 512, description: 'The view key, e.g. a path' },
            ...rangeQuerystring,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              view: { type: 'string' },
              key: { type: 'string' },
              from: { type: ['string', 'null'] },
              to: { type: ['string', 'null'] },
              buckets: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    bucket: { type: 'string', description: 'bucket start (ISO-8601)' },
                    value: valueSchema,
                  },
                },
              },
              total: valueSchema,
              freshness: freshnessSchema,
            },
          },
          ...queryErrors,
        },
      },
    },
    async (request, reply) => {
      lookupView(request.params.view);
      const range = parseTimeRange(request.query.from, request.query.to, options.maxRangeMs);
      const answer = await withTimeout(
        queries.answer(request.params.view, request.query.key, range),
        options.queryTimeoutMs,
        'the query',
      );
      cacheFor(reply, answer.realtimeEpochs);
      const { realtimeEpochs: _, ...body } = answer;
      return body;
    },
  );

  app.get<{
    Params: { view: string };
    Querystring: { by: string; limit: number; from?: string; to?: string };
  }>(
    '/v1/views/:view/top',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: 'The keys of a view ranked by one field over a range',
        tags: ['views'],
        params: viewParams,
        querystring: {
          type: 'object',
          required: ['by'],
          properties: {
            by: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              description: 'A field of the view (quantile fields as latencyMs.p50|p95|p99)',
            },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
            ...rangeQuerystring,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              view: { type: 'string' },
              by: { type: 'string' },
              from: { type: ['string', 'null'] },
              to: { type: ['string', 'null'] },
              limit: { type: 'integer' },
              keys: {
                type: 'array',
                items: { type: 'object', properties: { key: { type: 'string' }, value: valueSchema } },
              },
              freshness: freshnessSchema,
            },
          },
          ...queryErrors,
        },
      },
    },
    async (request, reply) => {
      lookupView(request.params.view);
      const range = parseTimeRange(request.query.from, request.query.to, options.maxRangeMs);
      const answer = await withTimeout(
        queries.top(request.params.view, request.query.by, request.query.limit, range),
        options.queryTimeoutMs,
        'the ranking',
      );
      cacheFor(reply, answer.realtimeEpochs);
      const { realtimeEpochs: _, ...body } = answer;
      return body;
    },
  );

  app.get<{ Params: { view: string } }>(
    '/v1/live/:view',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: `A speed-only view's latest value (${LIVE_VIEWS.join(', ')})`,
        tags: ['live'],
        params: viewParams,
        response: {
          200: {
            type: 'object',
            properties: {
              view: { type: 'string' },
              value: { description: 'The JSON the speed layer stored; null before its first write' },
            },
          },
          ...queryErrors,
        },
      },
    },
    async (request, reply) => {
      const { view } = request.params;
      if (!(LIVE_VIEWS as readonly string[]).includes(view)) {
        throw new ServingError(
          'OXBOW_NOT_FOUND',
          `unknown live view "${view}" (live views: ${LIVE_VIEWS.join(', ')})`,
        );
      }
      const value = await withTimeout(realtime.live(view), options.queryTimeoutMs, 'reading the live view');
      reply.header('cache-control', 'no-cache');
      return { view, value: value ?? null };
    },
  );
}
