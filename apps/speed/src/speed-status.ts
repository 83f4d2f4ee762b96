/**
 * Health and lag of the speed layer: kept in memory, written to the `<prefix>speed:status` hash after every
 * committed batch, and served as JSON by a tiny HTTP endpoint (`GET /health`), which also serves the metrics
 * (`GET /metrics`).
 */
import type { Server } from 'node:http';
import { type DeadLetterNote, newestDeadLetters, serveOperations } from '@oxbow/connectors';
import type { Registry } from 'prom-client';

/** What the speed layer is doing. */
export type SpeedState = 'starting' | 'running' | 'rebuilding' | 'restarting' | 'stopping' | 'stopped';

/** The status of a speed service (also the fields of the Redis status hash). */
export interface SpeedStatus {
  state: SpeedState;
  generation: string;
  /** Batch time (ms) of the last committed batch. */
  lastBatchTime: number;
  /** How long computing and committing the last batch of a topic took (ms). */
  lastBatchMs: number;
  /** The largest Kafka append time processed (ms). */
  realtimeThrough: number;
  /** 0 when caught up, else now − realtimeThrough (ms). */
  lagMs: number;
  /** Offsets between the last cut and the partitions' high watermarks. */
  lagRecords: number;
  /** The manifest's watermark epoch E (−1 without a manifest). */
  watermarkEpoch: number;
  /** Committed batches and records since this process started. */
  batches: number;
  records: number;
  /** Batches refused by the commit check (offsets moved or generation changed). */
  refusedBatches: number;
  /** Generations this process started after the first (a lost marker) or because the view set changed. */
  rebuilds: number;
  /**
   * Name → fingerprint of every view this instance maintains (Redis hash field: JSON). A view whose fingerprint
   * differs from the batch manifest's was changed: its answers are rebuilding.
   */
  viewFingerprints: Record<string, string>;
  /**
   * True while the current generation replays Kafka up to the offsets the previous generation had reached (or,
   * after a loss of Redis's data, the high watermarks when the generation started): merged answers are
   * incomplete until then. Redis hash field: `true`/`false`.
   */
  rebuilding: boolean;
  /**
   * The last dead letters this process sent (at most 20 over its topics, newest first): source position, reason
   * (cut to 300 characters) and when. Redis hash field: JSON. In memory: a restarted process starts with none.
   */
  recentDeadLetters: DeadLetterNote[];
  /** Cells (view, epoch, partition, key, bucket) whose states the process holds in memory. */
  cachedCells: number;
  /** Estimated bytes of those states. */
  cachedCellBytes: number;
  lastError: string;
  updatedAt: number;
  pid: number;
}

/** A fresh status. */
export function initialStatus(): SpeedStatus {
  return {
    state: 'starting',
    generation: '',
    lastBatchTime: 0,
    lastBatchMs: 0,
    realtimeThrough: 0,
    lagMs: 0,
    lagRecords: 0,
    watermarkEpoch: -1,
    batches: 0,
    records: 0,
    refusedBatches: 0,
    rebuilds: 0,
    viewFingerprints: {},
    rebuilding: false,
    recentDeadLetters: [],
    cachedCells: 0,
    cachedCellBytes: 0,
    lastError: '',
    updatedAt: Date.now(),
    pid: process.pid,
  };
}

/** The status as Redis hash fields (strings; objects as JSON). */
export function statusFields(status: SpeedStatus): Record<string, string> {
  return Object.fromEntries(
    Object.entries(status).map(([name, value]) => [
      name,
      typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
    ]),
  );
}

/**
 * The dead letters the status shows next: the newest 20 of those it `shown` and those the topics' `sources`
 * remember (a source's list starts empty when a generation restarts its streams; what was shown stays).
 *
 * @example
 * status.recentDeadLetters = recentDeadLettersOf(status.recentDeadLetters, topics.map((topic) => topic.stream));
 */
export function recentDeadLettersOf(
  shown: readonly DeadLetterNote[],
  sources: Iterable<{ metrics(): { readonly recentDeadLetters: readonly DeadLetterNote[] } }>,
): DeadLetterNote[] {
  return newestDeadLetters([...Array.from(sources, (source) => source.metrics().recentDeadLetters), shown]);
}

/** True when the service is running and committed a batch recently enough (or has had nothing to do yet). */
export function isHealthy(status: SpeedStatus, batchMs: number, now = Date.now()): boolean {
  if (status.state !== 'running') return false;
  return now - status.updatedAt <= Math.max(30_000, 10 * batchMs);
}

/** The paths the speed layer's health endpoint answers its status on. */
export const SPEED_HEALTH_PATHS: readonly string[] = ['/health', '/status'];

/**
 * Serves `GET /health` and `GET /status` (200 when healthy, else 503) with the status as JSON, and `GET /metrics`
 * (its metrics and the process metrics in the Prometheus text format): the operations server of
 * `@oxbow/connectors` on the speed layer's paths.
 *
 * @example
 * ```ts
 * const server = await serveHealth(8091, '127.0.0.1', () => ({ status, healthy: isHealthy(status, 1000) }), registry);
 * ```
 */
export async function serveHealth(
  port: number,
  host: string,
  probe: () => { status: SpeedStatus; healthy: boolean },
  metrics: Registry,
): Promise<{ server: Server; url: string }> {
  const operations = await serveOperations({
    port,
    host,
    registry: metrics,
    healthPaths: SPEED_HEALTH_PATHS,
    health: () => {
      const { status, healthy } = probe();
      return { healthy, body: { ...status } };
    },
  });
  return { server: operations.server, url: `${operations.url}/health` };
}
