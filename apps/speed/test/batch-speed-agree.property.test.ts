/**
 * The Lambda promise as a property (issue 13, "Batch and speed agree"): for random events of the web-analytics
 * example on random Kafka partitions and append times, split into random micro-batches,
 *
 * 1. the speed path — the fused fold (`foldPartition` into a `CellStore`, the code `oxbow speed` runs per
 *    micro-batch; each partition positioned from a base, so nothing is read from Redis and no Redis is mocked) —
 *    gives, for every view, epoch and partition, **state bytes equal** to the batch path's: `aggregateView` (the
 *    batch layer's RDD engine; `apps/batch/test/compiled-vs-rdd.property.test.ts` proves its compiled SQL equal
 *    to it byte for byte) over that epoch and partition's records as one lake file;
 * 2. for every watermark E, batch(≤ E) — `aggregateView` over the lake files of epochs ≤ E (each epoch and
 *    partition rolled into up to three files at random), one RDD partition per file as the batch engine reads them — merged with the speed path's cells of epochs > E (the serving layer's
 *    `batch(≤E) ⊕ Σ_{e>E} Σ_p rt`) presents what a naive oracle computes from the events: plain JavaScript loops
 *    sharing no code with the pipeline (counts, integer sums, min and max exact; means to 1e-9; distinct counts
 *    within the HyperLogLog's error; quantiles within the sketch's 1 % of a value at the quantile's rank).
 */
import type { KafkaRecord } from '@oxbow/connectors';
import { RedisLayout } from '@oxbow/contracts';
import { type Aggregator, DataflowContext } from '@oxbow/dataflow';
import { WEB_ANALYTICS_PROJECT } from '@oxbow/example-web-analytics';
import { type AnyEvent, aggregateView, loadProject } from '@oxbow/views';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CellStore } from '../src/cell-store.ts';
import { foldPartition, foldViews } from '../src/fused-fold.ts';

const project = await loadProject(WEB_ANALYTICS_PROJECT);
const EPOCH_MS = 600_000;
const PARTITIONS = 3;
/** The first append time: epochs 0 … 5 of the test are 10-minute epochs from here. */
const T0 = Date.UTC(2026, 10, 24, 10);
const NOW = T0 + 86_400_000;
const ctx = new DataflowContext({ parallelism: 1 });
afterAll(() => ctx.stop());

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
type AnyAggregator = Aggregator<AnyEvent, unknown, unknown>;

/** A raw event of either topic (JSON as a producer sends it), with its partition and a gap before its append. */
interface Produced {
  readonly topic: 'http_logs' | 'sensor_readings';
  readonly json: object;
  readonly partition: number;
  /** Milliseconds after the previous record's append time (any partition). */
  readonly gapMs: number;
}

const eventTime = fc
  .integer({ min: T0 - 7_200_000, max: T0 + 3_600_000 })
  .map((ms) => new Date(ms).toISOString());
const httpLog = fc.record({
  ts: eventTime,
  host: fc.constantFrom('a.example', 'b.example'),
  method: fc.constantFrom('GET', 'POST'),
  path: fc.constantFrom('/', '/a', '/b', '/c/d'),
  status: fc.constantFrom(200, 201, 301, 404, 500, 503),
  bytes: fc.integer({ min: 0, max: 2 ** 40 }),
  latencyMs: fc.oneof(fc.double({ min: 0, max: 3_600_000, noNaN: true }), fc.integer({ min: 0, max: 2_000 })),
  userId: fc.constantFrom(...Array.from({ length: 30 }, (_, i) => `u${i}`)),
  country: fc.constantFrom('NL', 'DE', 'US', 'FR'),
  userAgent: fc.string({ maxLength: 8 }),
});
const reading = fc.record({
  ts: eventTime,
  sensorId: fc.constantFrom('s1', 's2', 's3'),
  site: fc.constantFrom('north', 'south'),
  temperature: fc.double({ min: -100, max: 200, noNaN: true }),
  humidity: fc.double({ min: 0, max: 100, noNaN: true }),
});
const produced: fc.Arbitrary<Produced> = fc.record({
  topic: fc.constantFrom('http_logs' as const, 'sensor_readings' as const),
  json: fc.constant({}),
  partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
  gapMs: fc.integer({ min: 0, max: 120_000 }),
});
const produce: fc.Arbitrary<Produced> = produced.chain((record) =>
  (record.topic === 'http_logs' ? httpLog : reading).map((json) => ({ ...record, json })),
);

/** The records of each topic as the speed layer sees them: parsed by the schema, offsets per partition. */
function kafkaRecords(all: readonly Produced[]): Map<string, Array<KafkaRecord<AnyEvent>>> {
  const byTopic = new Map<string, Array<KafkaRecord<AnyEvent>>>();
  const offsets = new Map<string, number>();
  let appendTime = T0;
  for (const record of all) {
    appendTime += record.gapMs;
    const parsed = project.schemaOf(record.topic).parse(JSON.stringify(record.json), { now: NOW });
    if (!parsed.ok) throw new Error(`a generated event is invalid: ${parsed.reasons.join('; ')}`);
    const at = `${record.topic}/${record.partition}`;
    const offset = offsets.get(at) ?? 0;
    offsets.set(at, offset + 1);
    const list = byTopic.get(record.topic) ?? [];
    list.push({
      topic: record.topic,
      partition: record.partition,
      offset: String(offset),
      timestamp: appendTime,
      key: null,
      value: parsed.event,
      headers: {},
    });
    byTopic.set(record.topic, list);
  }
  return byTopic;
}

/** A cell address: `view epoch partition key bucket`. */
const cellId = (view: string, epoch: number, partition: number, key: string, bucket: number): string =>
  `${view}\u0000${epoch}\u0000${partition}\u0000${key}\u0000${bucket}`;

/** The speed path: the fused fold over micro-batches cut at `cuts` (fractions of each topic's records). */
function speedCells(
  byTopic: Map<string, Array<KafkaRecord<AnyEvent>>>,
  cuts: readonly number[],
): Map<string, unknown> {
  const cells = new Map<string, unknown>();
  const store = new CellStore(new RedisLayout('agree:'), 2 ** 30);
  for (const [topic, records] of byTopic) {
    const plans = foldViews(project.views.filter((view) => view.topic === topic));
    for (let p = 0; p < PARTITIONS; p++) store.reset(topic, p, true);
    const ends = [...new Set(cuts.map((cut) => Math.floor(cut * records.length))), records.length].sort(
      (a, b) => a - b,
    );
    let from = 0;
    for (const to of ends) {
      if (to <= from) continue;
      const batch = store.beginBatch();
      for (let p = 0; p < PARTITIONS; p++) {
        const slice = records.slice(from, to).filter((record) => record.partition === p);
        foldPartition(store.partition(topic, p), plans, slice, 0, EPOCH_MS, Number.NEGATIVE_INFINITY, batch);
      }
      expect(batch.needingBase).toEqual([]);
      // What the commit writes: every changed cell's state.
      for (const cell of batch.changed) {
        const group = cell.row.group;
        cells.set(
          cellId(group.view.name, group.epoch, group.cells.partition, cell.row.key, cell.bucket),
          cell.state,
        );
      }
      store.committed(
        batch,
        batch.changed.map(() => 64),
      );
      from = to;
    }
  }
  return cells;
}

/** One lake file: the records of one epoch and partition of a topic, in offset order. */
interface LakeFile {
  readonly topic: string;
  readonly epoch: number;
  readonly partition: number;
  readonly events: AnyEvent[];
}

function lakeFiles(byTopic: Map<string, Array<KafkaRecord<AnyEvent>>>): LakeFile[] {
  const files = new Map<string, LakeFile>();
  for (const [topic, records] of byTopic) {
    for (const record of records) {
      const epoch = Math.floor(record.timestamp / EPOCH_MS);
      const at = `${topic}/${epoch}/${record.partition}`;
      const file = files.get(at) ?? { topic, epoch, partition: record.partition, events: [] };
      file.events.push(record.value);
      files.set(at, file);
    }
  }
  // Lake order: by topic, epoch, partition.
  return [...files.values()].sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.epoch - b.epoch || a.partition - b.partition,
  );
}

/**
 * The files as the archiver may have written them: each (epoch, partition) rolled into up to three files at
 * positions drawn from `seed`, in offset order.
 */
function rolled(files: readonly LakeFile[], seed: number): LakeFile[] {
  let state = seed >>> 0 || 1;
  const random = (n: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
  return files.flatMap((file) => {
    const cuts = [random(file.events.length + 1), random(file.events.length + 1)].sort((a, b) => a - b);
    return [0, ...cuts]
      .map((from, i) => ({ ...file, events: file.events.slice(from, [...cuts, file.events.length][i]) }))
      .filter((part) => part.events.length > 0);
  });
}

/** The batch path over `files`: `aggregateView` with one RDD partition per file; states by `key bucket`. */
async function batchStates(
  view: (typeof project.views)[number],
  files: readonly LakeFile[],
): Promise<Map<string, unknown>> {
  const chosen = files.filter((file) => file.topic === view.topic);
  const states = new Map<string, unknown>();
  if (chosen.length === 0) return states;
  const rdd = ctx.fromSource<AnyEvent>({
    name: 'lake-files',
    numPartitions: chosen.length,
    read: async (partition) => chosen[partition]?.events ?? [],
  });
  for (const [[key, bucket], state] of await aggregateView(view, rdd).collect()) {
    states.set(`${key}\u0000${bucket}`, state);
  }
  return states;
}

/** The naive oracle of one view: plain loops over the events, per `key bucket`, presented like the view. */
function oracle(
  viewName: string,
  events: readonly Record<string, unknown>[],
): Map<string, Record<string, unknown>> {
  const groups = new Map<string, Array<Record<string, unknown>>>();
  const hour = 3_600_000;
  for (const e of events) {
    const ts = e.ts as number;
    let at: string | undefined;
    if (viewName === 'page_views_hourly') at = `${e.path}\u0000${ts - (ts % hour)}`;
    else if (viewName === 'country_daily') at = `${e.country}\u0000${ts - (ts % (24 * hour))}`;
    else if (viewName === 'status_minutely')
      at = `${Math.floor((e.status as number) / 100)}xx\u0000${ts - (ts % 60_000)}`;
    else if (viewName === 'sensor_hourly') at = `${e.sensorId}\u0000${ts - (ts % hour)}`;
    if (at === undefined) throw new Error(`the oracle has no view ${viewName}`);
    groups.set(at, [...(groups.get(at) ?? []), e]);
  }
  const out = new Map<string, Record<string, unknown>>();
  for (const [at, group] of groups) {
    const numbers = (field: string) => group.map((e) => e[field] as number);
    if (viewName === 'page_views_hourly') {
      out.set(at, {
        hits: group.length,
        errors: group.filter((e) => (e.status as number) >= 500).length,
        bytes: numbers('bytes').reduce((a, b) => a + b, 0),
        uniqueUsers: new Set(group.map((e) => e.userId)).size,
        latencyMs: numbers('latencyMs').sort((a, b) => a - b),
      });
    } else if (viewName === 'country_daily') {
      out.set(at, { hits: group.length, uniqueUsers: new Set(group.map((e) => e.userId)).size });
    } else if (viewName === 'status_minutely') {
      out.set(at, { hits: group.length });
    } else {
      const t = numbers('temperature');
      let total = 0;
      for (const v of t) total += v;
      out.set(at, {
        count: t.length,
        temperature: total / t.length,
        min: Math.min(...t),
        max: Math.max(...t),
      });
    }
  }
  return out;
}

/** Problems of a presented value against the oracle's (empty when they agree). */
function disagreement(served: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [field, want] of Object.entries(expected)) {
    const got = served[field];
    if (Array.isArray(want)) {
      // Quantiles: within the sketch's 1 % of a value at the quantile's rank (± one rank).
      const sorted = want as number[];
      for (const [name, q] of [
        ['p50', 0.5],
        ['p95', 0.95],
        ['p99', 0.99],
      ] as const) {
        const value = (got as Record<string, number>)[name] as number;
        const rank = q * (sorted.length - 1);
        const lo = sorted[Math.max(0, Math.floor(rank) - 1)] as number;
        const hi = sorted[Math.min(sorted.length - 1, Math.ceil(rank) + 1)] as number;
        if (!(value >= lo * 0.99 - 1e-9 && value <= hi * 1.01 + 1e-9))
          problems.push(`${field}.${name} ${value} not within 1 % of [${lo}, ${hi}]`);
      }
    } else if (field === 'uniqueUsers') {
      const exact = want as number;
      if (Math.abs((got as number) - exact) > 0.02 * exact + 0.5)
        problems.push(`${field} ${got} vs ${exact} distinct`);
    } else if (field === 'temperature') {
      if (Math.abs((got as number) - (want as number)) > 1e-9 * Math.max(1, Math.abs(want as number)))
        problems.push(`${field} mean ${got} vs ${want}`);
    } else if (got !== want) {
      problems.push(`${field} ${String(got)} vs ${String(want)}`);
    }
  }
  return problems;
}

describe('batch and speed agree (the Lambda promise)', () => {
  it('per view, epoch and partition, the fused fold of random micro-batches gives the batch path state bytes; batch(≤E) ⊕ speed(>E) equals the naive oracle for every E', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(produce, { minLength: 1, maxLength: 600, size: 'medium' }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12, size: 'medium' }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (all, cuts, rollSeed) => {
          const byTopic = kafkaRecords(all);
          const speed = speedCells(byTopic, cuts);
          const files = lakeFiles(byTopic);
          const epochs = [...new Set(files.map((file) => file.epoch))].sort((a, b) => a - b);

          // 1. Per (view, epoch, partition): the speed cells equal the batch path over that one file, bytes equal.
          let speedCellsSeen = 0;
          for (const view of project.views) {
            const codec = (view.aggregator as AnyAggregator).codec;
            for (const file of files.filter((f) => f.topic === view.topic)) {
              for (const [at, state] of await batchStates(view, [file])) {
                const [key, bucket] = at.split('\u0000') as [string, string];
                const cell = speed.get(cellId(view.name, file.epoch, file.partition, key, Number(bucket)));
                expect(
                  cell,
                  `${view.name} epoch ${file.epoch} partition ${file.partition} ${key} ${bucket}`,
                ).not.toBe(undefined);
                expect(hex(codec.serialize(cell))).toBe(hex(codec.serialize(state)));
                speedCellsSeen++;
              }
            }
          }
          expect(speedCellsSeen).toBe(speed.size);

          // 2. For every watermark E (before all epochs, between them, after all): batch(≤E) ⊕ speed(>E) = oracle,
          // the batch reading the epochs ≤ E as the archiver may have rolled them (several files per partition).
          const lake = rolled(files, rollSeed);
          for (const watermark of [epochs[0] as number, ...epochs].map((e, i) => (i === 0 ? e - 1 : e))) {
            for (const view of project.views) {
              const aggregator = view.aggregator as AnyAggregator;
              const served = await batchStates(
                view,
                lake.filter((file) => file.epoch <= watermark),
              );
              for (const [id, state] of speed) {
                const [name, epoch, , key, bucket] = id.split('\u0000') as [
                  string,
                  string,
                  string,
                  string,
                  string,
                ];
                if (name !== view.name || Number(epoch) <= watermark) continue;
                const at = `${key}\u0000${bucket}`;
                const before = served.get(at);
                // A copy of the speed cell's state (`plus` may update its left state in place).
                const own =
                  before ?? aggregator.codec.deserialize(aggregator.codec.serialize(aggregator.zero));
                served.set(at, aggregator.plus(own, state));
              }
              const events = (byTopic.get(view.topic) ?? []).map(
                (record) => record.value as Record<string, unknown>,
              );
              const expected = oracle(view.name, events);
              expect([...served.keys()].sort()).toEqual([...expected.keys()].sort());
              for (const [at, want] of expected) {
                const presented = aggregator.present(served.get(at)) as Record<string, unknown>;
                expect(disagreement(presented, want), `${view.name} ${at} at E=${watermark}`).toEqual([]);
              }
            }
          }
        },
      ),
      { numRuns: Number(process.env.AGREE_RUNS ?? 100), seed: Number(process.env.AGREE_SEED ?? 13) },
    );
  }, 120_000);
});
