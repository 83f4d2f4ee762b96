/**
 * The speed layer's status hash (`<prefix>speed:status`, written after every committed micro-batch) as the
 * dashboard shows it: state, lag, throughput counters and dead-lettered records per Kafka topic.
 */

import type { SpeedOverview } from '@oxbow/contracts';

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
    lastError: status.lastError ? status.lastError : null,
    updatedAt: timeOf(status.updatedAt),
  };
}
