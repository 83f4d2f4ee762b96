/**
 * Turns a task of the driver into a message a worker can run: the stage's narrow lineage described as data,
 * the user functions as source text (only when every one is shippable, see closure-analysis.ts), the source
 * slices, shuffle blocks and cached partitions the task reads. The worker rebuilds live RDDs from it.
 */

import type { JobInstance } from '../jobs/job-definition.ts';
import type { UserFunction } from '../rdd/lineage.ts';
import type { RDD } from '../rdd/rdd.ts';
import { analyzeFunction, type FunctionSource } from './closure-analysis.ts';
import type { TaskOutput, TaskOutputDescription } from './task.ts';
import { partitionsComputedBy } from './task-inputs.ts';

/** One lineage step of a plan. */
export interface PlannedNode {
  rddId: number;
  type: string;
  params: unknown;
  functionIndexes: number[];
  parentIndexes: number[];
  persisted: boolean;
}

/** Everything a worker needs to run one task. */
export interface TaskMessage {
  nodes: PlannedNode[];
  functions: FunctionSource[];
  rootIndex: number;
  partition: number;
  stageId: number;
  output: TaskOutputDescription;
  /** [shuffleId, reducePartition, blocks] */
  shuffleBlocks: Array<[number, number, Uint8Array[]]>;
  /** [rddId, partition, records] */
  cached: Array<[number, number, unknown[]]>;
  /** Job instances whose RDDs the plan refers to by id (nodes of type `jobRef`). */
  jobs: JobInstance[];
  /** The driver's default parallelism, for job rebuilds. */
  defaultParallelism: number;
}

/** Where the planner reads shuffle blocks and cached partitions from. */
export interface PlanSources {
  shuffleBlocks(shuffleId: number, reducePartition: number): Iterable<Uint8Array>;
  cachedPartition(rddId: number, partition: number): readonly unknown[] | undefined;
}

/** Either a message for a worker, or why the task must run on the driver. */
export type PlanResult = { shippable: true; message: TaskMessage } | { shippable: false; reason: string };

/** Plans one task for a worker. */
export function planTask(
  root: RDD<unknown>,
  partition: number,
  stageId: number,
  output: TaskOutput,
  sources: PlanSources,
): PlanResult {
  // Which partitions of which RDDs the task computes (stopping at cached partitions the driver holds).
  const needed = partitionsComputedBy(
    root,
    partition,
    (rdd, p) => sources.cachedPartition(rdd.id, p) !== undefined,
  );
  const cached: TaskMessage['cached'] = [];
  const reads: TaskMessage['shuffleBlocks'] = [];
  for (const [rdd, partitions] of needed) {
    for (const p of partitions) {
      const data = rdd.getStorageLevel() ? sources.cachedPartition(rdd.id, p) : undefined;
      if (data) cached.push([rdd.id, p, data as unknown[]]);
      else
        for (const shuffleId of rdd.node.shuffleIds ?? [])
          reads.push([shuffleId, p, [...sources.shuffleBlocks(shuffleId, p)]]);
    }
  }

  const functions: FunctionSource[] = [];
  const functionIndex = new Map<UserFunction, number>();
  let refusal: string | undefined;
  const indexOf = (fn: UserFunction): number => {
    const known = functionIndex.get(fn);
    if (known !== undefined) return known;
    const verdict = analyzeFunction(fn);
    if (!verdict.shippable) {
      refusal ??= verdict.reason;
      return -1;
    }
    functions.push(verdict.source);
    functionIndex.set(fn, functions.length - 1);
    return functions.length - 1;
  };

  // Describe every RDD of the stage, parents before children.
  const nodes: PlannedNode[] = [];
  const nodeIndex = new Map<RDD<unknown>, number>();
  const jobs = new Map<number, JobInstance>();
  const describe = (rdd: RDD<unknown>): number => {
    const known = nodeIndex.get(rdd);
    if (known !== undefined) return known;
    const job = rdd.host.jobOf?.(rdd.id);
    if (job) {
      jobs.set(job.instanceId, job);
      nodes.push({
        rddId: rdd.id,
        type: 'jobRef',
        params: { instanceId: job.instanceId },
        functionIndexes: [],
        parentIndexes: [],
        persisted: rdd.getStorageLevel() !== undefined,
      });
      nodeIndex.set(rdd, nodes.length - 1);
      return nodes.length - 1;
    }
    const parentIndexes = rdd.node.narrowParents.map(describe);
    const description = rdd.node.describe(needed.get(rdd) ?? new Set());
    nodes.push({
      rddId: rdd.id,
      type: description.type,
      params: description.params,
      functionIndexes: description.functions.map(indexOf),
      parentIndexes,
      persisted: rdd.getStorageLevel() !== undefined,
    });
    nodeIndex.set(rdd, nodes.length - 1);
    return nodes.length - 1;
  };
  const rootIndex = describe(root);

  let outputDescription: TaskOutputDescription;
  if (output.kind === 'shuffleMap') {
    const readerJob = output.reader ? output.reader.host.jobOf?.(output.reader.id) : undefined;
    if (readerJob) jobs.set(readerJob.instanceId, readerJob);
    outputDescription = {
      kind: 'shuffleMap',
      shuffleId: output.shuffleId,
      partitioner: output.partitioner.describe(),
      combiner:
        output.combiner && !readerJob
          ? {
              description: output.combiner.description,
              functionIndexes: output.combiner.functions.map(indexOf),
            }
          : undefined,
      ...(readerJob && output.reader && output.combiner
        ? { combinerFromJob: { instanceId: readerJob.instanceId, readerRddId: output.reader.id } }
        : {}),
    };
  } else {
    outputDescription = {
      kind: 'result',
      kernel: output.action.kernel,
      params: output.action.params,
      functionIndexes: output.action.functions.map(indexOf),
    };
  }
  if (refusal) return { shippable: false, reason: refusal };
  return {
    shippable: true,
    message: {
      nodes,
      functions,
      rootIndex,
      partition,
      stageId,
      output: outputDescription,
      shuffleBlocks: reads,
      cached,
      jobs: [...jobs.values()],
      defaultParallelism: root.host.defaultParallelism,
    },
  };
}

/** Whether every user function of a stage can be shipped (without building the messages). */
export function stageRefusal(root: RDD<unknown>, output: TaskOutput): string | undefined {
  const seen = new Set<RDD<unknown>>();
  const check = (rdd: RDD<unknown>): string | undefined => {
    if (seen.has(rdd)) return undefined;
    seen.add(rdd);
    if (rdd.host.jobOf?.(rdd.id)) return undefined; // rebuilt from its job module in the worker
    if (rdd.node.shippable === false) {
      return `${rdd.node.operator} at ${rdd.node.className}[${rdd.id}] can only be read where it was built; build it inside a job module (defineJob) to read it in workers`;
    }
    for (const fn of rdd.node.describe(new Set()).functions) {
      const verdict = analyzeFunction(fn);
      if (!verdict.shippable) return verdict.reason;
    }
    for (const parent of rdd.node.narrowParents) {
      const reason = check(parent);
      if (reason) return reason;
    }
    return undefined;
  };
  // A combiner of a shuffle read by a job module's RDD is rebuilt from the job in the worker.
  const combinerFromJob =
    output.kind === 'shuffleMap' && output.reader?.host.jobOf?.(output.reader.id) !== undefined;
  const outputFunctions =
    output.kind === 'shuffleMap'
      ? combinerFromJob
        ? []
        : (output.combiner?.functions ?? [])
      : output.action.functions;
  for (const fn of outputFunctions) {
    const verdict = analyzeFunction(fn);
    if (!verdict.shippable) return verdict.reason;
  }
  return check(root);
}
