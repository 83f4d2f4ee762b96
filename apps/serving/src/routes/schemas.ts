/**
 * JSON schemas of the routes: they validate every input and generate the OpenAPI document at /docs. The schemas
 * of a view's routes are built from its definition: the `key` limits from its key field, the value's shape from
 * its fields' kinds.
 */

import { ISO_8601_PATTERN } from '../time-range.ts';
import type { AnyView } from '../view-query.ts';

/**
 * The longest `key` accepted for a view whose key is a function of the event (its longest key is not known): the
 * bound of a view keyed by a field is the field's own `maxLength`.
 */
export const FUNCTION_KEY_MAX_LENGTH = 4096;

/**
 * The `key` lengths a view's routes accept: up to the longest key the pipeline can produce (the key field's
 * `maxLength`, {@link FUNCTION_KEY_MAX_LENGTH} for a function key), and from 1 unless the empty key can occur (an
 * optional or possibly empty string key field, or a function key).
 *
 * @example
 * keyLimitsOf(project.view('orders_by_store_hourly')); // { minLength: 1, maxLength: 64 }: f.string({ minLength: 1, maxLength: 64 })
 */
export function keyLimitsOf(view: AnyView): { minLength: number; maxLength: number } {
  const maxLength = view.keyMaxLength ?? FUNCTION_KEY_MAX_LENGTH;
  const field = view.schema.fields.find((candidate) => candidate.name === view.keyField);
  if (field === undefined) return { minLength: 0, maxLength };
  const spec = field.spec;
  const canBeEmpty =
    spec.optional ||
    (spec.kind === 'string' && spec.minLength === 0) ||
    (spec.kind === 'enum' && spec.values.includes(''));
  return { minLength: canBeEmpty ? 0 : 1, maxLength };
}

const time = (description: string) =>
  ({ type: 'string', pattern: ISO_8601_PATTERN, maxLength: 40, description }) as const;

/** `from`/`to` of the query routes. */
export const rangeQuerystring = {
  from: time('Start of the range (ISO-8601, inclusive); absent: all time before `to`'),
  to: time('End of the range (ISO-8601, exclusive); absent: all time after `from`'),
} as const;

/** `raw` of the query routes: distinct counts as the raw estimate. */
export const rawQuerystring = {
  type: 'boolean',
  default: false,
  description:
    'Distinct counts (HyperLogLog fields) as the raw estimate (e.g. 224.0099909081158) instead of the rounded integer',
} as const;

/** The error bounds of a view's approximate fields, as their aggregators state them. */
export const accuracySchema = {
  type: 'object',
  description:
    'Per approximate field, its error bound: `{ kind: "relative-standard-error", relative }` for distinct counts (HyperLogLog: about 68 % of estimates within relative × the exact count, 99.7 % within 3×), `{ kind: "relative-value", relative }` for quantiles (each estimate within relative × the exact quantile). Absent when every field is exact.',
  additionalProperties: {
    type: 'object',
    properties: { kind: { type: 'string' }, relative: { type: 'number' } },
    additionalProperties: true,
  },
} as const;

/** The `:view` path parameter (checked by the handler, so an unknown view is a 404 naming the views). */
export const viewParams = {
  type: 'object',
  required: ['view'],
  properties: { view: { type: 'string', minLength: 1, maxLength: 64, description: 'A view name' } },
} as const;

/** The value of any view, for the generic `/v1/views/:view` routes (each view's own routes are typed). */
export const anyValueSchema = {
  type: 'object',
  additionalProperties: true,
  description: "The view's fields by name",
} as const;

const nullableNumber = (description: string) => ({ type: ['number', 'null'], description });

/**
 * The JSON schema of one presented field, by its kind: count, sum and distinct are numbers; min, max and mean
 * numbers or `null` (no input); quantiles `{ p50, p95, p99 }`; topK `[item, count]` pairs; distinctSet the
 * sorted values; any other kind (a user's own aggregator) a documented JSON value.
 */
export function fieldValueSchema(field: AnyView['fields'][number]): Record<string, unknown> {
  const description = `${field.kind}: ${field.description}`;
  switch (field.kind) {
    case 'count':
    case 'sum':
      return { type: 'number', description };
    case 'distinct':
      return {
        type: 'number',
        description: `${description} (rounded to an integer; \`?raw=true\` gives the raw estimate; error bound in \`accuracy\`)`,
      };
    case 'min':
    case 'max':
    case 'mean':
      return nullableNumber(`${description} (null without input)`);
    case 'quantiles':
      return {
        type: 'object',
        description: `${description} (each null without input)`,
        required: ['p50', 'p95', 'p99'],
        properties: {
          p50: nullableNumber('median'),
          p95: nullableNumber('95th percentile'),
          p99: nullableNumber('99th percentile'),
        },
      };
    case 'topK':
      return {
        type: 'array',
        description: `${description}: [item, count] pairs, most frequent first`,
        items: {
          type: 'array',
          description: '[item, count]',
          minItems: 2,
          maxItems: 2,
          items: {},
        },
      };
    case 'distinctSet':
      return {
        type: 'array',
        description: `${description}: the distinct values, sorted`,
        items: { description: 'a value' },
      };
    default:
      return {
        description: `${description} (any JSON: the value the "${field.kind}" aggregator presents; null without input)`,
      };
  }
}

/**
 * The presented value of `view`: one property per field, typed by its kind ({@link fieldValueSchema}), and
 * nothing else.
 *
 * @example
 * valueSchemaOf(project.view('orders_by_store_hourly')).properties.meanBasket; // { type: ['number', 'null'], … } for a mean()
 */
export function valueSchemaOf(view: AnyView): Record<string, unknown> {
  return {
    type: 'object',
    description: `A value of ${view.name}: ${view.fields.map((field) => field.name).join(', ')}`,
    required: view.fields.map((field) => field.name),
    properties: Object.fromEntries(view.fields.map((field) => [field.name, fieldValueSchema(field)])),
    additionalProperties: false,
  };
}

/** Which batch run and realtime position an answer reflects. */
export const freshnessSchema = {
  type: 'object',
  required: ['batchRunId', 'batchWatermarkEpoch', 'realtimeThrough', 'speedLagMs'],
  properties: {
    batchRunId: { type: ['string', 'null'], description: 'Run id of the batch version used' },
    batchWatermarkEpoch: { type: ['integer', 'null'], description: 'E: the batch part covers epochs ≤ E' },
    realtimeThrough: {
      type: ['string', 'null'],
      description: 'Newest Kafka append time the speed layer processed',
    },
    speedLagMs: { type: ['number', 'null'], description: 'Speed layer lag reported in Redis' },
  },
} as const;

/** Every error answer: status, reason phrase, `OXBOW_*` code and a one-line message. */
export const errorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** A 503: Redis unavailable, a query over its time limit, or the view rebuilding (`status: "rebuilding"`). */
export const unavailableSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  description:
    'OXBOW_UNAVAILABLE, OXBOW_TIMEOUT, or OXBOW_VIEW_REBUILDING (with status "rebuilding") while the view is rebuilt after its definition changed; see Retry-After',
  properties: {
    ...errorSchema.properties,
    status: { type: 'string', enum: ['rebuilding'] },
  },
} as const;

/** An error response documented with what its status means on the route (the OpenAPI response description). */
export function errorResponse(description: string): typeof errorSchema & { description: string } {
  return { ...errorSchema, description };
}

/** `304 Not Modified`: no body; the answer named by `If-None-Match` is still current. */
export const notModifiedResponse = {
  type: 'null',
  description: 'Not Modified: the If-None-Match header named the current ETag (no body)',
} as const;

/** The responses of the query routes besides their 200, typed per status, for the OpenAPI document. */
export const queryErrors = {
  304: notModifiedResponse,
  400: errorResponse(
    'Bad Request (OXBOW_BAD_REQUEST): a parameter is missing or invalid, or the range too long',
  ),
  401: errorResponse('Unauthorized (OXBOW_UNAUTHORIZED): API keys are configured and none was presented'),
  403: errorResponse("Forbidden (OXBOW_FORBIDDEN): the key's scope does not allow the route"),
  404: errorResponse('Not Found (OXBOW_NOT_FOUND): no such view, or no such field to rank by'),
  429: errorResponse('Too Many Requests (OXBOW_RATE_LIMITED): over the rate limit; see Retry-After'),
  503: { ...unavailableSchema, description: `Service Unavailable: ${unavailableSchema.description}` },
};
