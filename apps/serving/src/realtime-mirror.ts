/**
 * The speed layer's increments, kept in memory and refreshed once per micro-batch instead of read on every
 * request.
 *
 * - **Data.** Per view and key, the stored increments hashes `rt:<view>:<epoch>:<partition>:<key>` (bucket →
 *   codec bytes) as the speed layer last committed them. Merging them (epochs after the request's watermark E)
 *   is the query's work; each key carries a version that changes whenever any of its hashes does.
 * - **Announcements.** After each successful commit the speed layer publishes what it wrote on
 *   `<prefix>rtcommits` (`RedisLayout.commits`): its generation, the offsets it moved to and the hashes, grouped.
 *   The mirror re-reads exactly those hashes (pipelined `HGETALL`s), once per commit, and then counts the commit's
 *   offsets as applied.
 * - **Read barrier.** A request first waits for a *probe* issued after it arrived — one script (`EVALSHA`) reading
 *   the generation marker, the status fields and every `offsets:<topic>` hash, shared by every request that
 *   arrived meanwhile — so an answer reflects every commit that finished before the request came, as when every request
 *   read Redis. On Redis Cluster those keys sit in different hash slots: the probe reads them with separate
 *   commands, the marker and status first, then the offsets (why that is safe: `#readClusterProbe`). When
 *   the probed offsets are beyond what the mirror applied: if announcements covering them arrived, only requests
 *   for keys those announcements name wait for their re-read; if none arrived within `announceWaitMs` (a lost
 *   announcement, a speed layer that does not announce, increments written by something else), the mirror reads
 *   every increment again (a reload), once for all waiting requests.
 * - **Generations.** A different generation marker, speed-status generation or `viewFingerprints` (a Redis that
 *   lost its data, a new speed-layer generation, changed view definitions) drops the mirror and reloads it, so
 *   increments of different generations or definitions are never merged; `rebuilding` is judged from the probed
 *   status exactly as before (view-status.ts).
 * - **Redis Cluster** (`cluster`, the cluster key layout): epoch and key sets are per Kafka partition; a reload
 *   reads each partition's sets and only that partition's hashes. Every multi-key read is one command per key
 *   (sent at once, each to its node), never a pipeline across slots. Announcements are the same JSON.
 * - **Expiry.** Epochs ≤ the watermark of every batch version still in use are dropped from memory
 *   ({@link RealtimeMirror.prune}); until then an answer on an older version still finds them, even after the
 *   speed layer expired them in Redis.
 */
import { createHash } from 'node:crypto';
import {
  hgetallBuffers,
  isRedisCluster,
  type RedisClient,
  readTopicOffsets,
  topicPartitions,
} from '@oxbow/connectors';
import { decodeReconciliation, RedisLayout, type ViewReconciliation } from '@oxbow/contracts';
import { ServingError } from './errors.ts';
import { parseSpeedReport, type SpeedReport } from './realtime-store.ts';

/** One stored increments hash: its buckets, ascending, and their states (codec bytes). */
export interface RealtimeCells {
  readonly buckets: readonly number[];
  readonly states: readonly Uint8Array[];
}

/** The increments of one key of a view: epoch → partition → cells. */
export class RealtimeKey {
  readonly key: string;
  readonly sources = new Map<number, Map<number, RealtimeCells>>();
  /** Changes (a sequence number of the mirror) whenever any of the key's hashes changed. */
  version = 0;

  constructor(key: string) {
    this.key = key;
  }

  /** True when some epoch after `watermark` holds increments (`undefined`: any epoch). */
  hasAfter(watermark: number | undefined): boolean {
    for (const epoch of this.sources.keys()) if (watermark === undefined || epoch > watermark) return true;
    return false;
  }

  /** Calls `visit` with every (bucket, state) of epochs after `watermark`, in no particular order. */
  forEachAfter(watermark: number | undefined, visit: (bucket: number, state: Uint8Array) => void): void {
    for (const [epoch, partitions] of this.sources) {
      if (watermark !== undefined && epoch <= watermark) continue;
      for (const cells of partitions.values()) {
        for (let index = 0; index < cells.buckets.length; index++) {
          visit(cells.buckets[index] as number, cells.states[index] as Uint8Array);
        }
      }
    }
  }
}

/** The mirrored increments of one view. */
export class RealtimeView {
  readonly name: string;
  readonly keys = new Map<string, RealtimeKey>();
  /** Changes whenever any key of the view changed. */
  version = 0;
  /** Keys changed, in order; `changes[i]` changed at `changesBase + i` or later. Trimmed when long. */
  changes: string[] = [];
  /** How many changes were trimmed off the front of `changes`. */
  changesBase = 0;
  readonly #epochKeys = new Map<number, number>();

  constructor(name: string) {
    this.name = name;
  }

  /** Epochs after `watermark` holding increments of the view, ascending. */
  epochsAfter(watermark: number | undefined): number[] {
    return [...this.#epochKeys.keys()]
      .filter((epoch) => watermark === undefined || epoch > watermark)
      .sort((a, b) => a - b);
  }

  /** Replaces the cells of one hash (an empty hash removes them) and records the change. */
  set(
    key: string,
    epoch: number,
    partition: number,
    cells: RealtimeCells | undefined,
    sequence: number,
  ): void {
    let entry = this.keys.get(key);
    if (entry === undefined) {
      if (cells === undefined) return;
      entry = new RealtimeKey(key);
      this.keys.set(key, entry);
    }
    let partitions = entry.sources.get(epoch);
    if (cells === undefined) {
      if (partitions?.delete(partition) !== true) return;
      if (partitions.size === 0) {
        entry.sources.delete(epoch);
        this.#countEpoch(epoch, -1);
      }
      if (entry.sources.size === 0) this.keys.delete(key);
    } else {
      if (partitions === undefined) {
        partitions = new Map();
        entry.sources.set(epoch, partitions);
        this.#countEpoch(epoch, 1);
      }
      partitions.set(partition, cells);
    }
    entry.version = sequence;
    this.#changed(key, sequence);
  }

  /** Drops every epoch ≤ `watermark`. */
  prune(watermark: number, sequence: number): void {
    if (![...this.#epochKeys.keys()].some((epoch) => epoch <= watermark)) return;
    for (const [key, entry] of this.keys) {
      let changed = false;
      for (const epoch of [...entry.sources.keys()]) {
        if (epoch > watermark) continue;
        entry.sources.delete(epoch);
        this.#countEpoch(epoch, -1);
        changed = true;
      }
      if (!changed) continue;
      entry.version = sequence;
      if (entry.sources.size === 0) this.keys.delete(key);
      this.#changed(key, sequence);
    }
  }

  #countEpoch(epoch: number, by: number): void {
    const count = (this.#epochKeys.get(epoch) ?? 0) + by;
    if (count <= 0) this.#epochKeys.delete(epoch);
    else this.#epochKeys.set(epoch, count);
  }

  #changed(key: string, sequence: number): void {
    this.version = sequence;
    this.changes.push(key);
    if (this.changes.length > 200_000) {
      this.changesBase += 100_000;
      this.changes = this.changes.slice(100_000);
    }
  }
}

/** What {@link RealtimeMirror.sync} waits for: a view (or one key of it), everything, or only the status. */
export interface SyncTarget {
  readonly view?: string;
  readonly key?: string;
  readonly statusOnly?: boolean;
}

/** What a request learned from its probe: the speed layer's status, as `rebuilding` and freshness read it. */
export interface SyncPoint {
  readonly report: SpeedReport;
}

/** Options of a {@link RealtimeMirror}. */
export interface RealtimeMirrorOptions {
  /** The command connection (probes, re-reads): a standalone client, or a cluster client with `cluster`. */
  readonly redis: RedisClient;
  /**
   * A connection for `SUBSCRIBE` only (default: `redis.duplicate()`, closed with the mirror; on a cluster the
   * duplicate cluster client subscribes through one node, and a cluster delivers a `PUBLISH` to every node).
   */
  readonly subscriber?: RedisClient;
  readonly prefix: string;
  /** True for the Redis Cluster key layout (`RedisLayout`'s `cluster` option); default false. */
  readonly cluster?: boolean;
  /** The views whose increments are mirrored, with the Kafka topics the speed layer reads for each. */
  readonly views: ReadonlyArray<{ readonly name: string; readonly kafkaTopics: readonly string[] }>;
  /** How long a request waits for announcements of offsets it probed before the mirror reloads (default 250). */
  readonly announceWaitMs?: number;
  /**
   * Least time between the starts of two probes (default 2; 0: one per turn of the event loop). Under load a
   * probe then serves the requests of that many milliseconds (each costs a round trip of Redis's CPU and ours);
   * a request waits for it at most that much longer.
   */
  readonly probeGapMs?: number;
  /** Told about background failures (a re-read that failed makes the next request reload). */
  readonly onError?: (error: unknown) => void;
}

/** Mirror-wide counters, for /metrics. */
export interface MirrorStats {
  probes: number;
  announcements: number;
  rereads: number;
  reloads: number;
}

interface Announcement {
  readonly generation: string;
  readonly offsets: ReadonlyMap<string, bigint>;
  /** view → epoch → partition → keys; `null`: read everything again. */
  readonly views: Record<string, Record<string, Record<string, string[]>>> | null;
}

interface Probe {
  readonly identity: string;
  /** The generation marker (`''` when absent). */
  readonly marker: string;
  readonly offsets: ReadonlyMap<string, bigint>;
  readonly report: SpeedReport;
}

/** `HGETALL`s in flight at once: one pipeline on standalone Redis, concurrent commands (to their nodes) on a cluster. */
const HGETALL_PER_PIPELINE = 1000;

/** One increments hash the mirror reads, and where its cells go. */
interface HashTarget {
  readonly view: string;
  readonly epoch: number;
  readonly partition: number;
  readonly key: string;
}

/**
 * One probe, one command: the generation marker, the status fields (ARGV) and each offsets hash (KEYS[3…]), read
 * at one point in time.
 */
const PROBE_LUA = `
local out = { redis.call('GET', KEYS[1]) or false, redis.call('HMGET', KEYS[2], unpack(ARGV)) }
for i = 3, #KEYS do out[#out + 1] = redis.call('HGETALL', KEYS[i]) end
return out
`;
const PROBE_SHA = createHash('sha1').update(PROBE_LUA).digest('hex');

/** The report of a speed layer whose status and generation marker vanished after it had reported: Redis lost its data. */
const LOST_REPORT: SpeedReport = { ...parseSpeedReport({}), lost: true };

/** The fields of `<prefix>speed:status` a probe reads (what `rebuilding` and `freshness` need). */
const STATUS_FIELDS = [
  'state',
  'updatedAt',
  'generation',
  'viewFingerprints',
  'rebuilding',
  'realtimeThrough',
  'lagMs',
] as const;

function unavailable(error: unknown): ServingError {
  if (error instanceof ServingError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ServingError('OXBOW_UNAVAILABLE', `Redis is unavailable: ${message}`, { cause: error });
}

function covered(wanted: ReadonlyMap<string, bigint>, have: ReadonlyMap<string, bigint>): boolean {
  for (const [partition, offset] of wanted) if ((have.get(partition) ?? -1n) < offset) return false;
  return true;
}

function parseCells(hash: Record<string, Buffer> | null | undefined): RealtimeCells | undefined {
  if (hash === null || hash === undefined) return undefined;
  const entries: Array<[number, Uint8Array]> = [];
  for (const [field, bytes] of Object.entries(hash)) {
    const bucket = Number(field);
    if (!Number.isSafeInteger(bucket)) continue;
    entries.push([bucket, Uint8Array.prototype.slice.call(bytes)]);
  }
  if (entries.length === 0) return undefined;
  entries.sort(([a], [b]) => a - b);
  return { buckets: entries.map(([bucket]) => bucket), states: entries.map(([, state]) => state) };
}

/**
 * The mirror of the speed layer's increments (see the module comment).
 *
 * @example
 * const mirror = new RealtimeMirror({ redis, prefix: 'oxbow:', views: [{ name: 'page_views_hourly', kafkaTopics: ['http_logs'] }] });
 * await mirror.start();
 * const { report } = await mirror.sync({ view: 'page_views_hourly', key: '/cart' });
 * mirror.view('page_views_hourly')?.keys.get('/cart')?.forEachAfter(E, (bucket, state) => merge(bucket, state));
 */
export class RealtimeMirror {
  readonly stats: MirrorStats = { probes: 0, announcements: 0, rereads: 0, reloads: 0 };
  readonly #redis: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #ownSubscriber: boolean;
  readonly #layout: RedisLayout;
  readonly #viewTopics: ReadonlyMap<string, readonly string[]>;
  readonly #kafkaTopics: readonly string[];
  readonly #announceWaitMs: number;
  readonly #probeGapMs: number;
  readonly #onError: (error: unknown) => void;
  #views = new Map<string, RealtimeView>();
  #sequence = 0;
  /** The generation the mirror holds (marker, status generation, fingerprints); undefined before the first load. */
  #identity: string | undefined;
  /** The generation marker the mirror holds (`''` when Redis has none). */
  #marker = '';
  #applied = new Map<string, bigint>();
  #announced = new Map<string, bigint>();
  /** Announcements received and not yet applied, in order. */
  #queue: Announcement[] = [];
  /** Keys named by queued or in-flight announcements, per view. */
  readonly #pendingKeys = new Map<string, Map<string, number>>();
  #pendingEverything = 0;
  #applying: Promise<void> | undefined;
  #reloading: Promise<void> | undefined;
  #needsReload = false;
  #announcementsSeen = false;
  /** Epochs ≤ this are dropped (the lowest watermark of the batch versions in use). */
  #pruneWatermark: number | undefined;
  #changed = Promise.withResolvers<void>();
  #probeWaiters: Array<PromiseWithResolvers<Probe>> = [];
  #lastStatus: { text: string; report: SpeedReport } | undefined;
  /** True once a probe found the speed layer's status (see {@link LOST_REPORT}). */
  #speedReported = false;
  #probing = false;
  #closed = false;

  constructor(options: RealtimeMirrorOptions) {
    this.#redis = options.redis;
    this.#ownSubscriber = options.subscriber === undefined;
    this.#subscriber = options.subscriber ?? duplicateOf(options.redis);
    if (this.#ownSubscriber) this.#subscriber.on('error', () => {});
    this.#layout = new RedisLayout(options.prefix, { cluster: options.cluster === true });
    this.#viewTopics = new Map(options.views.map((view) => [view.name, view.kafkaTopics]));
    this.#kafkaTopics = [...new Set(options.views.flatMap((view) => view.kafkaTopics))].sort();
    this.#announceWaitMs = options.announceWaitMs ?? 250;
    this.#probeGapMs = options.probeGapMs ?? 2;
    this.#onError = options.onError ?? (() => {});
  }

  /** Subscribes to the announcements (failures are reported; requests then reload on their own). */
  async start(): Promise<void> {
    if (this.#viewTopics.size === 0) return;
    this.#subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#onMessage(message));
    // After a reconnection, announcements sent meanwhile are lost: read everything again at the next request.
    let first = true;
    this.#subscriber.on('ready', () => {
      if (!first) this.#needsReload = true;
      first = false;
    });
    try {
      await this.#subscriber.subscribe(this.#layout.commits());
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Unsubscribes and closes the subscriber connection it created. */
  close(): void {
    this.#closed = true;
    if (this.#ownSubscriber) this.#subscriber.disconnect();
    else void this.#subscriber.unsubscribe(this.#layout.commits()).catch(() => {});
    this.#signal();
  }

  /** The mirrored increments of `view` (undefined when it is not mirrored). */
  view(name: string): RealtimeView | undefined {
    return this.#views.get(name);
  }

  /** True when `view` is mirrored (its topic is consumed by the speed layer). */
  mirrors(view: string): boolean {
    return this.#viewTopics.has(view);
  }

  /**
   * The speed layer's last reconciliation of each view with a batch version (`RedisLayout.reconciliation()`), by
   * view name; records that do not decode are left out. Throws `OXBOW_UNAVAILABLE` when Redis does not answer.
   */
  async reconciliations(): Promise<Map<string, ViewReconciliation>> {
    let fields: Record<string, string>;
    try {
      fields = await this.#redis.hgetall(this.#layout.reconciliation());
    } catch (error) {
      throw unavailable(error);
    }
    const records = new Map<string, ViewReconciliation>();
    for (const [view, text] of Object.entries(fields)) {
      const record = decodeReconciliation(text);
      if (record !== undefined && record.view === view) records.set(view, record);
    }
    return records;
  }

  /** The mirror's current sequence number (changes with any mirrored key). */
  get sequence(): number {
    return this.#sequence;
  }

  /**
   * Waits until the mirror reflects every commit that finished before this call (see the read barrier in the
   * module comment) and returns the probed speed status. With a `target` view, only that view must be current
   * (with `key`, only that key of it); with `statusOnly`, only the status is probed. Throws `OXBOW_UNAVAILABLE`
   * when Redis does not answer.
   */
  async sync(target?: SyncTarget): Promise<SyncPoint> {
    const probe = await this.#probe();
    if (this.#viewTopics.size === 0 || target?.statusOnly === true) return { report: probe.report };
    for (;;) {
      if (this.#closed) throw new ServingError('OXBOW_UNAVAILABLE', 'the server is closing');
      if (this.#identity !== probe.identity || this.#needsReload) {
        await this.#reload(probe);
        continue;
      }
      if (covered(probe.offsets, this.#applied)) break;
      if (covered(probe.offsets, this.#announced) && !this.#needsReload) {
        if (
          target?.view !== undefined &&
          this.#pendingEverything === 0 &&
          !this.#isPending(target.view, target.key)
        )
          break;
        await this.#changed.promise;
        continue;
      }
      // Offsets moved without (yet) an announcement for them: wait a little for one, then read everything.
      if (this.#announcementsSeen && (await this.#announcedWithin(probe.offsets))) continue;
      this.#needsReload = true;
    }
    return { report: probe.report };
  }

  /** Drops increments of epochs ≤ `watermark` (no batch version in use needs them any more). */
  prune(watermark: number | undefined): void {
    if (watermark === undefined || (this.#pruneWatermark !== undefined && watermark <= this.#pruneWatermark))
      return;
    this.#pruneWatermark = watermark;
    const sequence = ++this.#sequence;
    for (const view of this.#views.values()) view.prune(watermark, sequence);
  }

  #isPending(view: string, key: string | undefined): boolean {
    const keys = this.#pendingKeys.get(view);
    if (keys === undefined || keys.size === 0) return false;
    return key === undefined || keys.has(key);
  }

  async #announcedWithin(offsets: ReadonlyMap<string, bigint>): Promise<boolean> {
    const deadline = performance.now() + this.#announceWaitMs;
    while (!covered(offsets, this.#announced)) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#closed) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#changed.promise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  #signal(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  // ------------------------------------------------------------------ probes

  /** A probe issued after this call: joins the next one, which starts when the one in flight is answered. */
  #probe(): Promise<Probe> {
    const waiter = Promise.withResolvers<Probe>();
    this.#probeWaiters.push(waiter);
    if (!this.#probing) void this.#runProbes();
    return waiter.promise;
  }

  async #runProbes(): Promise<void> {
    this.#probing = true;
    try {
      // Each probe waits for the requests read in the same turn of the event loop, so one serves them all.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#probeWaiters.length > 0) {
        const waiters = this.#probeWaiters;
        this.#probeWaiters = [];
        const started = performance.now();
        try {
          const probe = await this.#readProbe();
          for (const waiter of waiters) waiter.resolve(probe);
        } catch (error) {
          const failure = unavailable(error);
          for (const waiter of waiters) waiter.reject(failure);
        }
        const gap = this.#probeGapMs - (performance.now() - started);
        if (gap > 0) await new Promise<void>((resolve) => setTimeout(resolve, gap));
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#probing = false;
    }
  }

  async #readProbe(): Promise<Probe> {
    this.stats.probes++;
    if (this.#layout.cluster) return this.#probeOf(...(await this.#readClusterProbe()));
    const keys = [
      this.#layout.generation(),
      this.#layout.status(),
      ...this.#kafkaTopics.map((topic) => this.#layout.offsets(topic)),
    ];
    let reply: unknown;
    try {
      reply = await this.#redis.evalsha(PROBE_SHA, keys.length, ...keys, ...STATUS_FIELDS);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      reply = await this.#redis.eval(PROBE_LUA, keys.length, ...keys, ...STATUS_FIELDS);
    }
    const replies = reply as [string | null, Array<string | null>, ...string[][]];
    const offsets = (replies.slice(2) as string[][]).map((flat) => {
      const fields: Record<string, string> = {};
      for (let field = 0; field + 1 < flat.length; field += 2)
        fields[flat[field] as string] = flat[field + 1] as string;
      return fields;
    });
    return this.#probeOf(replies[0], replies[1] ?? [], offsets);
  }

  /**
   * The probe's values on Redis Cluster, where the marker (its own hash tag), the status (no tag) and each
   * partition's offsets (tagged by partition) sit in different slots and no script can read them together. They
   * are read with separate commands, in two steps: the marker and the status fields, then — once they answered —
   * the offsets of every topic (`readTopicOffsets`: the partition registry, then each partition's hash).
   *
   * What is given up is reading them at one instant: a commit, or a generation change, may land between the
   * reads. That is safe because:
   * - every read is issued after the requests the probe serves arrived, so each sees every commit that finished
   *   before them: the barrier holds per value; a value newer than the others only makes the mirror catch up on
   *   more than the requests needed;
   * - a partition's commit is one script in the partition's slot (increments, key and epoch sets, offset), so an
   *   offset read means that partition's increments up to it are readable from then on; partitions are
   *   independent, so reading their offsets at different instants mixes nothing;
   * - the offsets are read after the marker: the speed layer deletes a generation's keys (offsets included)
   *   before it installs a new marker, so offsets read after a new marker are never the old generation's (higher)
   *   ones, which a reload would count as applied and so miss the new generation's commits. Offsets read after
   *   an old marker may already be the new generation's (or missing): the mirror then answers from the old
   *   generation, as for a request that came before the change, and the next probe sees the new marker;
   * - the status's generation and fingerprints are part of the identity, as with the script: a status written
   *   apart from the marker at most causes one more reload.
   */
  async #readClusterProbe(): Promise<[string | null, Array<string | null>, Array<Record<string, string>>]> {
    const [marker, values] = await Promise.all([
      this.#redis.get(this.#layout.generation()),
      this.#redis.hmget(this.#layout.status(), ...STATUS_FIELDS),
    ]);
    const offsets = await Promise.all(
      this.#kafkaTopics.map((topic) => readTopicOffsets(this.#redis, this.#layout, topic)),
    );
    return [marker, values, offsets];
  }

  /** A probe of the marker, the status fields (in {@link STATUS_FIELDS} order) and each topic's offsets. */
  #probeOf(
    markerValue: string | null | undefined,
    values: ReadonlyArray<string | null>,
    topicOffsets: ReadonlyArray<Readonly<Record<string, string>>>,
  ): Probe {
    const marker = markerValue ?? '';
    const status: Record<string, string> = {};
    STATUS_FIELDS.forEach((field, index) => {
      const value = values[index];
      if (typeof value === 'string') status[field] = value;
    });
    const offsets = new Map<string, bigint>();
    this.#kafkaTopics.forEach((topic, index) => {
      for (const [partition, offset] of Object.entries(topicOffsets[index] ?? {})) {
        if (/^\d+$/.test(offset)) offsets.set(`${topic}:${partition}`, BigInt(offset));
      }
    });
    const identity = `${marker}\n${status.generation ?? ''}\n${status.viewFingerprints ?? ''}`;
    if (Object.keys(status).length > 0) this.#speedReported = true;
    else if (this.#speedReported && marker === '') {
      // The speed layer reported before, and its status and marker are gone: Redis lost its data.
      return { identity, marker, offsets, report: LOST_REPORT };
    }
    // A status that did not change gives the same report (requests compare it, and parse nothing again).
    const statusText = JSON.stringify(status);
    if (this.#lastStatus?.text !== statusText)
      this.#lastStatus = { text: statusText, report: parseSpeedReport(status) };
    return { identity, marker, offsets, report: this.#lastStatus.report };
  }

  // ------------------------------------------------------------------ announcements

  #onMessage(message: Buffer): void {
    let parsed: { generation?: unknown; offsets?: unknown; views?: unknown };
    try {
      parsed = JSON.parse(message.toString('utf8'));
    } catch {
      return;
    }
    if (
      typeof parsed.generation !== 'string' ||
      typeof parsed.offsets !== 'object' ||
      parsed.offsets === null
    )
      return;
    const offsets = new Map<string, bigint>();
    for (const [topic, partitions] of Object.entries(
      parsed.offsets as Record<string, Record<string, string>>,
    )) {
      for (const [partition, offset] of Object.entries(partitions ?? {})) {
        if (typeof offset === 'string' && /^\d+$/.test(offset))
          offsets.set(`${topic}:${partition}`, BigInt(offset));
      }
    }
    const views =
      typeof parsed.views === 'object' && parsed.views !== null
        ? (parsed.views as Announcement['views'])
        : null;
    this.stats.announcements++;
    this.#announcementsSeen = true;
    const announcement: Announcement = { generation: parsed.generation, offsets, views };
    // Offsets of another generation say nothing about this one's (a new generation starts lower); while a
    // reload runs the generation is not known yet: the reload counts the queued announcements when it ends.
    if (announcement.generation === this.#marker && this.#reloading === undefined)
      this.#raiseAnnounced(announcement);
    this.#queue.push(announcement);
    this.#markPending(announcement, 1);
    this.#signal();
    if (this.#reloading === undefined) this.#applySoon();
  }

  #raiseAnnounced(announcement: Announcement): void {
    for (const [partition, offset] of announcement.offsets) {
      if ((this.#announced.get(partition) ?? -1n) < offset) this.#announced.set(partition, offset);
    }
  }

  #markPending(announcement: Announcement, by: 1 | -1): void {
    if (announcement.views === null) {
      this.#pendingEverything += by;
      return;
    }
    for (const [view, epochs] of Object.entries(announcement.views)) {
      if (!this.#viewTopics.has(view)) continue;
      let keys = this.#pendingKeys.get(view);
      if (keys === undefined) {
        keys = new Map();
        this.#pendingKeys.set(view, keys);
      }
      for (const partitions of Object.values(epochs)) {
        for (const names of Object.values(partitions)) {
          for (const key of names) {
            const count = (keys.get(key) ?? 0) + by;
            if (count <= 0) keys.delete(key);
            else keys.set(key, count);
          }
        }
      }
    }
  }

  #applySoon(): void {
    if (this.#applying !== undefined || this.#queue.length === 0 || this.#closed) return;
    this.#applying = this.#applyQueued()
      .catch((error: unknown) => {
        // Announced changes were not read: read everything again at the next request.
        this.#needsReload = true;
        this.#onError(error);
      })
      .finally(() => {
        this.#applying = undefined;
        this.#signal();
        if (this.#reloading === undefined) this.#applySoon();
      });
  }

  /** Re-reads the hashes of every queued announcement (of the mirrored generation) in pipelines. */
  async #applyQueued(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    try {
      const hashes = new Map<string, HashTarget>();
      let everything = false;
      for (const announcement of batch) {
        if (announcement.generation !== this.#marker) continue;
        if (announcement.views === null) {
          everything = true;
          continue;
        }
        for (const [view, epochs] of Object.entries(announcement.views)) {
          if (!this.#viewTopics.has(view)) continue;
          for (const [epochText, partitions] of Object.entries(epochs)) {
            const epoch = Number(epochText);
            if (!Number.isSafeInteger(epoch)) continue;
            if (this.#pruneWatermark !== undefined && epoch <= this.#pruneWatermark) continue;
            for (const [partitionText, keys] of Object.entries(partitions)) {
              const partition = Number(partitionText);
              for (const key of keys) {
                const hash = this.#layout.increments(view, epoch, partition, key);
                hashes.set(hash, { view, epoch, partition, key });
              }
            }
          }
        }
      }
      if (everything) {
        this.#needsReload = true;
        return;
      }
      const targets = [...hashes.values()];
      const read = await this.#readCells(targets);
      if (this.#reloading !== undefined) return;
      this.stats.rereads += targets.length;
      const sequence = ++this.#sequence;
      targets.forEach((target, index) => {
        this.#views.get(target.view)?.set(target.key, target.epoch, target.partition, read[index], sequence);
      });
      for (const announcement of batch) {
        if (announcement.generation !== this.#marker) continue;
        for (const [partition, offset] of announcement.offsets) {
          if ((this.#applied.get(partition) ?? -1n) < offset) this.#applied.set(partition, offset);
        }
      }
    } finally {
      for (const announcement of batch) this.#markPending(announcement, -1);
    }
  }

  // ------------------------------------------------------------------ reloads

  /** Reads every increment of every mirrored view again (shared by every caller while it runs). */
  #reload(probe: Probe): Promise<void> {
    this.#reloading ??= this.#readEverything(probe).finally(() => {
      this.#reloading = undefined;
      this.#signal();
      this.#applySoon();
    });
    return this.#reloading;
  }

  async #readEverything(probe: Probe): Promise<void> {
    // Wait for a re-read in flight: its results belong to the mirror being replaced.
    await this.#applying?.catch(() => {});
    this.#needsReload = false;
    this.stats.reloads++;
    const views = new Map<string, RealtimeView>();
    const sequence = ++this.#sequence;
    try {
      for (const [name, topics] of this.#viewTopics) {
        const view = new RealtimeView(name);
        views.set(name, view);
        const targets = this.#layout.cluster
          ? await this.#clusterTargets(name, topics)
          : await this.#standaloneTargets(name, topics);
        const cells = await this.#readCells(targets);
        targets.forEach((target, index) => {
          view.set(target.key, target.epoch, target.partition, cells[index], sequence);
        });
      }
    } catch (error) {
      this.#needsReload = true;
      throw unavailable(error);
    }
    // Each view's version moves on, so nothing cached from the replaced mirror is taken for current.
    for (const [name, view] of views) {
      const old = this.#views.get(name);
      view.version = sequence;
      view.changesBase = (old?.changesBase ?? 0) + (old?.changes.length ?? 0) + 1;
      view.changes = [];
    }
    this.#views = views;
    this.#identity = probe.identity;
    this.#marker = probe.marker;
    // Everything read was written at or after the probe: its offsets are applied. Announcements queued meanwhile
    // (of commits during the reading) are applied next; those of another generation are dropped then.
    this.#applied = new Map(probe.offsets);
    this.#announced.clear();
    for (const [partition, offset] of probe.offsets) this.#announced.set(partition, offset);
    for (const announcement of this.#queue) {
      if (announcement.generation === probe.marker) this.#raiseAnnounced(announcement);
    }
  }

  /** The epochs after the prune watermark in an epoch sorted set, as numbers. */
  async #epochsIn(key: string): Promise<number[]> {
    const min = this.#pruneWatermark === undefined ? '-inf' : `(${this.#pruneWatermark}`;
    return (await this.#redis.zrangebyscore(key, min, '+inf')).map(Number).filter(Number.isSafeInteger);
  }

  /** The partitions of the Kafka `topics` (with stored offsets, or registered on a cluster), ascending. */
  async #partitionsOf(topics: readonly string[]): Promise<number[]> {
    const partitions = new Set<number>();
    for (const topic of topics) {
      for (const partition of await topicPartitions(this.#redis, this.#layout, topic))
        partitions.add(partition);
    }
    return [...partitions].sort((a, b) => a - b);
  }

  /** Standalone layout: every hash of a view — each epoch's keys (one set for all partitions) × the partitions. */
  async #standaloneTargets(view: string, topics: readonly string[]): Promise<HashTarget[]> {
    const epochs = await this.#epochsIn(this.#layout.epochs(view));
    if (epochs.length === 0) return [];
    const partitions = await this.#partitionsOf(topics);
    const targets: HashTarget[] = [];
    if (partitions.length === 0) return targets;
    for (const epoch of epochs) {
      for (const key of await this.#redis.smembers(this.#layout.keyIndex(view, epoch))) {
        for (const partition of partitions) targets.push({ view, epoch, partition, key });
      }
    }
    return targets;
  }

  /**
   * Cluster layout: every hash of a view — per partition, its epochs and each epoch's keys, in that partition's
   * slot (a partition without an epoch in its set wrote nothing in it: its commit script writes both).
   */
  async #clusterTargets(view: string, topics: readonly string[]): Promise<HashTarget[]> {
    const targets: HashTarget[] = [];
    for (const partition of await this.#partitionsOf(topics)) {
      const epochs = await this.#epochsIn(this.#layout.epochs(view, partition));
      const keySets = await Promise.all(
        epochs.map((epoch) => this.#redis.smembers(this.#layout.keyIndex(view, epoch, partition))),
      );
      epochs.forEach((epoch, index) => {
        for (const key of keySets[index] ?? []) targets.push({ view, epoch, partition, key });
      });
    }
    return targets;
  }

  /** The cells of each target's hash (`undefined` for an empty or missing one), in order; a failed read rejects. */
  async #readCells(targets: readonly HashTarget[]): Promise<Array<RealtimeCells | undefined>> {
    const cells: Array<RealtimeCells | undefined> = [];
    for (let start = 0; start < targets.length; start += HGETALL_PER_PIPELINE) {
      const slice = targets.slice(start, start + HGETALL_PER_PIPELINE);
      const hashes = await hgetallBuffers(
        this.#redis,
        slice.map(({ view, epoch, partition, key }) => this.#layout.increments(view, epoch, partition, key)),
        HGETALL_PER_PIPELINE,
      );
      for (const hash of hashes) cells.push(parseCells(hash));
    }
    return cells;
  }
}

/** A second connection to the same Redis (or cluster), for `SUBSCRIBE`. */
function duplicateOf(redis: RedisClient): RedisClient {
  return isRedisCluster(redis) ? redis.duplicate() : redis.duplicate();
}
