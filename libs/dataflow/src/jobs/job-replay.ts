/**
 * The worker's side of job modules: imports a job's module, runs its builder with the recorded input, handing out
 * the ids the driver's build took, and checks the rebuild took exactly as many (a different count means the
 * builder is not deterministic).
 */
import { DataflowError } from '../errors.ts';
import { ParallelCollectionNode } from '../rdd/nodes/parallel-collection.ts';
import { RangeNode } from '../rdd/nodes/range.ts';
import { type PartitionSource, SourceNode } from '../rdd/nodes/source.ts';
import { UnionNode } from '../rdd/nodes/union.ts';
import { RDD } from '../rdd/rdd.ts';
import type { RddHost } from '../rdd/rdd-host.ts';
import { nestedAction } from '../scheduler/dag-scheduler.ts';
import { Broadcast, LongAccumulator } from '../shared-variables.ts';
import type { JobDefinition, JobInstance, RddFactory } from './job-definition.ts';

class ReplayHost implements RddHost, RddFactory {
  readonly defaultParallelism: number;
  readonly rdds = new Map<number, RDD<unknown>>();
  private readonly instance: JobInstance;
  private rddCursor = 0;
  private shuffleCursor = 0;
  private sharedCursor = 0;

  constructor(instance: JobInstance, defaultParallelism: number) {
    this.instance = instance;
    this.defaultParallelism = defaultParallelism;
  }

  newRddId(): number {
    return this.take(this.instance.rddIds, this.rddCursor++, 'RDDs');
  }

  newShuffleId(): number {
    return this.take(this.instance.shuffleIds, this.shuffleCursor++, 'shuffles');
  }

  onRddCreated(rdd: RDD<unknown>): void {
    this.rdds.set(rdd.id, rdd);
  }

  trackShuffle(): void {}
  uncache(): void {}
  hasCachedPartition(): boolean {
    return false;
  }
  runJob(): Promise<unknown[]> {
    return Promise.reject(nestedAction());
  }

  parallelize<T>(data: readonly T[], numSlices: number = this.defaultParallelism): RDD<T> {
    return new RDD<T>(this, ParallelCollectionNode.fromArray<T>(data, numSlices));
  }
  makeRDD<T>(data: readonly T[], numSlices?: number): RDD<T> {
    return this.parallelize(data, numSlices);
  }
  emptyRDD<T>(): RDD<T> {
    return this.parallelize<T>([], 1).filter(() => false);
  }
  union<T>(rdds: readonly RDD<T>[]): RDD<T> {
    return new RDD<T>(this, new UnionNode<T>(rdds as readonly RDD<unknown>[]));
  }
  range(start: number, end: number, step = 1, numSlices: number = this.defaultParallelism): RDD<number> {
    return new RDD<number>(this, new RangeNode({ start, end, step, numSlices }));
  }
  fromSource<T>(source: PartitionSource<T>): RDD<T> {
    return new RDD<T>(this, new SourceNode<T>(source));
  }
  broadcast<T>(value: T): Broadcast<T> {
    return new Broadcast<T>(
      this.take(this.instance.sharedIds, this.sharedCursor++, 'shared variables'),
      value,
    );
  }
  longAccumulator(name?: string): LongAccumulator {
    return new LongAccumulator(
      this.take(this.instance.sharedIds, this.sharedCursor++, 'shared variables'),
      name,
    );
  }

  /** Fails unless the rebuild took exactly the ids the driver's build took. */
  verifyComplete(): void {
    const { rddIds, shuffleIds, sharedIds } = this.instance;
    if (
      this.rddCursor !== rddIds.length ||
      this.shuffleCursor !== shuffleIds.length ||
      this.sharedCursor !== sharedIds.length
    ) {
      throw notDeterministic(this.instance);
    }
  }

  private take(ids: readonly number[], index: number, what: string): number {
    const id = ids[index];
    if (id === undefined) throw notDeterministic(this.instance, `it made more ${what} than on the driver`);
    return id;
  }
}

function notDeterministic(
  instance: JobInstance,
  detail = 'it made a different lineage than on the driver',
): DataflowError {
  return new DataflowError(
    'OXBOW_JOB_NOT_DETERMINISTIC',
    `job ${instance.exportName} (${instance.moduleUrl}) rebuilt differently in a worker: ${detail}; a job builder must be deterministic and synchronous`,
  );
}

const rebuilt = new Map<number, Map<number, RDD<unknown>>>();
const MAX_REMEMBERED_INSTANCES = 32;

/** The RDDs of a job instance, rebuilt in this thread (once per instance). */
export async function replayJob(
  instance: JobInstance,
  defaultParallelism: number,
): Promise<Map<number, RDD<unknown>>> {
  const known = rebuilt.get(instance.instanceId);
  if (known) return known;
  const module = (await import(instance.moduleUrl)) as Record<string, unknown>;
  const definition = module[instance.exportName] as JobDefinition<unknown, unknown> | undefined;
  if (!definition || typeof definition.build !== 'function') {
    throw new DataflowError(
      'OXBOW_TASK_NOT_SERIALIZABLE',
      `${instance.moduleUrl} does not export a job named ${instance.exportName}`,
    );
  }
  if (definition.prepare !== undefined) await definition.prepare(instance.input);
  const host = new ReplayHost(instance, defaultParallelism);
  definition.build(host, instance.input);
  host.verifyComplete();
  if (rebuilt.size >= MAX_REMEMBERED_INSTANCES) rebuilt.delete(rebuilt.keys().next().value as number);
  rebuilt.set(instance.instanceId, host.rdds);
  return host.rdds;
}
