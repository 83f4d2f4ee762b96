/**
 * `oxbow status [--json]`: the whole platform in one table — the stack's services (Kafka, Redis, S3 reachable),
 * the archiver (its `/healthz`), the speed layer (its status hash in Redis: state, lag, last batch), the batch
 * layer (the lake's current manifest: run, watermark, when), the serving API (`/readyz`) and the dead letters
 * (messages in the dead-letter topic, and those the speed layer counted). Every probe has a time limit and runs
 * at once; what cannot be reached is shown as such, not as an error.
 */
import { readCurrentManifest, storageOptionsOf } from '@oxbow/batch';
import type { OxbowConfig } from '@oxbow/config';
import { openFileSystem } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { createKafka, createRedis } from '../clients.ts';
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

async function fetchJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body };
}

async function stackParts(env: CommandEnvironment): Promise<PlatformPart[]> {
  const statuses = await stackStatus({ config: env.config, clock: env.clock, output: env.output });
  return statuses.map((status) => ({
    name: status.name,
    kind: 'service',
    state: status.healthy ? 'ok' : 'down',
    ok: status.healthy,
    address: status.address,
    detail: status.healthy
      ? status.managed
        ? `pid ${status.pid}`
        : 'reachable'
      : (status.error ?? 'not reachable'),
    report: { ...status },
  }));
}

async function archiverPart(config: OxbowConfig): Promise<PlatformPart> {
  const address = `http://${reachableHost(config.healthHost)}:${config.archiverHealthPort}/healthz`;
  if (config.archiverHealthPort === 0) {
    return {
      name: 'archiver',
      kind: 'app',
      state: 'unknown',
      ok: false,
      address: '-',
      detail: 'no health port (OXBOW_ARCHIVER_HEALTH_PORT=0)',
      report: {},
    };
  }
  try {
    const { status, body } = await fetchJson(address);
    const state = typeof body.state === 'string' ? body.state : status === 200 ? 'running' : 'unhealthy';
    return {
      name: 'archiver',
      kind: 'app',
      state,
      ok: status === 200,
      address,
      detail: `${Number(body.filesPublished ?? 0)} files, ${Number(body.recordsArchived ?? 0)} records archived, ${Number(body.epochsSealed ?? 0)} epochs sealed`,
      report: body,
    };
  } catch (error) {
    return {
      name: 'archiver',
      kind: 'app',
      state: 'unreachable',
      ok: false,
      address,
      detail: messageOf(error),
      report: {},
    };
  }
}

async function speedPart(config: OxbowConfig): Promise<PlatformPart> {
  const layout = new RedisLayout(config.redisPrefix);
  const address = `${config.redisUrl} ${layout.status()}`;
  const redis = createRedis(config, { quiet: true });
  try {
    const fields = await withTimeout(
      redis.connect().then(() => redis.hgetall(layout.status())),
      'Redis',
    );
    if (Object.keys(fields).length === 0) {
      return {
        name: 'speed',
        kind: 'app',
        state: 'none',
        ok: false,
        address,
        detail: 'no status in Redis (the speed layer never ran with this prefix)',
        report: {},
      };
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
    return {
      name: 'speed',
      kind: 'app',
      state,
      ok: state === 'running',
      address,
      detail: `${lag}, last batch ${iso(report.lastBatchTime)} (${report.lastBatchMs} ms), ${report.records} records${report.rebuilding ? ', rebuilding' : ''}${report.lastError ? `, last error: ${report.lastError}` : ''}`,
      report,
    };
  } catch (error) {
    return {
      name: 'speed',
      kind: 'app',
      state: 'unknown',
      ok: false,
      address,
      detail: `Redis: ${messageOf(error)}`,
      report: {},
    };
  } finally {
    redis.disconnect();
  }
}

async function batchPart(config: OxbowConfig): Promise<PlatformPart> {
  const lake = openFileSystem(config.lake, storageOptionsOf(config));
  try {
    const manifest = await withTimeout(readCurrentManifest(lake), 'the lake');
    if (manifest === undefined) {
      return {
        name: 'batch',
        kind: 'data',
        state: 'none',
        ok: false,
        address: config.lake,
        detail: 'no batch version published yet',
        report: {},
      };
    }
    const epochEnd = (manifest.watermarkEpoch + 1) * manifest.epochMs;
    return {
      name: 'batch',
      kind: 'data',
      state: 'published',
      ok: true,
      address: config.lake,
      detail: `run ${manifest.runId}, watermark epoch ${manifest.watermarkEpoch} (up to ${iso(epochEnd)}), published ${manifest.finishedAt}, ${manifest.views.length} views`,
      report: {
        runId: manifest.runId,
        watermarkEpoch: manifest.watermarkEpoch,
        watermarkEnd: iso(epochEnd),
        epochMs: manifest.epochMs,
        startedAt: manifest.startedAt,
        finishedAt: manifest.finishedAt,
        views: manifest.views.map((view) => view.name),
      },
    };
  } catch (error) {
    return {
      name: 'batch',
      kind: 'data',
      state: 'unknown',
      ok: false,
      address: config.lake,
      detail: messageOf(error),
      report: {},
    };
  } finally {
    await lake.close().catch(() => undefined);
  }
}

async function servingPart(config: OxbowConfig): Promise<PlatformPart> {
  const address = `http://${reachableHost(config.apiHost)}:${config.apiPort}`;
  try {
    const { status, body } = await fetchJson(`${address}/readyz`);
    const checks = (body.checks ?? {}) as Record<string, { ok?: boolean; message?: string }>;
    const failing = Object.entries(checks)
      .filter(([, check]) => check.ok !== true)
      .map(([name, check]) => `${name}: ${check.message ?? 'failing'}`);
    return {
      name: 'serving',
      kind: 'app',
      state: status === 200 ? 'ready' : 'not ready',
      ok: status === 200,
      address,
      detail:
        status === 200
          ? 'GET /readyz 200'
          : `GET /readyz ${status}${failing.length ? ` (${failing.join('; ')})` : ''}`,
      report: body,
    };
  } catch (error) {
    return {
      name: 'serving',
      kind: 'app',
      state: 'unreachable',
      ok: false,
      address,
      detail: messageOf(error),
      report: {},
    };
  }
}

async function deadLetterPart(config: OxbowConfig, speedCounted: number | undefined): Promise<PlatformPart> {
  const topic = config.speedDeadLetterTopic;
  const admin = createKafka(config, 'oxbow-status', { quiet: true }).admin();
  const counted = speedCounted === undefined ? '' : `; the speed layer counted ${speedCounted}`;
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
    return {
      name: 'dead letters',
      kind: 'data',
      state: String(messages),
      ok: true,
      address: topic,
      detail: `${messages} messages in ${topic}${offsets === undefined ? ' (no such topic yet)' : ''}${counted}`,
      report: { topic, messages, ...(speedCounted === undefined ? {} : { speedCounted }) },
    };
  } catch (error) {
    return {
      name: 'dead letters',
      kind: 'data',
      state: 'unknown',
      ok: false,
      address: topic,
      detail: messageOf(error),
      report: {},
    };
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
