/**
 * The query routes: `GET /v1/views`, and for every view of the project `GET /v1/views/<view>` and
 * `GET /v1/views/<view>/top` (typed by the view's definition in the OpenAPI document), `GET /v1/live/:view`.
 * The generic `GET /v1/views/:view[/top]` answer any other name with a 404 naming the views.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ApiKeys, authorize, presentedKey } from '../api-keys.ts';
import { ServingError } from '../errors.ts';
import { withTimeLimit, withWaitLimit } from '../gate.ts';
import type { RealtimeStore } from '../realtime-store.ts';
import { parseTimeRange } from '../time-range.ts';
import { type AnswerBytes, type AnyView, rankableFields, type ViewQueries } from '../view-query.ts';
import {
  accuracySchema,
  anyValueSchema,
  freshnessSchema,
  keyLimitsOf,
  queryErrors,
  rangeQuerystring,
  rawQuerystring,
  valueSchemaOf,
  viewParams,
} from './schemas.ts';

/** What the query routes need. */
export interface ViewRoutesOptions {
  readonly queries: ViewQueries;
  readonly realtime: RealtimeStore;
  /** The API keys, always with an admin key (personal live views need one). */
  readonly apiKeys: ApiKeys;
  readonly maxRangeMs: number;
  /** Longest a query may take before it answers 503. */
  readonly queryTimeoutMs: number;
  /** `max-age` of answers with no realtime part (until the next manifest poll could change them). */
  readonly batchOnlyMaxAgeS: number;
  /** `private` when API keys are required, `public` otherwise. */
  readonly cacheVisibility: 'public' | 'private';
}

/** Races `work` against the query time limit. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return withWaitLimit(work, ms, what);
}

/** True when an `If-None-Match` header names `etag` (weak comparison, as for GET). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch === etag || ifNoneMatch === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
}

/** The query string of `GET /v1/views/<view>`. */
interface AnswerQuery {
  key: string;
  from?: string;
  to?: string;
  raw?: boolean;
}

/** The query string of `GET /v1/views/<view>/top`. */
interface TopQuery {
  by: string;
  limit: number;
  from?: string;
  to?: string;
  raw?: boolean;
}

/** The most keys `/top` answers with. */
const MAX_TOP_LIMIT = 1000;

/** The metrics label of the per-view routes: one per route shape, not per view. */
const ANSWER_ROUTE = '/v1/views/:view';
const TOP_ROUTE = '/v1/views/:view/top';

function answerSchema(value: Record<string, unknown>) {
  return {
    type: 'object',
    description: "OK: the key's buckets and their total (batch ⊕ realtime), with their ETag",
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
            value,
          },
        },
      },
      total: { ...value, description: 'The states of all buckets merged, then presented' },
      accuracy: accuracySchema,
      freshness: freshnessSchema,
    },
  };
}

function topSchema(value: Record<string, unknown>) {
  return {
    type: 'object',
    description: 'OK: the top keys by the field over the range, with their ETag',
    properties: {
      view: { type: 'string' },
      by: { type: 'string' },
      from: { type: ['string', 'null'] },
      to: { type: ['string', 'null'] },
      limit: { type: 'integer' },
      keys: {
        type: 'array',
        items: { type: 'object', properties: { key: { type: 'string' }, value } },
      },
      accuracy: accuracySchema,
      freshness: freshnessSchema,
    },
  };
}

function keyQuerystring(minLength: number, maxLength: number, description: string) {
  return {
    type: 'object',
    required: ['key'],
    properties: {
      key: { type: 'string', minLength, maxLength, description },
      ...rangeQuerystring,
      raw: rawQuerystring,
    },
  };
}

function topQuerystring(description: string) {
  return {
    type: 'object',
    required: ['by'],
    properties: {
      by: { type: 'string', minLength: 1, maxLength: 200, description },
      limit: { type: 'integer', minimum: 1, maximum: MAX_TOP_LIMIT, default: 10 },
      ...rangeQuerystring,
      raw: rawQuerystring,
    },
  };
}

function keyDescription(view: AnyView): string {
  const { maxLength } = keyLimitsOf(view);
  return view.keyField === undefined
    ? `The view key (computed from the event; at most ${maxLength} characters)`
    : `The view key: the event's ${view.keyField} (at most ${maxLength} characters)`;
}

/** Registers the query routes on `app`. */
export function registerViewRoutes(app: FastifyInstance, options: ViewRoutesOptions): void {
  const { queries, realtime } = options;
  const project = queries.project;
  const cacheFor = (reply: FastifyReply, realtimeEpochs: number) => {
    const maxAge = realtimeEpochs > 0 ? 1 : options.batchOnlyMaxAgeS;
    reply.header('cache-control', `${options.cacheVisibility}, max-age=${maxAge}, must-revalidate`);
  };

  const send = (request: FastifyRequest, reply: FastifyReply, result: AnswerBytes) => {
    cacheFor(reply, result.realtimeEpochs);
    reply.header('etag', result.etag);
    if (matches(request.headers['if-none-match'], result.etag)) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(result.body);
  };

  const answer = async (
    view: AnyView,
    request: FastifyRequest<{ Querystring: AnswerQuery }>,
    reply: FastifyReply,
  ) => {
    const query = request.query;
    const range = parseTimeRange(query.from, query.to, options.maxRangeMs);
    const raw = query.raw === true;
    const result = await withWaitLimit(
      queries.answerBytes(view.name, query.key, range, { raw }),
      options.queryTimeoutMs,
      'the query',
    );
    return send(request, reply, result);
  };

  const top = async (
    view: AnyView,
    request: FastifyRequest<{ Querystring: TopQuery }>,
    reply: FastifyReply,
  ) => {
    const query = request.query;
    // The schema's coercion lets non-finite numbers (Infinity, 1e400) past its bounds: checked here.
    if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > MAX_TOP_LIMIT) {
      throw new ServingError('OXBOW_BAD_REQUEST', `limit must be an integer from 1 to ${MAX_TOP_LIMIT}`);
    }
    const range = parseTimeRange(query.from, query.to, options.maxRangeMs);
    const raw = query.raw === true;
    const result = await withTimeLimit(
      (signal) => queries.topBytes(view.name, query.by, query.limit, range, { raw, signal }),
      options.queryTimeoutMs,
      'the ranking',
    );
    return send(request, reply, result);
  };

  app.get(
    '/v1/views',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: 'The views and live views of the project: definition, fields, status and merge state',
        tags: ['views'],
        response: {
          200: {
            type: 'object',
            description: 'OK: every view and live view of the project',
            properties: {
              views: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    description: { type: 'string' },
                    topic: { type: 'string', description: 'The project topic the view reads' },
                    bucketMs: { type: 'integer' },
                    key: {
                      type: 'string',
                      description: 'The schema field the view is keyed by, or "function" for a computed key',
                    },
                    keyMaxLength: {
                      type: 'integer',
                      description: 'The longest key the view can hold and `?key=` accepts',
                    },
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
                    fingerprint: {
                      type: 'string',
                      description: 'Hash of the definition; states of different fingerprints never merge',
                    },
                    status: {
                      type: 'string',
                      enum: ['ready', 'rebuilding'],
                      description:
                        'rebuilding: the view answers 503 until batch and speed layer hold its definition',
                    },
                    rebuilding: {
                      type: 'string',
                      description: 'Why the view is rebuilding (only then)',
                    },
                    merge: {
                      type: 'object',
                      properties: {
                        ...freshnessSchema.properties,
                        batchRows: { type: ['integer', 'null'] },
                        realtimeEpochs: { type: 'array', items: { type: 'integer' } },
                      },
                    },
                    reconciliation: {
                      type: 'object',
                      description:
                        'The speed layer’s last check of a new batch version against its increments of the epochs that version newly covers, before expiring them (absent until one ran)',
                      properties: {
                        checkedAt: { type: 'string' },
                        runId: { type: 'string', description: 'The batch run checked' },
                        outcome: {
                          type: 'string',
                          enum: ['checked', 'skipped'],
                          description:
                            'skipped: the increments could not be complete for those epochs (see reason)',
                        },
                        reason: { type: 'string' },
                        epochs: { type: 'integer', description: 'Epochs compared' },
                        cells: {
                          type: 'integer',
                          description: 'Cells (key, bucket) with increments in them',
                        },
                        driftCells: {
                          type: 'integer',
                          description:
                            'Cells where previous version ⊕ increments ≠ new version (0: batch and speed agree)',
                        },
                      },
                    },
                  },
                },
              },
              liveViews: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    description: { type: 'string' },
                    topic: { type: 'string' },
                    personal: {
                      type: 'boolean',
                      description:
                        'Names individual users: served to admin keys only (the generated one when no keys are configured)',
                    },
                  },
                },
              },
            },
          },
          304: queryErrors[304],
          401: queryErrors[401],
          403: queryErrors[403],
          429: queryErrors[429],
          503: queryErrors[503],
        },
      },
    },
    async (_request, reply) => {
      const states = await withTimeout(queries.mergeState(), options.queryTimeoutMs, 'listing the views');
      cacheFor(reply, Math.max(0, ...states.map((state) => state.realtimeEpochs.length)));
      return {
        views: states.map(({ view, status, batchRows, realtimeEpochs, freshness, reconciliation }) => ({
          name: view.name,
          description: view.description,
          topic: view.topic,
          bucketMs: view.bucketMs,
          key: view.keyField ?? 'function',
          keyMaxLength: keyLimitsOf(view).maxLength,
          fields: view.fields.map(({ name, kind, description }) => ({ name, kind, description })),
          rankBy: rankableFields(view),
          fingerprint: view.fingerprint,
          status: status.status,
          ...(status.status === 'rebuilding' ? { rebuilding: status.reason } : {}),
          merge: { ...freshness, batchRows, realtimeEpochs },
          ...(reconciliation === undefined
            ? {}
            : {
                reconciliation: {
                  checkedAt: reconciliation.checkedAt,
                  runId: reconciliation.runId,
                  outcome: reconciliation.outcome,
                  ...(reconciliation.reason === undefined ? {} : { reason: reconciliation.reason }),
                  epochs: reconciliation.epochs,
                  cells: reconciliation.cells,
                  driftCells: reconciliation.driftCells,
                },
              }),
        })),
        liveViews: project.liveViews.map((live) => ({
          name: live.name,
          description: live.description ?? '',
          topic: live.topic,
          personal: live.personal === true,
        })),
      };
    },
  );

  // Each view's own routes: the key limits and the value's shape come from its definition.
  for (const view of project.views) {
    const { minLength, maxLength } = keyLimitsOf(view);
    const value = valueSchemaOf(view);
    app.get<{ Querystring: AnswerQuery }>(
      `/v1/views/${view.name}`,
      {
        config: {
          scope: 'read',
          etag: true,
          metricsRoute: ANSWER_ROUTE,
          rateLimit: false,
          leanRateLimit: true,
        },
        schema: {
          summary: `${view.name}: one key's buckets (batch ⊕ realtime) and their total`,
          description: `${view.description}. Topic ${view.topic}, ${view.bucketMs} ms buckets, fingerprint ${view.fingerprint}.`,
          tags: ['views'],
          querystring: keyQuerystring(minLength, maxLength, keyDescription(view)),
          response: { 200: answerSchema(value), ...queryErrors },
        },
      },
      (request, reply) => answer(view, request, reply),
    );
    app.get<{ Querystring: TopQuery }>(
      `/v1/views/${view.name}/top`,
      {
        config: { scope: 'read', etag: true, metricsRoute: TOP_ROUTE, rateLimit: false, leanRateLimit: true },
        schema: {
          summary: `${view.name}: the keys ranked by one field over a range`,
          description: view.description,
          tags: ['views'],
          querystring: topQuerystring(`One of ${rankableFields(view).join(', ')}`),
          response: { 200: topSchema(value), ...queryErrors },
        },
      },
      (request, reply) => top(view, request, reply),
    );
  }

  // Any other name: a 404 naming the views (and the same answer for a view reached through the parameter).
  const namedView = (request: { params: { view?: string } }) => queries.view(request.params.view ?? '');
  app.get<{ Params: { view: string }; Querystring: AnswerQuery }>(
    ANSWER_ROUTE,
    {
      config: { scope: 'read', etag: true },
      schema: {
        hide: true,
        params: viewParams,
        querystring: keyQuerystring(0, Number.MAX_SAFE_INTEGER, 'The view key'),
        response: { 200: answerSchema(anyValueSchema), ...queryErrors },
      },
    },
    async (request, reply) => {
      const view = namedView(request);
      const { minLength, maxLength } = keyLimitsOf(view);
      const length = request.query.key.length;
      if (length < minLength)
        throw new ServingError('OXBOW_BAD_REQUEST', `key must NOT have fewer than ${minLength} characters`);
      if (length > maxLength) {
        throw new ServingError('OXBOW_BAD_REQUEST', `key must NOT have more than ${maxLength} characters`);
      }
      return answer(view, request, reply);
    },
  );
  app.get<{ Params: { view: string }; Querystring: TopQuery }>(
    TOP_ROUTE,
    {
      config: { scope: 'read', etag: true },
      schema: {
        hide: true,
        params: viewParams,
        querystring: topQuerystring('A field of the view'),
        response: { 200: topSchema(anyValueSchema), ...queryErrors },
      },
    },
    async (request, reply) => top(namedView(request), request, reply),
  );

  const liveNames = project.liveViews.map((live) => (live.personal ? `${live.name} (personal)` : live.name));
  app.get<{ Params: { view: string } }>(
    '/v1/live/:view',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: `A live (speed-only) view's latest value: ${liveNames.join(', ') || 'none in this project'}`,
        description:
          'Live views marked personal name individual users: they need an admin key (the generated one when no keys are configured).',
        tags: ['live'],
        params: viewParams,
        response: {
          200: {
            type: 'object',
            description: "OK: the live view's latest value",
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
      const live = project.liveView(view);
      if (live === undefined) {
        throw new ServingError(
          'OXBOW_NOT_FOUND',
          `unknown live view "${view}" (live views: ${project.liveViews.map((l) => l.name).join(', ') || 'none'})`,
        );
      }
      // Always, whether keys are configured or not: the admin key is generated when none is configured.
      if (live.personal === true) {
        const key = presentedKey(request.headers);
        if (key === undefined) {
          throw new ServingError(
            'OXBOW_UNAUTHORIZED',
            `live view ${view} names individual users: it needs an API key with the admin scope (header x-api-key)`,
          );
        }
        authorize(options.apiKeys, key, 'read');
        if (options.apiKeys.get(key) !== 'admin') {
          throw new ServingError(
            'OXBOW_FORBIDDEN',
            `live view ${view} names individual users: it needs an API key with the admin scope`,
          );
        }
      }
      const value = await withTimeout(realtime.live(view), options.queryTimeoutMs, 'reading the live view');
      // Answers behind a key are for the caller only.
      const shared = options.cacheVisibility === 'public' && live.personal !== true;
      reply.header('cache-control', shared ? 'no-cache' : 'private, no-cache');
      return { view, value: value ?? null };
    },
  );
}
