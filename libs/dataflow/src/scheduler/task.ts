/**
 * A task: compute one partition of a stage's last RDD, then either write it into a shuffle (a shuffle map task)
 * or run an action's kernel over it (a result task). This file runs a task given a live RDD, wherever it is.
 */

import { DataflowError } from '../errors.ts';
import type { Partitioner, PartitionerDescription } from '../partitioner.ts';
import type { RDD } from '../rdd/rdd.ts';
import type { Combiner, CombinerDescription } from '../shuffle/combiner.ts';
import { writeShuffleBlocks } from '../shuffle/shuffle-io.ts';
import { type ResultAction, runResultAction } from './result-actions.ts';
import { type TaskContext, withTaskContext } from './task-context.ts';

/** What a task does with its partition. */
export type TaskOutput =
  | {
      kind: 'shuffleMap';
      shuffleId: number;
      partitioner: Partitioner;
      combiner: Combiner<unknown, unknown> | undefined;
      /** The RDD reading this shuffle (a job module's RDD lets a worker rebuild the combiner from the job). */
      reader?: RDD<unknown>;
    }
  | { kind: 'result'; action: ResultAction };

/** A task output described as data (the functions travel in the stage plan's function table). */
export type TaskOutputDescription =
  | {
      kind: 'shuffleMap';
      shuffleId: number;
      partitioner: PartitionerDescription;
      combiner: { description: CombinerDescription; functionIndexes: number[] } | undefined;
      /** Set instead of shipped functions when the combiner comes from a job module: the reading RDD's id. */
      combinerFromJob?: { instanceId: number; readerRddId: number };
    }
  | {
      kind: 'result';
      kernel: ResultAction['kernel'];
      params: Record<string, unknown>;
      functionIndexes: number[];
    };

/** Runs one task over a live RDD: shuffle blocks per reducer, or the action's per-partition result. */
export function runTask(
  rdd: RDD<unknown>,
  partition: number,
  output: TaskOutput,
  context: TaskContext,
): unknown {
  return withTaskContext(context, () => {
    const records = rdd.iterator(partition, context);
    try {
      if (output.kind === 'shuffleMap') {
        return writeShuffleBlocks(
          records as Iterable<[unknown, unknown]>,
          output.partitioner,
          output.combiner,
        );
      }
      return runResultAction(output.action, records);
    } catch (cause) {
      if (DataflowError.is(cause)) throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      const step = output.kind === 'shuffleMap' ? `shuffle ${output.shuffleId} write` : output.action.kernel;
      throw new DataflowError(
        'OXBOW_TASK_FAILED',
        `${step} at ${rdd.node.className}[${rdd.id}] failed in partition ${partition}: ${message}`,
        { cause },
      );
    }
  });
}
