/**
 * A small seeded pseudo-random generator (xorshift32 mixed with splitmix-style seeding) so that `sample`,
 * `repartition` and `takeSample`-like operations give the same result for the same seed in every process.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    let s = (seed | 0) ^ 0x9e3779b9;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
    s ^= s >>> 16;
    this.state = s === 0 ? 0x6d2b79f5 : s;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }

  /** A uniform double in [0, 1). */
  nextDouble(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.nextDouble() * bound);
  }

  /** A Poisson-distributed count with the given mean (Knuth's method; fine for the small means of sampling). */
  nextPoisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.nextDouble();
    while (p > limit) {
      k++;
      p *= this.nextDouble();
    }
    return k;
  }
}
