/**
 * Records per second of the speed layer, from its cumulative per-topic record counters sampled at each refresh:
 * the difference between two samples over the time between them.
 */

/** One sample: when, and the records committed so far. */
export interface RecordsSample {
  readonly atMs: number;
  readonly records: number;
}

/** Samples kept for the chart (an hour at a 30 s refresh). */
const MAX_SAMPLES = 120;

/** The recent samples and the rate between consecutive ones. */
export class ThroughputHistory {
  readonly #samples: RecordsSample[] = [];

  /** Adds a sample; a counter that went down (Redis reset) starts the history again. */
  add(sample: RecordsSample): void {
    const last = this.#samples.at(-1);
    if (last && (sample.records < last.records || sample.atMs <= last.atMs)) this.#samples.length = 0;
    this.#samples.push(sample);
    if (this.#samples.length > MAX_SAMPLES) this.#samples.shift();
  }

  /** Records per second between the last two samples; `null` before there are two. */
  latestRate(): number | null {
    const [previous, last] = this.#samples.slice(-2);
    if (!previous || !last) return null;
    return ((last.records - previous.records) * 1000) / (last.atMs - previous.atMs);
  }

  /** Each sample after the first with the rate since the one before it (times in seconds). */
  rates(): { times: number[]; rates: number[] } {
    const times: number[] = [];
    const rates: number[] = [];
    for (let index = 1; index < this.#samples.length; index++) {
      const previous = this.#samples[index - 1];
      const sample = this.#samples[index];
      if (!previous || !sample) continue;
      times.push(sample.atMs / 1000);
      rates.push(((sample.records - previous.records) * 1000) / (sample.atMs - previous.atMs));
    }
    return { times, rates };
  }
}
