/**
 * The serving benchmark's load generator (autocannon) in a process of its own. The argument is a JSON
 * {@link LoadSpec}; the keys of `answer`, `bare` and `conditional` requests are drawn at random by Zipf's law over
 * the dataset's paths (popular paths asked more, as they are requested more). Prints `RESULT <json>`.
 *
 * - `answer`: `GET /v1/views/page_views_hourly?key=<random path>`.
 * - `conditional`: the same with `If-None-Match` of the last ETag seen for the key (304 while it is unchanged).
 * - `bare`: `GET /constant?key=<random path>` on the bare fastify peer (same URL shape, same body size).
 * - `top`: `GET /v1/views/page_views_hourly/top?by=<hits|uniqueUsers|latencyMs.p99>&limit=10`, all time.
 * - `range-top`: `/top?by=hits` over one of 12 different six-hour ranges in turn (rankings built on demand).
 * - `healthz`: `GET /healthz`.
 */

import { SeededRandom, WeightedIndex } from '@oxbow/views';
import autocannon from 'autocannon';
import { benchPath } from './dataset.ts';

/** What to load. */
export interface LoadSpec {
  readonly url: string;
  readonly mode: 'answer' | 'conditional' | 'bare' | 'top' | 'range-top' | 'healthz';
  readonly connections: number;
  readonly durationS: number;
  /** Requests per second over all connections (absent: as fast as the server answers). */
  readonly rate?: number;
  readonly paths: number;
  readonly pathExponent: number;
  readonly seed: number;
  /** Start of the batch part (for `range-top`). */
  readonly startMs: number;
}

/** What a run measured. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly total: number;
  /** Responses by status code. */
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly bytesPerResponse: number;
}

interface Request {
  method?: string;
  path: string;
  headers?: Record<string, string>;
}

interface Options {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  requests: Array<{
    setupRequest: (request: Request, context: Record<string, unknown>) => Request;
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string>,
    ) => void;
  }>;
}

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  throughput: { total: number };
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
}

const run = autocannon as unknown as (options: Options) => Promise<Result>;

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const random = new SeededRandom(spec.seed);
const paths = WeightedIndex.zipf(spec.paths, spec.pathExponent);
const nextKey = () => benchPath(paths.draw(random));
const view = '/v1/views/page_views_hourly';
const rankBy = ['hits', 'uniqueUsers', 'latencyMs.p99'];
const etags = new Map<string, string>();
let turn = 0;

const setupRequest = (request: Request, context: Record<string, unknown>): Request => {
  turn++;
  switch (spec.mode) {
    case 'answer':
      request.path = `${view}?key=${encodeURIComponent(nextKey())}`;
      break;
    case 'bare':
      request.path = `/constant?key=${encodeURIComponent(nextKey())}`;
      break;
    case 'conditional': {
      const key = nextKey();
      context.key = key;
      request.path = `${view}?key=${encodeURIComponent(key)}`;
      const etag = etags.get(key);
      request.headers = etag === undefined ? {} : { 'if-none-match': etag };
      break;
    }
    case 'top':
      request.path = `${view}/top?by=${encodeURIComponent(rankBy[turn % rankBy.length] ?? 'hits')}&limit=10`;
      break;
    case 'range-top': {
      const from = spec.startMs + (turn % 12) * 3_600_000;
      request.path = `${view}/top?by=hits&limit=10&from=${new Date(from).toISOString()}&to=${new Date(from + 6 * 3_600_000).toISOString()}`;
      break;
    }
    case 'healthz':
      request.path = '/healthz';
      break;
  }
  return request;
};

const result = await run({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
  requests: [
    {
      setupRequest,
      ...(spec.mode === 'conditional'
        ? {
            onResponse: (
              _status: number,
              _body: string,
              context: Record<string, unknown>,
              headers: Record<string, string>,
            ) => {
              const etag = headers.etag;
              if (typeof context.key === 'string' && etag !== undefined) etags.set(context.key, etag);
            },
          }
        : {}),
    },
  ],
});
const statuses: Record<string, number> = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
const output: LoadResult = {
  requestsPerSecond: result.requests.average,
  p50: result.latency.p50,
  p90: result.latency.p90,
  p99: result.latency.p99,
  max: result.latency.max,
  total: result.requests.total,
  statuses,
  errors: result.errors + result.timeouts,
  bytesPerResponse: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
};
console.log(`RESULT ${JSON.stringify(output)}`);
