/**
 * Rendered answers, cached as bytes: per (route, view, key or ranking, range, raw) the JSON up to its
 * `freshness`, stamped with what it was computed from — the batch version, the key's (or view's) realtime
 * version and the watermark — so an entry is reused only while those are unchanged, and never needs an explicit
 * invalidation. The speed layer's position (`freshness`) moves with every micro-batch, so the body and its ETag
 * are completed per position: one small hash, and the bytes of the last position are kept.
 *
 * The ETag is weak (`W/"<hash of the data>"`): it names the data — the batch version and the realtime state the
 * answer was merged from — not the speed layer's position in `freshness`, so a client revalidating gets a 304 for
 * as long as its answer's numbers hold, and equal data gets equal ETags on every replica, without hashing per
 * request.
 */
import { createHash } from 'node:crypto';

/** A rendered answer: the body and its (weak) ETag. */
export interface RenderedAnswer {
  readonly body: Buffer;
  readonly etag: string;
}

/** `}`. */
const CLOSE = 0x7d;

interface Entry {
  readonly stamp: string;
  /** True while the cache holds it (its bytes count in the budget). */
  cached: boolean;
  /** The body; its first `dataLength` bytes are the answer up to (and with) `"freshness":`. */
  body: Buffer;
  readonly dataLength: number;
  readonly etag: string;
  /** The freshness the body ends with. */
  freshness: string | undefined;
}

/** Counters of an {@link AnswerCache}, for /metrics. */
export interface AnswerCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/**
 * A least-recently-used cache of rendered answers within a byte budget.
 *
 * @example
 * const cache = new AnswerCache(64 * 2 ** 20);
 * const answer = cache.lookup(key, stamp, freshnessJson) ?? cache.store(key, stamp, freshnessJson, render());
 */
export class AnswerCache {
  readonly stats: AnswerCacheStats = { hits: 0, misses: 0, entries: 0, bytes: 0 };
  readonly #budget: number;
  readonly #entries = new Map<string, Entry>();

  /** @param budgetBytes the most bytes of answers kept (0: nothing is cached) */
  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  /** The answer cached under `key` when its stamp is `stamp`, completed with `freshness`; else undefined. */
  lookup(key: string, stamp: string, freshness: string): RenderedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.stamp !== stamp) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    // Most recently used last.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return this.#complete(entry, freshness);
  }

  /** Caches `data` (the body up to `"freshness":`) under `key` with `stamp`; returns it completed. */
  store(key: string, stamp: string, freshness: string, data: Buffer): RenderedAnswer {
    const entry: Entry = {
      stamp,
      body: data,
      dataLength: data.length,
      etag: `W/"${createHash('sha1').update(data).digest('base64url').slice(0, 27)}"`,
      freshness: undefined,
      cached: false,
    };
    this.#store(key, entry);
    return this.#complete(entry, freshness);
  }

  /** The entry's body ending with `freshness` (a new body when the speed layer's position moved). */
  #complete(entry: Entry, freshness: string): RenderedAnswer {
    if (entry.freshness !== freshness) {
      const previous = entry.body;
      const body = Buffer.allocUnsafeSlow(entry.dataLength + Buffer.byteLength(freshness) + 1);
      previous.copy(body, 0, 0, entry.dataLength);
      const end = entry.dataLength + body.write(freshness, entry.dataLength, 'utf8');
      body[end] = CLOSE;
      if (entry.cached) this.stats.bytes += body.length - previous.length;
      entry.body = body;
      entry.freshness = freshness;
    }
    return { body: entry.body, etag: entry.etag };
  }

  #store(key: string, entry: Entry): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      previous.cached = false;
      this.stats.bytes -= previous.body.length;
    }
    if (entry.body.length > this.#budget) {
      this.stats.entries = this.#entries.size;
      return;
    }
    this.#entries.set(key, entry);
    entry.cached = true;
    this.stats.bytes += entry.body.length;
    for (const [oldest, old] of this.#entries) {
      if (this.stats.bytes <= this.#budget) break;
      this.#entries.delete(oldest);
      old.cached = false;
      this.stats.bytes -= old.body.length;
    }
    this.stats.entries = this.#entries.size;
  }
}
