/**
 * The worker's side of stage-plan.ts: rebuilds live RDDs and user functions from a task message and runs the
 * task. Actions cannot run here (no nested jobs, as in Spark).
 */

import { replayJob } from '../jobs/job-replay.ts';
import { partitionerFromDescription } from '../partitioner.ts';
import type { UserFunction } from '../rdd/lineage.ts';
import { NODE_FACTORIES } from '../rdd/nodes/node-factories.ts';
import { RDD } from '../rdd/rdd.ts';
import type { RddHost } from '../rdd/rdd-host.ts';
import { buildCombiner, type Combiner } from '../shuffle/combiner.ts';
import type { FunctionSource } from './closure-analysis.ts';
import { nestedAction } from './dag-scheduler.ts';
import type { TaskMessage } from './stage-plan.ts';
import { runTask, type TaskOutput } from './task.ts';
import type { TaskContext } from './task-context.ts';
import { partitionsComputedBy, withLoadedSources } from './task-inputs.ts';

/** What a worker sends back for a task. */
export interface TaskReply {
  result: unknown;
  /** Partitions of persisted RDDs computed by the task: [rddId, partition, records]. */
  cachedOut: Array<[number, number, unknown[]]>;
  /** Accumulator deltas: [accumulatorId, delta]. */
  accumulators: Array<[number, number]>;
}

const workerHost: RddHost = {
  defaultParallelism: 1,
  newRddId: () => -1,
  newShuffleId: () => -1,
  trackShuffle: () => undefined,
  runJob: () => Promise.reject(nestedAction()),
  uncache: () => undefined,
  hasCachedPartition: () => false,
};

function rebuildFunction(source: FunctionSource): UserFunction {
  const body =
    source.form === 'expression'
      ? `return (${source.source});`
      : `return ({ ${source.source} })[${JSON.stringify(source.name)}];`;
  return new Function(body)() as UserFunction;
}

/** Runs a task message in this thread. */
export async function runTaskMessage(message: TaskMessage): Promise<TaskReply> {
  const functions = message.functions.map(rebuildFunction);
  const pick = (indexes: readonly number[]): UserFunction[] =>
    indexes.map((i) => functions[i] as UserFunction);
  const jobRdds = new Map<number, Map<number, RDD<unknown>>>();
  for (const instance of message.jobs) {
    jobRdds.set(instance.instanceId, await replayJob(instance, message.defaultParallelism));
  }
  const rdds: RDD<unknown>[] = [];
  for (const planned of message.nodes) {
    if (planned.type === 'jobRef') {
      const instanceId = (planned.params as { instanceId: number }).instanceId;
      const rdd = jobRdds.get(instanceId)?.get(planned.rddId);
      if (!rdd) throw new Error(`job instance ${instanceId} has no RDD ${planned.rddId} after its rebuild`);
      rdds.push(rdd);
      continue;
    }
    const factory = NODE_FACTORIES[planned.type];
    if (!factory) throw new Error(`a worker cannot rebuild a lineage step of type ${planned.type}`);
    const parents = planned.parentIndexes.map((i) => rdds[i] as RDD<unknown>);
    const rdd = new RDD(
      workerHost,
      factory(planned.params as Record<string, unknown>, pick(planned.functionIndexes), parents),
      planned.rddId,
    );
    if (planned.persisted) rdd.persist();
    rdds.push(rdd);
  }
  const root = rdds[message.rootIndex] as RDD<unknown>;

  const blocks = new Map<string, Uint8Array[]>();
  for (const [shuffleId, partition, list] of message.shuffleBlocks)
    blocks.set(`${shuffleId}/${partition}`, list);
  const cached = new Map<string, unknown[]>();
  for (const [rddId, partition, data] of message.cached) cached.set(`${rddId}/${partition}`, data);
  const reply: TaskReply = { result: undefined, cachedOut: [], accumulators: [] };
  const context: TaskContext = {
    stageId: message.stageId,
    partitionId: message.partition,
    shuffleBlocks: (shuffleId, partition) => blocks.get(`${shuffleId}/${partition}`) ?? [],
    cachedPartition: (rddId, partition) => cached.get(`${rddId}/${partition}`),
    offerCachedPartition: (rddId, partition, data) => {
      reply.cachedOut.push([rddId, partition, data as unknown[]]);
    },
    addToAccumulator: (accumulatorId, delta) => {
      reply.accumulators.push([accumulatorId, delta]);
    },
  };

  const described = message.output;
  const output: TaskOutput =
    described.kind === 'shuffleMap'
      ? {
          kind: 'shuffleMap',
          shuffleId: described.shuffleId,
          partitioner: partitionerFromDescription(described.partitioner),
          combiner: described.combinerFromJob
            ? combinerOfJobReader(jobRdds, described.combinerFromJob)
            : described.combiner
              ? buildCombiner(described.combiner.description, pick(described.combiner.functionIndexes))
              : undefined,
        }
      : {
          kind: 'result',
          action: {
            kernel: described.kernel,
            params: described.params,
            functions: pick(described.functionIndexes),
          },
        };
  const needed = partitionsComputedBy(root, message.partition, (rdd, p) => cached.has(`${rdd.id}/${p}`));
  reply.result = await withLoadedSources(needed, () => runTask(root, message.partition, output, context));
  return reply;
}

/** The combiner of the shuffle a job module's RDD reads, from the job rebuilt in this worker. */
function combinerOfJobReader(
  jobRdds: Map<number, Map<number, RDD<unknown>>>,
  from: { instanceId: number; readerRddId: number },
): Combiner<unknown, unknown> | undefined {
  const reader = jobRdds.get(from.instanceId)?.get(from.readerRddId);
  if (!reader)
    throw new Error(`job instance ${from.instanceId} has no RDD ${from.readerRddId} after its rebuild`);
  return (reader.node as { combiner?: Combiner<unknown, unknown> }).combiner;
}
