/**
 * Runs jobs: prepares the lineage (range bounds, zipWithIndex offsets), runs the shuffle map stages a job needs
 * (parents first, skipping shuffles already written), then the result stage. Each stage's tasks run on worker
 * threads when the parallelism is above 1 and every user function of the stage can be shipped; otherwise the
 * stage runs on the driver, in-process, which is always correct.
 */
import { DataflowError } from '../errors.ts';
import type { RDD } from '../rdd/rdd.ts';
import type { ShuffleStore } from '../shuffle/shuffle-store.ts';
import type { ResultAction } from './result-actions.ts';
import { planTask, stageRefusal } from './stage-plan.ts';
import { runTask, type TaskOutput } from './task.ts';
import type { TaskContext } from './task-context.ts';
import { partitionsComputedBy, withLoadedSources } from './task-inputs.ts';
import type { WorkerPool } from './worker-pool.ts';

/** The driver-side state a scheduler works with. */
export interface SchedulerEnvironment {
  readonly shuffles: ShuffleStore;
  /** The worker pool, when parallelism is above 1. */
  workers(): WorkerPool | undefined;
  cachedPartition(rddId: number, partition: number): readonly unknown[] | undefined;
  storeCachedPartition(rddId: number, partition: number, data: readonly unknown[]): void;
  addToAccumulator(accumulatorId: number, delta: number): void;
  /** Called once per stage that could not be shipped, with the reason (for logs and tests). */
  onInProcessStage?(reason: string): void;
}

/** Counts kept by the scheduler, for tests and metrics. */
export interface SchedulerStats {
  jobs: number;
  stages: number;
  tasksInWorkers: number;
  tasksInProcess: number;
}

export class DagScheduler {
  private readonly env: SchedulerEnvironment;
  private nextStageId = 0;
  readonly stats: SchedulerStats = { jobs: 0, stages: 0, tasksInWorkers: 0, tasksInProcess: 0 };

  constructor(env: SchedulerEnvironment) {
    this.env = env;
  }

  /** Runs `action` over `partitions` of `rdd` and returns one result per partition, in order. */
  async runJob(rdd: RDD<unknown>, action: ResultAction, partitions?: readonly number[]): Promise<unknown[]> {
    this.stats.jobs += 1;
    await prepareLineage(rdd, new Set());
    await this.ensureShuffles(rdd, new Set());
    const wanted = partitions ?? Array.from({ length: rdd.getNumPartitions() }, (_, i) => i);
    return this.runStage(rdd, wanted, { kind: 'result', action });
  }

  /** Runs every missing shuffle map stage `rdd` depends on, parents first. */
  private async ensureShuffles(rdd: RDD<unknown>, visited: Set<RDD<unknown>>): Promise<void> {
    if (visited.has(rdd)) return;
    visited.add(rdd);
    for (const dep of rdd.node.shuffleDependencies) {
      if (this.env.shuffles.isComplete(dep.shuffleId)) continue;
      await this.ensureShuffles(dep.rdd as RDD<unknown>, visited);
      const mapPartitions = dep.rdd.getNumPartitions();
      this.env.shuffles.register(dep.shuffleId, mapPartitions);
      const all = Array.from({ length: mapPartitions }, (_, i) => i);
      const blocks = (await this.runStage(dep.rdd as RDD<unknown>, all, {
        kind: 'shuffleMap',
        shuffleId: dep.shuffleId,
        partitioner: dep.partitioner,
        combiner: dep.combiner,
        reader: rdd,
      })) as Uint8Array[][][];
      blocks.forEach((byReducer, mapPartition) => {
        this.env.shuffles.putMapOutput(dep.shuffleId, mapPartition, byReducer);
      });
    }
    for (const parent of rdd.node.narrowParents) await this.ensureShuffles(parent, visited);
  }

  private async runStage(
    rdd: RDD<unknown>,
    partitions: readonly number[],
    output: TaskOutput,
  ): Promise<unknown[]> {
    const stageId = this.nextStageId++;
    this.stats.stages += 1;
    const pool = partitions.length > 0 ? this.env.workers() : undefined;
    const refusal = pool ? stageRefusal(rdd, output) : 'parallelism is 1';
    if (!pool || refusal) {
      if (pool && refusal) this.env.onInProcessStage?.(refusal);
      const results: unknown[] = [];
      for (const partition of partitions)
        results.push(await this.runInProcess(rdd, partition, stageId, output));
      return results;
    }
    return Promise.all(
      partitions.map(async (partition) => {
        const plan = planTask(rdd, partition, stageId, output, {
          shuffleBlocks: (id, p) => this.env.shuffles.blocksFor(id, p),
          cachedPartition: (id, p) => this.env.cachedPartition(id, p),
        });
        if (!plan.shippable) return this.runInProcess(rdd, partition, stageId, output);
        this.stats.tasksInWorkers += 1;
        const reply = await pool.run(plan.message);
        for (const [rddId, p, data] of reply.cachedOut) this.env.storeCachedPartition(rddId, p, data);
        for (const [id, delta] of reply.accumulators) this.env.addToAccumulator(id, delta);
        return reply.result;
      }),
    );
  }

  private runInProcess(
    rdd: RDD<unknown>,
    partition: number,
    stageId: number,
    output: TaskOutput,
  ): Promise<unknown> {
    this.stats.tasksInProcess += 1;
    const needed = partitionsComputedBy(
      rdd,
      partition,
      (r, p) => this.env.cachedPartition(r.id, p) !== undefined,
    );
    return withLoadedSources(needed, () =>
      runTask(rdd, partition, output, this.driverContext(stageId, partition)),
    );
  }

  private driverContext(stageId: number, partitionId: number): TaskContext {
    return {
      stageId,
      partitionId,
      shuffleBlocks: (shuffleId, partition) => this.env.shuffles.blocksFor(shuffleId, partition),
      cachedPartition: (rddId, partition) => this.env.cachedPartition(rddId, partition),
      offerCachedPartition: (rddId, partition, data) => this.env.storeCachedPartition(rddId, partition, data),
      addToAccumulator: (id, delta) => this.env.addToAccumulator(id, delta),
    };
  }
}

/** Calls `prepare` on every lineage step reachable from `rdd`, parents' steps included. */
async function prepareLineage(rdd: RDD<unknown>, visited: Set<RDD<unknown>>): Promise<void> {
  if (visited.has(rdd)) return;
  visited.add(rdd);
  for (const parent of rdd.node.narrowParents) await prepareLineage(parent, visited);
  await rdd.node.prepare?.();
  for (const dep of rdd.node.shuffleDependencies) await prepareLineage(dep.rdd as RDD<unknown>, visited);
}

/** Raised when a job is started on a stopped context. */
export function contextStopped(): DataflowError {
  return new DataflowError('OXBOW_CONTEXT_STOPPED', 'Cannot call methods on a stopped DataflowContext');
}

/** Raised when an action is started from inside a task (Spark's SPARK-5063). */
export function nestedAction(): DataflowError {
  return new DataflowError(
    'OXBOW_INVALID_ARGUMENT',
    'RDD actions can only be invoked by the driver, not inside of other transformations',
  );
}
