/**
 * The speed layer's status hash (`<prefix>speed:status`, written after every committed micro-batch) as the
 * dashboard shows it: state, lag, throughput counters and dead-lettered records per Kafka topic.
 */

/** Records and dead-lettered records of one Kafka topic since the speed layer's first commit. */
export interface SpeedTopicCounts {
  readonly topic: string;
  readonly records: number;
  readonly deadLettered: number;
}

/** What `GET /v1/speed/status` answers. */
export interface SpeedOverview {
  /** False when the speed layer never reported (then every other field is null or empty). */
  readonly reported: boolean;
  readonly state: string | null;
  /** 0 when caught up, else now − realtimeThrough at the last commit (ms). */
  readonly lagMs: number | null;
  /** Offsets between the last cut and the partitions' high watermarks. */
  readonly lagRecords: number | null;
  /** The largest Kafka append time processed, ISO-8601. */
  readonly realtimeThrough: string | null;
  /** When the last micro-batch was committed, ISO-8601. */
  readonly lastBatchTime: string | null;
  /** How long computing and committing the last micro-batch took (ms). */
  readonly lastBatchMs: number | null;
  /** Micro-batches and records committed by the running speed process. */
  readonly batches: number | null;
  readonly records: number | null;
  readonly refusedBatches: number | null;
  /** True while a new generation replays Kafka (merged answers incomplete). */
  readonly rebuilding: boolean;
  /** The batch watermark epoch the speed layer last saw (−1 without a manifest). */
  readonly watermarkEpoch: number | null;
  /** Dead-lettered records of every topic since the first commit (the records and reasons are in Kafka). */
  readonly deadLettered: number;
  readonly topics: readonly SpeedTopicCounts[];
  readonly lastError: string | null;
  /** When the status was last written, ISO-8601. */
  readonly updatedAt: string | null;
}

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
