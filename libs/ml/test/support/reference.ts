/**
 * Reference implementations of the update rules, written from Spark MLlib's description and BLAS calls as plain
 * loops over arrays, one point after another, with no RDDs, no partitions and no code shared with `src/`. The
 * tests run the library and these side by side, step by step.
 */

type Vec = readonly number[];

/** `xs[i]`, which must exist. */
function at(xs: Vec, i: number): number {
  const x = xs[i];
  if (x === undefined) throw new Error(`index ${i} out of range`);
  return x;
}

/** `rows[i]`, which must exist. */
function row<T>(rows: readonly T[], i: number): T {
  const r = rows[i];
  if (r === undefined) throw new Error(`row ${i} out of range`);
  return r;
}

/** Squared Euclidean distance, coordinates in order. */
function distance2(a: Vec, b: Vec): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    const d = at(a, j) - at(b, j);
    sum += d * d;
  }
  return sum;
}

/** One micro-batch of Spark's `StreamingKMeansModel.update`, on plain arrays. */
export function referenceStreamingKMeansStep(
  centers: readonly Vec[],
  weights: Vec,
  batch: readonly Vec[],
  decayFactor: number,
  timeUnit: 'batches' | 'points',
): { centers: number[][]; weights: number[] } {
  const k = centers.length;
  const dim = row(centers, 0).length;
  const c = centers.map((center) => [...center]);
  const sums = centers.map(() => new Array<number>(dim).fill(0));
  const counts = centers.map(() => 0);
  // Assign every point to its closest center (the first one on a tie) with the centers before the update.
  for (const x of batch) {
    let best = 0;
    for (let i = 1; i < k; i++)
      if (distance2(x, row(centers, i)) < distance2(x, row(centers, best))) best = i;
    const sum = row(sums, best);
    for (let j = 0; j < dim; j++) sum[j] = at(sum, j) + at(x, j);
    counts[best] = at(counts, best) + 1;
  }
  const discount = timeUnit === 'batches' ? decayFactor : decayFactor ** batch.length;
  const w = weights.map((weight) => discount * weight);
  for (let i = 0; i < k; i++) {
    const m = at(counts, i);
    if (m === 0) continue;
    const updated = at(w, i) + m;
    const lambda = m / Math.max(updated, 1e-16);
    w[i] = updated;
    const center = row(c, i);
    const sum = row(sums, i);
    for (let j = 0; j < dim; j++) center[j] = (1 - lambda) * at(center, j); // BLAS.scal(1 − λ, centroid)
    for (let j = 0; j < dim; j++) center[j] = at(center, j) + (lambda / m) * at(sum, j); // BLAS.axpy(λ/m, sum, centroid)
  }
  // Dying cluster: the smallest weight below 1e-8 of the largest splits the largest cluster.
  const largest = w.indexOf(Math.max(...w));
  const smallest = w.indexOf(Math.min(...w));
  if (at(w, smallest) < 1e-8 * at(w, largest)) {
    const half = (at(w, largest) + at(w, smallest)) / 2;
    w[largest] = half;
    w[smallest] = half;
    const big = row(c, largest);
    const small = row(c, smallest);
    for (let j = 0; j < dim; j++) {
      const x = at(big, j);
      const p = 1e-14 * Math.max(Math.abs(x), 1);
      big[j] = x + p;
      small[j] = x - p;
    }
  }
  return { centers: c, weights: w };
}

/** Lloyd's iterations of Spark's `KMeans.runAlgorithm` from given centers, on plain arrays. */
export function referenceLloyd(
  initial: readonly Vec[],
  points: readonly Vec[],
  maxIterations: number,
  epsilon: number,
): { centers: number[][]; iterations: number; cost: number; converged: boolean; sizes: number[] } {
  const centers = initial.map((c) => [...c]);
  const dim = row(centers, 0).length;
  let iterations = 0;
  let converged = false;
  let cost = 0;
  let sizes = centers.map(() => 0);
  while (iterations < maxIterations && !converged) {
    const sums = centers.map(() => new Array<number>(dim).fill(0));
    const counts = centers.map(() => 0);
    cost = 0;
    for (const x of points) {
      let best = 0;
      for (let i = 1; i < centers.length; i++) {
        if (distance2(x, row(centers, i)) < distance2(x, row(centers, best))) best = i;
      }
      const sum = row(sums, best);
      for (let j = 0; j < dim; j++) sum[j] = at(sum, j) + at(x, j);
      counts[best] = at(counts, best) + 1;
      cost += distance2(x, row(centers, best));
    }
    converged = true;
    for (let i = 0; i < centers.length; i++) {
      const count = at(counts, i);
      if (count === 0) continue;
      const next = row(sums, i).map((s) => s * (1 / count)); // BLAS.scal(1/count, sum)
      if (distance2(next, row(centers, i)) > epsilon * epsilon) converged = false;
      centers[i] = next;
    }
    sizes = counts;
    iterations++;
  }
  return { centers, iterations, cost, converged, sizes };
}

/** A labelled example, as plain data. */
export interface Example {
  readonly label: number;
  readonly features: Vec;
}

/** Spark's `GradientDescent.runMiniBatchSGD` for least squares with `SimpleUpdater`, on plain arrays. */
export function referenceSgd(
  examples: readonly Example[],
  initialWeights: Vec,
  initialIntercept: number,
  options: {
    stepSize: number;
    numIterations: number;
    convergenceTol: number;
    fitIntercept: boolean;
    /** The examples of iteration i's mini-batch (default: all). */
    miniBatch?: (iteration: number) => readonly Example[];
  },
): { weights: number[]; intercept: number; iterations: number; losses: number[] } {
  if (examples.length === 0) {
    return { weights: [...initialWeights], intercept: initialIntercept, iterations: 0, losses: [] };
  }
  // With an intercept, Spark appends a constant feature 1.0 and learns its weight like the others.
  const bias = options.fitIntercept;
  let w = bias ? [...initialWeights, initialIntercept] : [...initialWeights];
  const fixedIntercept = bias ? 0 : initialIntercept;
  const losses: number[] = [];
  let previous: number[] | undefined;
  let current: number[] | undefined;
  let converged = false;
  let i = 1;
  for (; !converged && i <= options.numIterations; i++) {
    const batch = options.miniBatch ? options.miniBatch(i) : examples;
    const gradient = new Array<number>(w.length).fill(0);
    let loss = 0;
    for (const { label, features } of batch) {
      const x = bias ? [...features, 1] : [...features];
      let margin = 0;
      for (let j = 0; j < x.length; j++) margin += at(x, j) * at(w, j);
      const diff = margin + fixedIntercept - label;
      for (let j = 0; j < x.length; j++) gradient[j] = at(gradient, j) + diff * at(x, j);
      loss += (diff * diff) / 2;
    }
    if (batch.length === 0) continue;
    losses.push(loss / batch.length);
    const step = options.stepSize / Math.sqrt(i);
    w = w.map((wj, j) => wj + -step * (at(gradient, j) / batch.length));
    previous = current;
    current = [...w];
    if (previous) {
      const moved = Math.sqrt(distance2(previous, current));
      const size = Math.sqrt(
        distance2(
          current,
          current.map(() => 0),
        ),
      );
      converged = moved < options.convergenceTol * Math.max(size, 1);
    }
  }
  return bias
    ? { weights: w.slice(0, -1), intercept: at(w, w.length - 1), iterations: i - 1, losses }
    : { weights: w, intercept: initialIntercept, iterations: i - 1, losses };
}
