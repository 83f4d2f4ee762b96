/**
 * `oxbow status [--json]`: the whole platform in one table — the stack's services (Kafka, Redis, S3 reachable),
 * the archiver (its `/healthz`), the speed layer (its status hash in Redis: state, lag, last batch), the batch
 * layer (the lake's current manifest: run, watermark, when), the serving API (`/readyz`) and the dead letters
 * (messages in the dead-letter topic, and those the speed layer counted). Every probe has a time limit and runs
 * at once; what cannot be reached is shown as such, not as an error.
 */
import { readCurrentManifest, storageOptionsOf } from '@oxbow/batch';
import type { OxbowConfig } from '@oxbow/config';
import { createRedisClient, openFileSystem } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { createKafka } from '../clients.ts';
import type { Output } from '../output.ts';
import { stackStatus } from '../stack/stack.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** How long one probe may take. */
const PROBE_TIMEOUT_MS = 3000;

/** One line of the status: a part of the platform, its state, and what it reports. */
export interface PlatformPart {
  readonly name: string;
  /** `service`: a service of the stack; `app`: an Oxbow app; `data`: what the platform holds. */
  readonly kind: 'service' | 'app' | 'data';
  /** `ok`, `running`, `ready`, `published`, … when fine; `down`, `unreachable`, `not ready`, `none`, … otherwise. */
  readonly state: string;
  /** True when the part is up and doing its job. */
  readonly ok: boolean;
  /** Where it was asked (address or URL). */
  readonly address: string;
  /** One-line summary for the table. */
  readonly detail: string;
  /** What it reported, for `--json`. */
  readonly report: Readonly<Record<string, unknown>>;
}

/** The platform's status, as `oxbow status --json` prints it. */
export interface PlatformStatus {
  readonly checkedAt: string;
  readonly parts: readonly PlatformPart[];
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  // fetch says "fetch failed" and keeps the reason (ECONNREFUSED, …) in its cause.
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof cause === 'string') return `not reachable (${cause})`;
  return error instanceof Error ? error.message : String(error);
}

/** `0.0.0.0` and `::` listen everywhere: ask loopback. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function iso(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : '-';
}

/** Which part a probe asks about, and where. */
type PartIdentity = Pick<PlatformPart, 'name' | 'kind' | 'address'>;

/** One line of the status (an empty report when the part could not say anything). */
function partOf(
  part: PartIdentity,
  state: string,
  ok: boolean,
  detail: string,
  report: Readonly<Record<string, unknown>> = {},
): PlatformPart {
  return { name: part.name, kind: part.kind, state, ok, address: part.address, detail, report };
}

async function fetchJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body };
}

async function stackParts(env: CommandEnvironment): Promise<PlatformPart[]> {
  const statuses = await stackStatus({ config: env.config, clock: env.clock, output: env.output });
  return statuses.map((status) => {
    const part = { name: status.name, kind: 'service', address: status.address } as const;
    const detail = status.healthy
      ? status.managed
        ? `pid ${status.pid}`
        : 'reachable'
      : (status.error ?? 'not reachable');
    return partOf(part, status.healthy ? 'ok' : 'down', status.healthy, detail, { ...status });
  });
}

async function archiverPart(config: OxbowConfig): Promise<PlatformPart> {
  const address = `http://${reachableHost(config.healthHost)}:${config.archiverHealthPort}/healthz`;
  if (config.archiverHealthPort === 0) {
    const unprobed = { name: 'archiver', kind: 'app', address: '-' } as const;
    return partOf(unprobed, 'unknown', false, 'no health port (OXBOW_ARCHIVER_HEALTH_PORT=0)');
  }
  const part = { name: 'archiver', kind: 'app', address } as const;
  try {
    const { status, body } = await fetchJson(address);
    const state = typeof body.state === 'string' ? body.state : status === 200 ? 'running' : 'unhealthy';
    const detail = `${Number(body.filesPublished ?? 0)} files, ${Number(body.recordsArchived ?? 0)} records archived, ${Number(body.epochsSealed ?? 0)} epochs sealed`;
    return partOf(part, state, status === 200, detail, body);
  } catch (error) {
    return partOf(part, 'unreachable', false, messageOf(error));
  }
}

async function speedPart(config: OxbowConfig): Promise<PlatformPart> {
  const cluster = config.redisCluster === 'yes';
  const layout = new RedisLayout(config.redisPrefix, { cluster });
  const address = `${config.redisUrl}${cluster ? ' (cluster)' : ''} ${layout.status()}`;
  const part = { name: 'speed', kind: 'app', address } as const;
  // On Redis Cluster the status hash may sit on any node: the cluster client follows the slot map.
  const redis = createRedisClient({
    url: config.redisUrl,
    cluster,
    redisOptions: { lazyConnect: true, connectTimeout: 1000, commandTimeout: 1500, maxRetriesPerRequest: 0 },
  });
  redis.on('error', () => {});
  try {
    const fields = await withTimeout(
      redis.connect().then(() => redis.hgetall(layout.status())),
      'Redis',
    );
    if (Object.keys(fields).length === 0) {
      return partOf(part, 'none', false, 'no status in Redis (the speed layer never ran with this prefix)');
    }
    const number = (name: string) => Number(fields[name] ?? 0);
    const state = fields.state ?? 'unknown';
    const report = {
      state,
      generation: fields.generation ?? '',
      lagMs: number('lagMs'),
      lagRecords: number('lagRecords'),
      lastBatchTime: number('lastBatchTime'),
      lastBatchMs: number('lastBatchMs'),
      realtimeThrough: number('realtimeThrough'),
      watermarkEpoch: number('watermarkEpoch'),
      batches: number('batches'),
      records: number('records'),
      deadLettered: number('deadLettered'),
      rebuilding: fields.rebuilding === 'true',
      lastError: fields.lastError ?? '',
      updatedAt: number('updatedAt'),
      pid: number('pid'),
    };
    const lag =
      report.lagRecords === 0 ? 'caught up' : `lag ${report.lagRecords} records (${report.lagMs} ms)`;
    const detail = `${lag}, last batch ${iso(report.lastBatchTime)} (${report.lastBatchMs} ms), ${report.records} records${report.rebuilding ? ', rebuilding' : ''}${report.lastError ? `, last error: ${report.lastError}` : ''}`;
    return partOf(part, state, state === 'running', detail, report);
  } catch (error) {
    return partOf(part, 'unknown', false, `Redis: ${messageOf(error)}`);
  } finally {
    redis.disconnect();
  }
}

async function batchPart(config: OxbowConfig): Promise<PlatformPart> {
  const part = { name: 'batch', kind: 'data', address: config.lake } as const;
  const lake = openFileSystem(config.lake, storageOptionsOf(config));
  try {
    const manifest = await withTimeout(readCurrentManifest(lake), 'the lake');
    if (manifest === undefined) return partOf(part, 'none', false, 'no batch version published yet');
    const epochEnd = (manifest.watermarkEpoch + 1) * manifest.epochMs;
    const detail = `run ${manifest.runId}, watermark epoch ${manifest.watermarkEpoch} (up to ${iso(epochEnd)}), published ${manifest.finishedAt}, ${manifest.views.length} views`;
    return partOf(part, 'published', true, detail, {
      runId: manifest.runId,
      watermarkEpoch: manifest.watermarkEpoch,
      watermarkEnd: iso(epochEnd),
      epochMs: manifest.epochMs,
      startedAt: manifest.startedAt,
      finishedAt: manifest.finishedAt,
      views: manifest.views.map((view) => view.name),
    });
  } catch (error) {
    return partOf(part, 'unknown', false, messageOf(error));
  } finally {
    await lake.close().catch(() => undefined);
  }
}

async function servingPart(config: OxbowConfig): Promise<PlatformPart> {
  const address = `http://${reachableHost(config.apiHost)}:${config.apiPort}`;
  const part = { name: 'serving', kind: 'app', address } as const;
  try {
    const { status, body } = await fetchJson(`${address}/readyz`);
    const checks = (body.checks ?? {}) as Record<string, { ok?: boolean; message?: string }>;
    const failing = Object.entries(checks)
      .filter(([, check]) => check.ok !== true)
      .map(([name, check]) => `${name}: ${check.message ?? 'failing'}`);
    const ready = status === 200;
    const detail = ready
      ? 'GET /readyz 200'
      : `GET /readyz ${status}${failing.length ? ` (${failing.join('; ')})` : ''}`;
    return partOf(part, ready ? 'ready' : 'not ready', ready, detail, body);
  } catch (error) {
    return partOf(part, 'unreachable', false, messageOf(error));
  }
}

async function deadLetterPart(config: OxbowConfig, speedCounted: number | undefined): Promise<PlatformPart> {
  const topic = config.speedDeadLetterTopic;
  const admin = createKafka(config, 'oxbow-status', { quiet: true }).admin();
  const counted = speedCounted === undefined ? '' : `; the speed layer counted ${speedCounted}`;
  const part = { name: 'dead letters', kind: 'data', address: topic } as const;
  try {
    const offsets = await withTimeout(
      admin.connect().then(async () => {
        if (!(await admin.listTopics()).includes(topic)) return undefined;
        return admin.fetchTopicOffsets(topic);
      }),
      'Kafka',
    );
    const messages =
      offsets?.reduce((sum, partition) => sum + Number(BigInt(partition.high) - BigInt(partition.low)), 0) ??
      0;
    const detail = `${messages} messages in ${topic}${offsets === undefined ? ' (no such topic yet)' : ''}${counted}`;
    return partOf(part, String(messages), true, detail, {
      topic,
      messages,
      ...(speedCounted === undefined ? {} : { speedCounted }),
    });
  } catch (error) {
    return partOf(part, 'unknown', false, messageOf(error));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Asks every part of the platform at once.
 *
 * @example
 * const status = await platformStatus(environment);
 * status.parts.find((part) => part.name === 'speed')?.state; // 'running'
 */
export async function platformStatus(env: CommandEnvironment): Promise<PlatformStatus> {
  const { config } = env;
  const [stack, archiver, speed, batch, serving] = await Promise.all([
    stackParts(env),
    archiverPart(config),
    speedPart(config),
    batchPart(config),
    servingPart(config),
  ]);
  const speedCounted = speed.report.deadLettered;
  const deadLetters = await deadLetterPart(
    config,
    typeof speedCounted === 'number' ? speedCounted : undefined,
  );
  return {
    checkedAt: new Date(env.clock.now()).toISOString(),
    parts: [...stack, archiver, speed, batch, serving, deadLetters],
  };
}

/** The status as a table: part, state, address, detail. */
export function formatStatusTable(status: PlatformStatus): string {
  const rows = [
    ['PART', 'STATE', 'ADDRESS', 'DETAIL'],
    ...status.parts.map((p) => [p.name, p.state, p.address, p.detail]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  '),
    )
    .join('\n');
}

/**
 * `oxbow status [--json]`; returns 3 when a service of the stack is down (as `oxbow stack status`), else 0
 * (apps that are not running are shown, not failed on).
 */
export async function runStatusCommand(
  json: boolean,
  env: CommandEnvironment,
  output: Output = env.output,
): Promise<number> {
  const status = await platformStatus(env);
  output.out(json ? JSON.stringify(status, null, 2) : formatStatusTable(status));
  return status.parts.some((part) => part.kind === 'service' && !part.ok) ? 3 : 0;
}
