/**
 * JSON schemas of the routes: they validate every input and generate the OpenAPI document at /docs.
 */
import { VIEW_NAMES } from '@oxbow/views';
import { ISO_8601_PATTERN } from '../time-range.ts';

/** The speed-only views served by `GET /v1/live/:view` (from `<prefix>live:<view>`). */
export const LIVE_VIEWS = ['live_requests_5m', 'active_sessions', 'sensor_anomalies'] as const;

const time = (description: string) =>
  ({ type: 'string', pattern: ISO_8601_PATTERN, maxLength: 40, description }) as const;

/** `from`/`to` of the query routes. */
export const rangeQuerystring = {
  from: time('Start of the range (ISO-8601, inclusive); absent: all time before `to`'),
  to: time('End of the range (ISO-8601, exclusive); absent: all time after `from`'),
} as const;

/** The `:view` path parameter (checked by the handler, so an unknown view is a 404 naming the views). */
export const viewParams = {
  type: 'object',
  required: ['view'],
  properties: {
    view: { type: 'string', minLength: 1, maxLength: 64, description: `One of ${VIEW_NAMES.join(', ')}` },
  },
} as const;

/** A view's presented value: its aggregate fields by name. */
export const valueSchema = {
  type: 'object',
  additionalProperties: true,
  description:
    "The view's fields by name (hits, errors, bytes, uniqueUsers, latencyMs: { p50, p95, p99 }, …)",
} as const;

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

/** The error responses of the query routes, for the OpenAPI document. */
export const queryErrors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  429: errorSchema,
};
