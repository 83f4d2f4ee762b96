/**
 * The projects the end-to-end test runs, each as the apps see it — a project file, loaded only through the
 * `project` setting — plus what the test itself needs: the project's hand-written DuckDB oracle (sharing no
 * code with the pipeline), how the produced events split over its topics, and the seeded input, made the way
 * `oxbow produce` makes it (the project's generator for a topic, else `generateEvents` from the schema, keyed
 * by the schema's `messageKey`).
 */
import { fileURLToPath } from 'node:url';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { WEB_ANALYTICS_ORACLE } from '@oxbow/example-web-analytics/oracle';
import { type EventGenerator, generateEvents, generatorOf, loadProject, type Project } from '@oxbow/views';
// The rides example is not a declared dependency of @oxbow/serving: its files are read by path.
import { RIDES_ORACLE } from '../../../../../examples/rides/oracle.ts';
import type { OracleDefinition } from '../../../../../libs/views/test/support/oracle.ts';

/** The rides example's project file. */
export const RIDES_PROJECT = fileURLToPath(
  new URL('../../../../../examples/rides/oxbow.project.ts', import.meta.url),
);

/** A project under test. */
export interface E2eProject {
  /** Short name, in topic names, the Redis prefix and test titles. */
  readonly label: string;
  /** The project file the apps load (`OXBOW_PROJECT`). */
  readonly file: string;
  /** The loaded project: topics, schemas, generators and the views' field kinds. */
  readonly project: Project;
  /** The ground truth: a table per project topic (named as the topic) and a query per view. */
  readonly oracle: OracleDefinition;
  /** Each topic's share of the produced events (summing to 1). */
  readonly shares: Readonly<Record<string, number>>;
  /** The generator of a topic; default `generatorOf(project, topic)`, what `oxbow produce` uses. */
  readonly generatorOf?: (topic: string) => EventGenerator;
  /** Turns a generated record into the one produced (e.g. a timestamp written as epoch ms); default as is. */
  readonly adapt?: (record: Readonly<Record<string, unknown>>, index: number) => Record<string, unknown>;
}

/** The web-analytics example: 90 % HTTP logs, 10 % sensor readings, its hand-tuned generators. */
export async function webAnalytics(): Promise<E2eProject> {
  return {
    label: 'web',
    file: WEB_ANALYTICS_PROJECT,
    project: await loadProject(WEB_ANALYTICS_PROJECT),
    oracle: WEB_ANALYTICS_ORACLE,
    shares: { http_logs: 0.9, sensor_readings: 0.1 },
  };
}

/**
 * The rides example: no generator, so rides come from `generateEvents` over its schema — with 200 distinct
 * values per string field instead of `oxbow produce`'s 1,000, so a quiet-moment check (one request per key and
 * view) stays within the test's time budget; every other ride carries its time as epoch milliseconds instead of
 * ISO-8601 (the schema takes both).
 */
export async function rides(): Promise<E2eProject> {
  const project = await loadProject(RIDES_PROJECT);
  return {
    label: 'rides',
    file: RIDES_PROJECT,
    project,
    oracle: RIDES_ORACLE,
    shares: { ride_events: 1 },
    generatorOf: (topic) => (options) =>
      generateEvents(project.schemaOf(topic), { ...options, distinctStrings: 200 }),
    adapt: (record, index) =>
      index % 2 === 1 ? { ...record, time: Date.parse(record.time as string) } : { ...record },
  };
}

/** One record as produced: its topic's project name, its Kafka message key and the JSON object. */
export interface ProducedRecord {
  readonly key: string;
  readonly record: Record<string, unknown>;
}

/** Records by project topic. */
export type RecordsByTopic = Readonly<Record<string, readonly Record<string, unknown>[]>>;

/**
 * A scenario's seeded input: `events` records over the project's topics by their shares, spread over two hours
 * of event time ending an hour ago (plus the generators' late events), split in `chunks` for production.
 */
export class SeededInput {
  readonly byTopic: ReadonlyMap<string, readonly ProducedRecord[]>;
  readonly chunks: number;

  constructor(e2e: E2eProject, options: { events: number; seed: number; chunks: number; startMs?: number }) {
    const spanS = 2 * 3600;
    const startMs = options.startMs ?? Date.now() - 3 * 3_600_000;
    const topics = [...e2e.project.topics.keys()];
    const byTopic = new Map<string, ProducedRecord[]>();
    let assigned = 0;
    topics.forEach((topic, index) => {
      const count =
        index === topics.length - 1
          ? options.events - assigned
          : Math.round(options.events * (e2e.shares[topic] ?? 0));
      assigned += count;
      const schema = e2e.project.schemaOf(topic);
      const generate = e2e.generatorOf?.(topic) ?? generatorOf(e2e.project, topic);
      const records: ProducedRecord[] = [];
      let n = 0;
      for (const generated of generate({
        count,
        seed: options.seed + index,
        startMs,
        ratePerSec: Math.max(count, 1) / spanS,
      })) {
        const record = e2e.adapt ? e2e.adapt(generated, n) : { ...generated };
        // As `oxbow produce`: keyed by the schema's messageKey; without one, by the record's index, so the
        // records spread over the partitions.
        const key = schema.messageKey === undefined ? undefined : record[schema.messageKey];
        records.push({ key: key === undefined || key === null ? String(n) : String(key), record });
        n++;
      }
      byTopic.set(topic, records);
    });
    this.byTopic = byTopic;
    this.chunks = options.chunks;
  }

  /** Index of the first record of `chunk` in a topic of `length` records. */
  cut(length: number, chunk: number): number {
    return Math.round((length * chunk) / this.chunks);
  }

  /** The records of chunks `from..to` (inclusive), by topic. */
  slice(from: number, to: number): Map<string, readonly ProducedRecord[]> {
    const slices = new Map<string, readonly ProducedRecord[]>();
    for (const [topic, records] of this.byTopic)
      slices.set(topic, records.slice(this.cut(records.length, from), this.cut(records.length, to + 1)));
    return slices;
  }

  /** Every record produced up to and including `chunk`, by topic (the oracle's input). */
  through(chunk: number): RecordsByTopic {
    const records: Record<string, Record<string, unknown>[]> = {};
    for (const [topic, produced] of this.slice(0, chunk)) records[topic] = produced.map((p) => p.record);
    return records;
  }

  /** How many records chunks `0..chunk` hold. */
  countThrough(chunk: number): number {
    let count = 0;
    for (const records of this.slice(0, chunk).values()) count += records.length;
    return count;
  }
}
