/**
 * Rendered answers, cached as bytes: per (route, view, key or ranking, range, raw) the JSON up to its
 * `freshness`, stamped with what it was computed from — the batch version, the key's (or view's) realtime
 * version and the watermark — so an entry is reused only while those are unchanged, and never needs an explicit
 * invalidation. The speed layer's position (`freshness`) moves with every micro-batch, so the body and its ETag
 * are completed per position: one small hash, and the bytes of the last position are kept.
 *
 * The ETag is a hash of the data's hash and the freshness: equal bodies get equal ETags on every replica, as
 * when the whole body was hashed, without hashing it per request.
 */
import { createHash } from 'node:crypto';

/** A rendered answer: the body and its strong ETag. */
export interface RenderedAnswer {
  readonly body: Buffer;
  readonly etag: string;
}

interface Entry {
  readonly stamp: string;
  /** The body up to (and with) `"freshness":`. */
  readonly data: Buffer;
  readonly dataHash: string;
  freshness: string | undefined;
  answer: RenderedAnswer | undefined;
}

const CLOSE = Buffer.from('}');

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
      data,
      dataHash: createHash('sha1').update(data).digest('base64url'),
      freshness: undefined,
      answer: undefined,
    };
    this.#store(key, entry);
    return this.#complete(entry, freshness);
  }

  #complete(entry: Entry, freshness: string): RenderedAnswer {
    if (entry.freshness !== freshness || entry.answer === undefined) {
      const etag = `"${createHash('sha1').update(entry.dataHash).update(freshness).digest('base64url')}"`;
      entry.freshness = freshness;
      entry.answer = { body: Buffer.concat([entry.data, Buffer.from(freshness), CLOSE]), etag };
    }
    return entry.answer;
  }

  #store(key: string, entry: Entry): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.stats.bytes -= 2 * previous.data.length;
    }
    // Data and the completed body are both kept.
    const size = 2 * entry.data.length;
    if (size > this.#budget) {
      this.stats.entries = this.#entries.size;
      return;
    }
    this.#entries.set(key, entry);
    this.stats.bytes += size;
    for (const [oldest, old] of this.#entries) {
      if (this.stats.bytes <= this.#budget) break;
      this.#entries.delete(oldest);
      this.stats.bytes -= 2 * old.data.length;
    }
    this.stats.entries = this.#entries.size;
  }
}
