/**
 * The speed layer's status hash (`<prefix>speed:status`, written after every committed micro-batch) as the
 * dashboard shows it: state, lag, throughput counters, dead-lettered records per Kafka topic and the latest dead
 * letters with their reasons.
 */

import type { RecentDeadLetter, SpeedOverview } from '@oxbow/contracts';

/** The most dead letters an answer lists (what the speed layer keeps). */
const MAX_RECENT_DEAD_LETTERS = 20;
/** The longest reason an answer shows (characters; the speed layer cuts at 300). */
const MAX_REASON_LENGTH = 300;

function numberOf(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function timeOf(text: string | undefined): string | null {
  const ms = numberOf(text);
  return ms === null || ms <= 0 ? null : new Date(ms).toISOString();
}

/**
 * The `recentDeadLetters` field of the status hash (a JSON array of `{ topic, partition, offset, reason, at }`,
 * `at` in epoch ms) as the answer lists them; an absent field (a speed layer older than it), one that does not
 * parse, and entries of the wrong shape are left out.
 *
 * @example
 * recentDeadLettersOf('[{"topic":"http_logs","partition":0,"offset":"17","reason":"SpeedError: not JSON","at":1795957512000}]');
 * // [{ topic: 'http_logs', partition: 0, offset: '17', reason: 'SpeedError: not JSON', at: '2026-11-24T13:05:12.000Z' }]
 */
export function recentDeadLettersOf(field: string | undefined): RecentDeadLetter[] {
  if (field === undefined || field === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(field);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const letters: RecentDeadLetter[] = [];
  for (const entry of parsed) {
    if (letters.length >= MAX_RECENT_DEAD_LETTERS) break;
    if (typeof entry !== 'object' || entry === null) continue;
    const { topic, partition, offset, reason, at } = entry as Record<string, unknown>;
    if (typeof topic !== 'string' || !Number.isInteger(partition) || typeof offset !== 'string') continue;
    if (typeof reason !== 'string' || typeof at !== 'number' || !Number.isFinite(at) || at <= 0) continue;
    letters.push({
      topic,
      partition: partition as number,
      offset,
      reason: reason.slice(0, MAX_REASON_LENGTH),
      at: new Date(at).toISOString(),
    });
  }
  return letters;
}

/**
 * The overview of a status hash (`HGETALL`; empty when the speed layer never reported).
 *
 * @example
 * speedOverviewOf({ lagMs: '120', 'records:http_logs': '900', 'deadLettered:http_logs': '3' }).topics;
 * // [{ topic: 'http_logs', records: 900, deadLettered: 3 }]
 */
export function speedOverviewOf(status: Readonly<Record<string, string>>): SpeedOverview {
  const topics = new Map<string, { records: number; deadLettered: number }>();
  const topicOf = (name: string) => {
    const counts = topics.get(name) ?? { records: 0, deadLettered: 0 };
    topics.set(name, counts);
    return counts;
  };
  for (const [field, value] of Object.entries(status)) {
    const separator = field.indexOf(':');
    if (separator < 0) continue;
    const counter = field.slice(0, separator);
    if (counter !== 'records' && counter !== 'deadLettered') continue;
    topicOf(field.slice(separator + 1))[counter] = numberOf(value) ?? 0;
  }
  return {
    reported: Object.keys(status).length > 0,
    state: status.state ?? null,
    lagMs: numberOf(status.lagMs),
    lagRecords: numberOf(status.lagRecords),
    realtimeThrough: timeOf(status.realtimeThrough),
    lastBatchTime: timeOf(status.lastBatchTime),
    lastBatchMs: numberOf(status.lastBatchMs),
    batches: numberOf(status.batches),
    records: numberOf(status.records),
    refusedBatches: numberOf(status.refusedBatches),
    rebuilding: status.rebuilding === 'true',
    watermarkEpoch: numberOf(status.watermarkEpoch),
    deadLettered: numberOf(status.deadLettered) ?? 0,
    topics: [...topics.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, counts]) => ({ topic, ...counts })),
    recentDeadLetters: recentDeadLettersOf(status.recentDeadLetters),
    lastError: status.lastError ? status.lastError : null,
    updatedAt: timeOf(status.updatedAt),
  };
}
