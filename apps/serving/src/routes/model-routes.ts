/**
 * `GET /v1/models` (the project's models and their latest versions) and `GET /v1/models/:name`: the latest version of a project model — the speed layer's when it is newer than the
 * current batch version, else the one the batch layer published — with its source and version (see
 * `model-store.ts`).
 */
import type { FastifyInstance } from 'fastify';
import type { ModelStore } from '../model-store.ts';
import { errorSchema } from './schemas.ts';

const modelSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    kind: { type: 'string', enum: ['kmeans', 'linear-regression'] },
    topic: { type: 'string' },
    source: { type: 'string', enum: ['batch', 'speed'] },
    version: { type: 'string' },
    runId: { type: ['string', 'null'] },
    watermarkEpoch: { type: 'integer' },
    updatedAt: { type: 'string' },
    examples: { type: 'integer' },
    fingerprint: { type: 'string' },
    current: { type: 'boolean' },
    model: {
      type: 'object',
      additionalProperties: true,
      description:
        "The model as @oxbow/ml saves it ({ format: 'oxbow-ml-model', type, version, … }): modelFromJSON reads it",
    },
  },
} as const;

/** Registers `GET /v1/models` and `GET /v1/models/:name` (read scope). */
export function registerModelRoutes(app: FastifyInstance, models: ModelStore): void {
  const { model: _model, ...summaryProperties } = modelSchema.properties;
  app.get(
    '/v1/models',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: "The project's models: each one's latest version (without the model), or trained: false",
        tags: ['models'],
        response: {
          200: {
            type: 'object',
            properties: {
              models: {
                type: 'array',
                items: { type: 'object', properties: { ...summaryProperties, trained: { type: 'boolean' } } },
              },
            },
          },
          401: errorSchema,
          403: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-cache');
      return { models: await models.list() };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/v1/models/:name',
    {
      config: { scope: 'read', etag: true },
      schema: {
        summary: 'The latest version of a model of the project (speed if newer, else batch)',
        tags: ['models'],
        params: {
          type: 'object',
          required: ['name'],
          properties: {
            name: {
              type: 'string',
              maxLength: 64,
              description: `One of: ${models.names.join(', ') || 'none'}`,
            },
          },
        },
        response: {
          200: modelSchema,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-cache');
      return models.latest(request.params.name);
    },
  );
}
