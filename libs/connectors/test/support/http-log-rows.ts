/**
 * Deterministic generator of master-dataset rows shaped like the HTTP-log events plus their Kafka
 * metadata, for the Parquet library benchmark and for tests that need realistic volumes.
 */
import { defineParquetSchema } from '../../src/parquet/schema.ts';

/** The Parquet schema of {@link HttpLogRow} (the views library will own the real one). */
export const HTTP_LOG_SCHEMA = defineParquetSchema([
  { name: 'ts', type: 'timestamp' },
  { name: 'host', type: 'string' },
  { name: 'method', type: 'string' },
  { name: 'path', type: 'string' },
  { name: 'status', type: 'int32' },
  { name: 'bytes', type: 'int32' },
  { name: 'latencyMs', type: 'double' },
  { name: 'userId', type: 'string', optional: true },
  { name: 'country', type: 'string' },
  { name: 'userAgent', type: 'string' },
  { name: 'partition', type: 'int32' },
  { name: 'offset', type: 'int64' },
  { name: 'appendTime', type: 'timestamp' },
] as const);

/** One archived HTTP access-log event with the Kafka coordinates it was read at. */
export interface HttpLogRow {
  ts: Date;
  host: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  latencyMs: number;
  userId: string | null;
  country: string;
  userAgent: string;
  partition: number;
  offset: bigint;
  appendTime: Date;
}

const HOSTS = ['web-1', 'web-2', 'web-3', 'api-1', 'api-2'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const PATHS = [
  '/',
  '/login',
  '/cart',
  '/checkout',
  '/api/items',
  '/api/items/42',
  '/search',
  '/static/app.js',
];
const STATUSES = [200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 404, 500, 503];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'JP', 'BR', 'IN', 'ES', 'IT'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'curl/8.8.0',
  'okhttp/4.12.0',
];

/** A small xorshift PRNG so runs are reproducible without a dependency. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * Generates `count` rows starting at `startMillis`, one event every ~10 ms, spread over 4 partitions.
 *
 * @example
 * const rows = generateHttpLogRows(1000);
 */
export function generateHttpLogRows(
  count: number,
  seed = 42,
  startMillis = Date.UTC(2025, 0, 1),
): HttpLogRow[] {
  const random = xorshift(seed);
  const offsets = [0n, 0n, 0n, 0n];
  const rows: HttpLogRow[] = [];
  for (let i = 0; i < count; i++) {
    const partition = i % 4;
    const offset = offsets[partition] ?? 0n;
    offsets[partition] = offset + 1n;
    const appendMillis = startMillis + i * 10;
    rows.push({
      ts: new Date(appendMillis - Math.floor(random() * 2000)),
      host: pick(HOSTS, random),
      method: pick(METHODS, random),
      path: pick(PATHS, random),
      status: pick(STATUSES, random),
      bytes: Math.floor(random() * 200_000),
      latencyMs: Math.round(random() * 50_000) / 100,
      userId: random() < 0.2 ? null : `u${Math.floor(random() * 50_000)}`,
      country: pick(COUNTRIES, random),
      userAgent: pick(AGENTS, random),
      partition,
      offset,
      appendTime: new Date(appendMillis),
    });
  }
  return rows;
}
