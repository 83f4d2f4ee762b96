/**
 * Event-time windows with a watermark, beyond Spark's DStreams (Structured Streaming / Flink semantics):
 * records are grouped by key and by the windows of their own timestamps; a window's result is emitted once,
 * when the watermark (max event time seen − allowed lateness, as of the previous batch) passes its end. Records
 * that arrive after their windows were emitted are late: counted, and sent to the `lateRecords()` side output,
 * never silently dropped. State (open windows, watermark) is checkpointed as data through the aggregator's codec.
 */
import type { Aggregator } from '../../aggregators/algebra.ts';
import { KeyMap } from '../../keys/key-map.ts';
import type { RDD } from '../../rdd/rdd.ts';
import { DStream } from '../dstream.ts';
import { type EventTimeWindowSpec, fixedWindowsOf, validateWindowSpec } from './window-assigner.ts';

/** Options of `DStream.eventTimeWindow`. */
export interface EventTimeWindowOptions<T, K, S, O> {
  /** The record's event time in epoch milliseconds. */
  timestamp: (record: T) => number;
  /** The record's key. */
  key: (record: T) => K;
  window: EventTimeWindowSpec;
  /** How far behind the maximum event time seen records are still accepted. */
  allowedLatenessMs: number;
  /** How the records of a window are aggregated. */
  aggregator: Aggregator<T, S, O>;
}

/** One emitted window. */
export interface WindowResult<K, O> {
  key: K;
  start: number;
  end: number;
  value: O;
  count: number;
}

interface OpenWindow<S> {
  start: number;
  end: number;
  state: S;
  count: number;
}

interface Snapshot {
  time: number;
  maxEventTime: number;
  lateRecords: number;
  windows: Array<[key: unknown, start: number, end: number, state: Uint8Array, count: number]>;
}

export class EventTimeWindowDStream<T, K, S, O> extends DStream<WindowResult<K, O>> {
  override readonly mustCheckpoint = true;
  private readonly parent: DStream<T>;
  private readonly options: EventTimeWindowOptions<T, K, S, O>;
  private readonly open = new KeyMap<K, OpenWindow<S>[]>();
  private readonly lateByTime = new Map<number, T[]>();
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private lastComputedTime = Number.NEGATIVE_INFINITY;
  /** Records that arrived after their windows were emitted, since the start. */
  lateRecordCount = 0;

  constructor(parent: DStream<T>, options: EventTimeWindowOptions<T, K, S, O>) {
    super(parent.ssc);
    validateWindowSpec(options.window);
    this.parent = parent;
    this.options = options;
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  /** The current watermark: records with windows ending at or before it are late. */
  get watermark(): number {
    return this.maxEventTime - this.options.allowedLatenessMs;
  }

  /** The late records of each batch (a side output). */
  lateRecords(): DStream<T> {
    return new LateRecordsDStream<T>(this as EventTimeWindowDStream<T, unknown, unknown, unknown>);
  }

  /** Late records cut at `time` (used by the side output). */
  lateAt(time: number): T[] {
    return this.lateByTime.get(time) ?? [];
  }

  async compute(time: number): Promise<RDD<WindowResult<K, O>> | undefined> {
    const ctx = this.ssc.dataflowContext;
    if (time <= this.lastComputedTime) return ctx.parallelize<WindowResult<K, O>>([], 1); // restored past it
    // Process batches in order: the watermark depends on every earlier batch.
    if (time - this.slideDuration > this.lastComputedTime) await this.getOrCompute(time - this.slideDuration);
    const batch = await this.parent.getOrCompute(time);
    const records = batch ? await batch.collect() : [];
    const watermark = this.watermark;
    const late: T[] = [];
    const { timestamp, key: keyOf, window, aggregator } = this.options;
    let batchMax = this.maxEventTime;
    for (const record of records) {
      const ts = timestamp(record);
      if (!Number.isFinite(ts)) {
        late.push(record);
        continue;
      }
      const key = keyOf(record);
      const accepted =
        window.kind === 'session'
          ? this.addToSession(key, ts, record, watermark)
          : this.addToFixed(key, ts, record, watermark);
      if (!accepted) late.push(record);
      if (ts > batchMax) batchMax = ts;
    }
    this.maxEventTime = batchMax;
    this.lateRecordCount += late.length;
    this.lateByTime.set(time, late);
    for (const t of this.lateByTime.keys())
      if (t <= time - (this.rememberDuration ?? this.slideDuration)) this.lateByTime.delete(t);

    const closed: WindowResult<K, O>[] = [];
    const newWatermark = this.watermark;
    for (const [key, windows] of [...this.open.entries()]) {
      const stillOpen: OpenWindow<S>[] = [];
      for (const w of windows) {
        if (w.end <= newWatermark) {
          closed.push({
            key,
            start: w.start,
            end: w.end,
            value: aggregator.present(w.state),
            count: w.count,
          });
        } else stillOpen.push(w);
      }
      if (stillOpen.length === 0) this.open.delete(key);
      else this.open.set(key, stillOpen);
    }
    closed.sort((a, b) => a.end - b.end || a.start - b.start);
    this.lastComputedTime = time;
    return ctx.parallelize(closed, 1);
  }

  private addToFixed(key: K, ts: number, record: T, watermark: number): boolean {
    const spec = this.options.window as Exclude<EventTimeWindowSpec, { kind: 'session' }>;
    const windows = fixedWindowsOf(spec, ts).filter((w) => w.end > watermark);
    if (windows.length === 0) return false;
    const open = this.open.get(key) ?? [];
    for (const w of windows) {
      let target = open.find((o) => o.start === w.start);
      if (!target) {
        target = { start: w.start, end: w.end, state: this.options.aggregator.zero, count: 0 };
        open.push(target);
      }
      target.state = this.options.aggregator.append(target.state, record);
      target.count += 1;
    }
    this.open.set(key, open);
    return true;
  }

  private addToSession(key: K, ts: number, record: T, watermark: number): boolean {
    const gap = (this.options.window as { gapMs: number }).gapMs;
    if (ts + gap <= watermark) return false;
    const { aggregator } = this.options;
    const open = this.open.get(key) ?? [];
    let session: OpenWindow<S> = {
      start: ts,
      end: ts + gap,
      state: aggregator.append(aggregator.zero, record),
      count: 1,
    };
    // Merge every open session this record's [ts, ts + gap) touches.
    const untouched: OpenWindow<S>[] = [];
    for (const other of open) {
      if (other.start <= session.end && session.start <= other.end) {
        session = {
          start: Math.min(session.start, other.start),
          end: Math.max(session.end, other.end),
          state: aggregator.plus(session.state, other.state),
          count: session.count + other.count,
        };
      } else untouched.push(other);
    }
    untouched.push(session);
    this.open.set(key, untouched);
    return true;
  }

  override checkpointState(): Snapshot {
    const codec = this.options.aggregator.codec;
    const windows: Snapshot['windows'] = [];
    for (const [key, list] of this.open.entries()) {
      for (const w of list) windows.push([key, w.start, w.end, codec.serialize(w.state), w.count]);
    }
    return {
      time: this.lastComputedTime,
      maxEventTime: this.maxEventTime,
      lateRecords: this.lateRecordCount,
      windows,
    };
  }

  override restoreState(state: unknown): void {
    const snapshot = state as Snapshot | undefined;
    if (!snapshot) return;
    const codec = this.options.aggregator.codec;
    this.lastComputedTime = snapshot.time;
    this.maxEventTime = snapshot.maxEventTime;
    this.lateRecordCount = snapshot.lateRecords;
    this.open.clear();
    for (const [key, start, end, bytes, count] of snapshot.windows) {
      const list = this.open.get(key as K) ?? [];
      list.push({ start, end, state: codec.deserialize(bytes), count });
      this.open.set(key as K, list);
    }
  }
}

/** The side output of late records. */
class LateRecordsDStream<T> extends DStream<T> {
  private readonly windowed: EventTimeWindowDStream<T, unknown, unknown, unknown>;

  constructor(windowed: EventTimeWindowDStream<T, unknown, unknown, unknown>) {
    super(windowed.ssc);
    this.windowed = windowed;
  }

  get slideDuration(): number {
    return this.windowed.slideDuration;
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.windowed as DStream<unknown>];
  }

  async compute(time: number): Promise<RDD<T> | undefined> {
    await this.windowed.getOrCompute(time);
    return this.ssc.dataflowContext.parallelize(this.windowed.lateAt(time), 1);
  }
}
