/**
 * `POST /v1/sql` (admin keys only): ad-hoc, read-only DuckDB SQL over the lake — the project's topics as tables
 * over their Parquet part files and the published batch views — through `runLakeSql` of `@oxbow/connectors`, the
 * function `oxbow sql` calls, with a row limit and a time limit (DuckDB is interrupted when it runs out), a cap
 * on the queries running at once, and `OXBOW_SQL_*` errors answered in the API's error shape.
 */
import {
  type LakeSqlBinding,
  type LakeSqlConfig,
  type LakeSqlProject,
  runLakeSql,
  sqlRowToJson,
} from '@oxbow/connectors';
import type { FastifyInstance } from 'fastify';
import { Gate } from '../gate.ts';
import { errorSchema } from './schemas.ts';

/** The limits of `POST /v1/sql`: rows and milliseconds by default and at most, and the longest query text. */
export const SQL_ROUTE_LIMITS = {
  defaultLimit: 1000,
  maxLimit: 10_000,
  defaultTimeoutMs: 10_000,
  maxTimeoutMs: 60_000,
  maxSqlLength: 64 * 1024,
  /** Queries running at once; up to `maxWaiting` more wait, beyond that 503. */
  concurrency: 1,
  maxWaiting: 4,
} as const;

/** What the SQL route needs. */
export interface SqlRoutesOptions {
  /** The lake and its credentials (the serving configuration). */
  readonly config: LakeSqlConfig;
  /** The project whose topics become tables. */
  readonly project: LakeSqlProject;
  /** Which Kafka topics are archived as which project topic (`bindTopics(project, config.archiverTopics)`). */
  readonly bindings: readonly LakeSqlBinding[];
  /** DuckDB settings of each query's in-memory database (default: 2 threads, 1 GB of memory). */
  readonly duckdbSettings?: Readonly<Record<string, string>>;
}

interface SqlBody {
  readonly sql: string;
  readonly limit?: number;
  readonly timeoutMs?: number;
}

const bodySchema = {
  type: 'object',
  required: ['sql'],
  additionalProperties: false,
  properties: {
    sql: {
      type: 'string',
      minLength: 1,
      maxLength: SQL_ROUTE_LIMITS.maxSqlLength,
      description:
        'One SELECT (also SHOW, DESCRIBE, SUMMARIZE, FROM t): each project topic is a table (its lake columns and `epoch`), each published batch view a table (also as `batch.<view>`).',
    },
    limit: {
      type: 'integer',
      minimum: 0,
      maximum: SQL_ROUTE_LIMITS.maxLimit,
      default: SQL_ROUTE_LIMITS.defaultLimit,
      description: 'Rows returned at most; `truncated` says when rows were left out.',
    },
    timeoutMs: {
      type: 'integer',
      minimum: 1,
      maximum: SQL_ROUTE_LIMITS.maxTimeoutMs,
      default: SQL_ROUTE_LIMITS.defaultTimeoutMs,
      description: 'Time limit of the whole query (listing, reading and running), in milliseconds.',
    },
  },
} as const;

const resultSchema = {
  type: 'object',
  properties: {
    columns: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } },
    },
    rows: { type: 'array', items: { type: 'object', additionalProperties: true } },
    rowCount: { type: 'integer' },
    truncated: { type: 'boolean' },
    limit: { type: 'integer' },
    elapsedMs: { type: 'integer' },
    tables: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          kind: { type: 'string', enum: ['topic', 'view'] },
          files: { type: 'integer' },
        },
      },
    },
    batch: {
      type: ['object', 'null'],
      properties: { runId: { type: 'string' }, watermarkEpoch: { type: 'integer' } },
    },
  },
} as const;

/**
 * Registers `POST /v1/sql`. The body is `{ sql, limit?, timeoutMs? }`; the answer `{ columns, rows, rowCount,
 * truncated, limit, elapsedMs, tables, batch }` with values as JSON (integers beyond ±(2^53 − 1) as decimal
 * strings, times as ISO-8601). A query that is not one `SELECT` or does not bind is a 400, the time limit a 408,
 * a failure while it runs a 422; a client that goes away interrupts its query.
 */
export function registerSqlRoutes(app: FastifyInstance, options: SqlRoutesOptions): void {
  const gate = new Gate(SQL_ROUTE_LIMITS.concurrency, SQL_ROUTE_LIMITS.maxWaiting);
  const settings = options.duckdbSettings ?? { threads: '2', memory_limit: '1GB' };
  app.post<{ Body: SqlBody }>(
    '/v1/sql',
    {
      config: { scope: 'admin' },
      bodyLimit: SQL_ROUTE_LIMITS.maxSqlLength + 1024,
      schema: {
        summary:
          'Ad-hoc read-only SQL over the lake: the project topics and the published batch views (admin)',
        tags: ['admin'],
        body: bodySchema,
        response: {
          200: resultSchema,
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          408: errorSchema,
          413: errorSchema,
          422: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const gone = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) gone.abort();
      };
      reply.raw.once('close', onClose);
      try {
        const { sql, limit, timeoutMs } = request.body;
        const result = await gate.run(gone.signal, () =>
          runLakeSql(options.config, sql, {
            project: options.project,
            bindings: options.bindings,
            limit: limit ?? SQL_ROUTE_LIMITS.defaultLimit,
            timeoutMs: timeoutMs ?? SQL_ROUTE_LIMITS.defaultTimeoutMs,
            signal: gone.signal,
            settings,
          }),
        );
        reply.header('cache-control', 'no-store');
        return {
          columns: result.columns,
          rows: result.rows.map(sqlRowToJson),
          rowCount: result.rows.length,
          truncated: result.truncated,
          limit: result.limit,
          elapsedMs: result.elapsedMs,
          tables: result.tables,
          batch: result.batch ?? null,
        };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
}
