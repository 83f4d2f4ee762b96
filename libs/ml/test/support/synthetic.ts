/** Seeded synthetic data with known structure: Gaussian blobs around known centers, linear data with known weights. */
import { SeededRandom } from '../../src/internal/random.ts';
import type { LabeledPoint, Vector } from '../../src/linalg.ts';

/** `n` points, drawn round-robin from Gaussian blobs of standard deviation `sigma` around `centers`. */
export function gaussianBlobs(
  centers: readonly Vector[],
  n: number,
  sigma: number,
  seed: number,
): number[][] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const center = centers[i % centers.length] as Vector;
    return center.map((c) => c + sigma * random.nextGaussian());
  });
}

/** `n` examples `y = w·x + b + noise`, features uniform in [−1, 1). */
export function linearData(
  weights: readonly number[],
  intercept: number,
  n: number,
  noise: number,
  seed: number,
): LabeledPoint[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const features = weights.map(() => 2 * random.nextDouble() - 1);
    let label = intercept;
    for (let j = 0; j < weights.length; j++) label += (weights[j] as number) * (features[j] as number);
    return { label: label + noise * random.nextGaussian(), features };
  });
}

/** Splits `data` into batches of `size`. */
export function batches<T>(data: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size));
  return out;
}

/** The largest distance from each of `expected` to its closest vector of `actual`. */
export function worstMatch(expected: readonly Vector[], actual: readonly Vector[]): number {
  let worst = 0;
  for (const e of expected) {
    let best = Number.POSITIVE_INFINITY;
    for (const a of actual) {
      let d = 0;
      for (let j = 0; j < e.length; j++) d += ((e[j] as number) - (a[j] as number)) ** 2;
      best = Math.min(best, Math.sqrt(d));
    }
    worst = Math.max(worst, best);
  }
  return worst;
}
