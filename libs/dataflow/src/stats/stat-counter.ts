/**
 * Spark's `StatCounter`: count, mean, variance (Welford's online algorithm, mergeable across partitions),
 * max and min of numbers.
 */

/** The summary `RDD.stats()` returns. */
export interface Stats {
  count: number;
  mean: number;
  stdev: number;
  sampleStdev: number;
  max: number;
  min: number;
  variance: number;
  sampleVariance: number;
  sum: number;
}

export class StatCounter {
  count = 0;
  mu = 0;
  m2 = 0;
  max = Number.NEGATIVE_INFINITY;
  min = Number.POSITIVE_INFINITY;

  /** Adds one value. */
  merge(value: number): this {
    const delta = value - this.mu;
    this.count += 1;
    this.mu += delta / this.count;
    this.m2 += delta * (value - this.mu);
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
    return this;
  }

  /** Merges another counter's values into this one (Chan et al.'s parallel update). */
  mergeCounter(other: Pick<StatCounter, 'count' | 'mu' | 'm2' | 'max' | 'min'>): this {
    if (other.count === 0) return this;
    if (this.count === 0) {
      this.count = other.count;
      this.mu = other.mu;
      this.m2 = other.m2;
      this.max = other.max;
      this.min = other.min;
      return this;
    }
    const delta = other.mu - this.mu;
    const total = this.count + other.count;
    if (other.count * 10 < this.count) this.mu += (delta * other.count) / total;
    else if (this.count * 10 < other.count) this.mu = other.mu - (delta * this.count) / total;
    else this.mu = (this.mu * this.count + other.mu * other.count) / total;
    this.m2 += other.m2 + (delta * delta * this.count * other.count) / total;
    this.count = total;
    this.max = Math.max(this.max, other.max);
    this.min = Math.min(this.min, other.min);
    return this;
  }

  /** The summary, with Spark's conventions for empty input (mean 0, variances NaN, max −∞, min +∞). */
  toStats(): Stats {
    const variance = this.count === 0 ? Number.NaN : this.m2 / this.count;
    const sampleVariance = this.count <= 1 ? Number.NaN : this.m2 / (this.count - 1);
    return {
      count: this.count,
      mean: this.mu,
      stdev: Math.sqrt(variance),
      sampleStdev: Math.sqrt(sampleVariance),
      max: this.max,
      min: this.min,
      variance,
      sampleVariance,
      sum: this.mu * this.count,
    };
  }
}
