/**
 * What an RDD needs from the context that made it: ids, the default parallelism, and a way to run jobs. The
 * driver's `DataflowContext` provides it; a worker provides one that refuses to run jobs (actions run on the
 * driver only, as in Spark).
 */
import type { JobInstance } from '../jobs/job-definition.ts';
import type { ResultAction } from '../scheduler/result-actions.ts';
import type { RDD } from './rdd.ts';

export interface RddHost {
  readonly defaultParallelism: number;
  newRddId(): number;
  newShuffleId(): number;
  /** Keeps a shuffle's blocks while `owner` (the RDD reading them) is reachable; frees them after. */
  trackShuffle(shuffleId: number, owner: object): void;
  /** Runs `action` over the given partitions of `rdd` (all when omitted), one result per partition. */
  runJob(rdd: RDD<unknown>, action: ResultAction, partitions?: readonly number[]): Promise<unknown[]>;
  /** Forgets the cached partitions of an RDD. */
  uncache(rddId: number): void;
  /** Told of every RDD made with this host (job rebuilds use it to find RDDs by id). */
  onRddCreated?(rdd: RDD<unknown>): void;
  /** The job instance an RDD was built by, if it was built by a job module. */
  jobOf?(rddId: number): JobInstance | undefined;
  /** Whether the driver holds the cached partition. */
  hasCachedPartition(rddId: number, partition: number): boolean;
}
