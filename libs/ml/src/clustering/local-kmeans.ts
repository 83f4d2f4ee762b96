/**
 * k-means++ on a small weighted set of points, on the driver (Spark's `LocalKMeans.kMeansPlusPlus`): k-means||
 * ends with more than `k` candidate centers, weighted by the points closest to each, and this picks `k` of them.
 */
import type { SeededRandom } from '../internal/random.ts';
import { closestCenter, squaredDistance, type Vector } from '../linalg.ts';

/**
 * Chooses `k` centers among weighted `points` with k-means++ seeding, then refines them with up to
 * `maxIterations` weighted Lloyd iterations (a center left without weight jumps to a random point).
 */
export function kMeansPlusPlus(
  points: readonly Vector[],
  weights: readonly number[],
  k: number,
  maxIterations: number,
  random: SeededRandom,
): Vector[] {
  const n = points.length;
  const dimension = (points[0] as Vector).length;
  const centers: Vector[] = [pickWeighted(random, points, weights)];
  const costs = points.map((p) => squaredDistance(p, centers[0] as Vector));

  for (let i = 1; i < k; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += (costs[j] as number) * (weights[j] as number);
    const r = random.nextDouble() * sum;
    let cumulative = 0;
    let j = 0;
    while (j < n && cumulative < r) {
      cumulative += (weights[j] as number) * (costs[j] as number);
      j++;
    }
    const center = j === 0 ? (points[0] as Vector) : (points[j - 1] as Vector);
    centers.push(center);
    for (let p = 0; p < n; p++) {
      costs[p] = Math.min(squaredDistance(points[p] as Vector, center), costs[p] as number);
    }
  }

  const oldClosest = new Array<number>(n).fill(-1);
  let moved = true;
  for (let iteration = 0; moved && iteration < maxIterations; iteration++) {
    moved = false;
    const counts = new Array<number>(k).fill(0);
    const sums = Array.from({ length: k }, () => new Array<number>(dimension).fill(0));
    for (let i = 0; i < n; i++) {
      const point = points[i] as Vector;
      const weight = weights[i] as number;
      const [index] = closestCenter(centers, point);
      const sum = sums[index] as number[];
      for (let d = 0; d < dimension; d++) sum[d] = (sum[d] as number) + weight * (point[d] as number);
      counts[index] = (counts[index] as number) + weight;
      if (index !== oldClosest[i]) {
        moved = true;
        oldClosest[i] = index;
      }
    }
    for (let c = 0; c < k; c++) {
      const count = counts[c] as number;
      if (count === 0) {
        centers[c] = points[random.nextInt(n)] as Vector;
      } else {
        const inverse = 1 / count;
        centers[c] = (sums[c] as number[]).map((s) => s * inverse);
      }
    }
  }
  return centers;
}

function pickWeighted(random: SeededRandom, points: readonly Vector[], weights: readonly number[]): Vector {
  let total = 0;
  for (const w of weights) total += w;
  const r = random.nextDouble() * total;
  let i = 0;
  let current = 0;
  while (i < points.length && current < r) {
    current += weights[i] as number;
    i++;
  }
  return points[Math.max(i - 1, 0)] as Vector;
}
