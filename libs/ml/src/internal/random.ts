/**
 * The seeded generator every random choice of `@oxbow/ml` uses on the driver, so that training is a pure function
 * of its data, options and seed. The same mixing function is written out again inside the k-means|| selection
 * kernel (tasks may run in worker threads, which cannot import it), see `kernels.ts`.
 */

/**
 * A counter-based 32-bit generator (SplitMix32: a Weyl sequence through a 32-bit finaliser). Small, fast, with
 * every seed usable; not cryptographic.
 */
export class SeededRandom {
  private state: number;
  private spareGaussian: number | undefined;

  /** A generator whose sequence is fixed by `seed` (any number; only its low 32 bits matter). */
  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** A uniform integer in [0, 2³²). */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.nextDouble() * bound);
  }

  /** A standard normal deviate (Marsaglia's polar method, as `java.util.Random.nextGaussian`). */
  nextGaussian(): number {
    const spare = this.spareGaussian;
    if (spare !== undefined) {
      this.spareGaussian = undefined;
      return spare;
    }
    for (;;) {
      const u = 2 * this.nextDouble() - 1;
      const v = 2 * this.nextDouble() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const factor = Math.sqrt((-2 * Math.log(s)) / s);
      this.spareGaussian = v * factor;
      return u * factor;
    }
  }
}
