/**
 * A small seeded pseudo-random source (SplitMix32 state stepping with a Murmur3-style finalizer), and the
 * distributions the generators draw from. Same seed, same sequence, on every platform.
 */

/** A deterministic source of uniform numbers in [0, 1) and the draws built on it. */
export class SeededRandom {
  private state: number;

  /** @param seed any integer; different seeds give unrelated sequences */
  constructor(seed: number) {
    this.state = Math.trunc(seed) >>> 0 || 0x9e3779b9;
  }

  /** A uniform number in [0, 1) with 32 bits of randomness. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** A normally distributed number (Box–Muller). */
  normal(mean: number, standardDeviation: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + standardDeviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A log-normally distributed number with the given median and shape σ. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }
}

/** Draws an index from fixed weights (or a Zipf law) by binary search over the cumulative weights. */
export class WeightedIndex {
  private readonly cumulative: Float64Array;

  /** @param weights non-negative weights, at least one positive */
  constructor(weights: readonly number[]) {
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((weight, index) => {
      total += weight;
      this.cumulative[index] = total;
    });
    for (let index = 0; index < this.cumulative.length; index++) {
      this.cumulative[index] = (this.cumulative[index] ?? 0) / total;
    }
  }

  /** Zipf's law over `n` ranks: rank k (0-based) has weight 1/(k+1)^exponent. */
  static zipf(n: number, exponent: number): WeightedIndex {
    return new WeightedIndex(Array.from({ length: n }, (_, k) => 1 / (k + 1) ** exponent));
  }

  /** The number of indexes. */
  get size(): number {
    return this.cumulative.length;
  }

  /** Draws an index. */
  draw(random: SeededRandom): number {
    const u = random.next();
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.cumulative[middle] ?? 1) > u) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}

/** A choice among values with weights: `[['GET', 85], ['POST', 10]]`. */
export class WeightedChoice<T> {
  private readonly values: readonly T[];
  private readonly index: WeightedIndex;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.values = entries.map(([value]) => value);
    this.index = new WeightedIndex(entries.map(([, weight]) => weight));
  }

  /** Draws a value. */
  draw(random: SeededRandom): T {
    return this.values[this.index.draw(random)] as T;
  }
}
