/**
 * `RDD<T>`: a resilient distributed dataset, Apache Spark's core abstraction in TypeScript. An RDD is an
 * immutable, partitioned collection defined by its lineage; transformations build new RDDs lazily and actions
 * (which return Promises) run a job. Pair operations (Spark's `PairRDDFunctions`) are available on RDDs of
 * `[key, value]` tuples, numeric ones (`sum`, `mean`, `stats`) on RDDs of numbers.
 *
 * @example
 * ```ts
 * const ctx = new DataflowContext({ parallelism: 2 });
 * const counts = await ctx
 *   .parallelize(['a b', 'b c'])
 *   .flatMap((line) => line.split(' '))
 *   .map((word): [string, number] => [word, 1])
 *   .reduceByKey((a, b) => a + b)
 *   .collect(); // [['a', 1], ['b', 2], ['c', 1]] in some order
 * ```
 */
import { DataflowError, requireArgument } from '../errors.ts';
import { KeyMap } from '../keys/key-map.ts';
import { type Comparator, naturalCompare } from '../keys/ordering.ts';
import { HashPartitioner, type Partitioner, RangePartitioner } from '../partitioner.ts';
import type { PartialReduce, ResultAction } from '../scheduler/result-actions.ts';
import { smallestN } from '../scheduler/result-actions.ts';
import type { TaskContext } from '../scheduler/task-context.ts';
import { buildCombiner, type Combiner, type CombinerDescription } from '../shuffle/combiner.ts';
import { StatCounter, type Stats } from '../stats/stat-counter.ts';
import type { LineageNode, UserFunction } from './lineage.ts';
import { CartesianNode } from './nodes/cartesian.ts';
import { CoalescedNode } from './nodes/coalesced.ts';
import { CoGroupedNode } from './nodes/cogrouped.ts';
import { MapPartitionsNode, type MapPartitionsSpec } from './nodes/map-partitions.ts';
import { ShuffledNode } from './nodes/shuffled.ts';
import { UnionNode } from './nodes/union.ts';
import { ZippedPartitionsNode } from './nodes/zipped-partitions.ts';
import type { RddHost } from './rdd-host.ts';
import type { TableCatalog } from './table-catalog.ts';

/** A partition count, or a partitioner, for operations that shuffle. */
export type PartitionsArg = number | Partitioner;

/** Storage levels accepted by `persist`; every level keeps deserialized partitions in driver memory here. */
export type StorageLevel = 'MEMORY_ONLY' | 'MEMORY_AND_DISK' | 'MEMORY_ONLY_SER' | 'DISK_ONLY';

/** Records per partition sampled to choose range bounds (Spark samples about 20 per output partition). */
const SAMPLE_PER_OUTPUT_PARTITION = 20;

export class RDD<T> {
  /** Unique id of this RDD within its context. */
  readonly id: number;
  /** The context (or, in a worker, the stand-in) this RDD belongs to. */
  readonly host: RddHost;
  /** The lineage step that computes this RDD. */
  readonly node: LineageNode<T>;
  /** A name set by `setName`, shown by `toDebugString`. */
  name: string | undefined;
  private storage: StorageLevel | undefined;

  constructor(host: RddHost, node: LineageNode<T>, id: number = host.newRddId()) {
    this.host = host;
    this.node = node;
    this.id = id;
    host.onRddCreated?.(this as RDD<unknown>);
  }

  // ---------------------------------------------------------------- basics

  /** The number of partitions. */
  getNumPartitions(): number {
    return this.node.numPartitions;
  }

  /** The partitioner, when the RDD is known to be partitioned by key. */
  get partitioner(): Partitioner | undefined {
    return this.node.partitioner;
  }

  /** Names the RDD (shown by `toDebugString`). */
  setName(name: string): this {
    this.name = name;
    return this;
  }

  /** The storage level set by `persist`/`cache`, if any. */
  getStorageLevel(): StorageLevel | undefined {
    return this.storage;
  }

  /** Keeps computed partitions in memory for later jobs. */
  persist(level: StorageLevel = 'MEMORY_ONLY'): this {
    this.storage = level;
    return this;
  }

  /** `persist('MEMORY_ONLY')`. */
  cache(): this {
    return this.persist('MEMORY_ONLY');
  }

  /** Drops the cached partitions and stops caching. */
  unpersist(_blocking = false): this {
    this.storage = undefined;
    this.host.uncache(this.id);
    return this;
  }

  /**
   * The records of one partition, from the cache when the RDD is persisted and the partition is there. Used by
   * lineage steps and the scheduler, not by applications.
   */
  *iterator(partition: number, context: TaskContext): Iterable<T> {
    try {
      if (this.storage) {
        const cached = context.cachedPartition(this.id, partition);
        if (cached) {
          yield* cached as T[];
          return;
        }
        const computed = [...this.node.compute(partition, context)];
        context.offerCachedPartition(this.id, partition, computed);
        yield* computed;
        return;
      }
      yield* this.node.compute(partition, context);
    } catch (cause) {
      if (DataflowError.is(cause)) throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new DataflowError(
        'OXBOW_TASK_FAILED',
        `${this.node.operator} at ${this.node.className}[${this.id}] failed in partition ${partition}: ${message}`,
        { cause },
      );
    }
  }

  /**
   * Registers this RDD as the table `name` of `catalog`, like Spark's `createOrReplaceTempView`: a later query of
   * the catalog reads the RDD's elements as the table's rows (the DuckDB `SqlContext` of `@oxbow/connectors`
   * reads objects by their fields, tuples as `_1`, `_2`, …, other values as `value`). Runs no job; the catalog
   * reads the RDD when a query uses the table. Returns this RDD, for chaining.
   *
   * @example
   * ```ts
   * const sql = new SqlContext(ctx); // @oxbow/connectors: DuckDB over RDDs
   * ctx.parallelize([{ user: 'u1', ms: 120 }, { user: 'u2', ms: 80 }]).toTable(sql, 'requests');
   * await sql.sql('SELECT user, avg(ms) AS ms FROM requests GROUP BY user').collect();
   * ```
   */
  toTable(catalog: TableCatalog, name: string): this {
    catalog.registerTable(name, this as RDD<unknown>);
    return this;
  }

  /** The lineage, one line per RDD; indentation marks shuffle (stage) boundaries as in Spark. */
  toDebugString(): string {
    const lines: string[] = [];
    const visit = (rdd: RDD<unknown>, prefix: string, first: boolean): void => {
      const label = `${rdd.node.className}[${rdd.id}] at ${rdd.node.operator}${rdd.name ? ` (${rdd.name})` : ''} []`;
      const cached = rdd.storage ? ` CachedPartitions: ${rdd.storage}` : '';
      lines.push(
        first ? `${prefix}(${rdd.getNumPartitions()}) ${label}${cached}` : `${prefix}${label}${cached}`,
      );
      const narrowPrefix = first ? `${prefix.replace(/\+-$/, '  ')} |  ` : prefix;
      for (const parent of rdd.node.narrowParents) visit(parent, narrowPrefix, false);
      const shuffleParents = safeShuffleParents(rdd);
      for (const parent of shuffleParents) {
        const base = first ? prefix.replace(/\+-$/, '  ') : prefix.replace(/ \| {2}$/, '');
        visit(parent, `${base} +-`, true);
      }
    };
    visit(this as RDD<unknown>, '', true);
    return lines.join('\n');
  }

  // ------------------------------------------------------- transformations

  /** Applies `f` to every element. */
  map<U>(f: (value: T) => U): RDD<U> {
    return this.narrow<U>({ kernel: 'map', functions: [f] });
  }

  /** Applies `f` to every element and flattens the results. */
  flatMap<U>(f: (value: T) => Iterable<U>): RDD<U> {
    return this.narrow<U>({ kernel: 'flatMap', functions: [f] });
  }

  /** Keeps the elements for which `f` is true. */
  filter(f: (value: T) => boolean): RDD<T> {
    return this.narrow<T>({ kernel: 'filter', functions: [f], preservesPartitioning: true });
  }

  /** Applies `f` to each partition's iterator. */
  mapPartitions<U>(f: (iterator: Iterator<T>) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return this.narrow<U>({ kernel: 'mapPartitions', functions: [f], preservesPartitioning });
  }

  /** Applies `f` to each partition's index and iterator. */
  mapPartitionsWithIndex<U>(
    f: (index: number, iterator: Iterator<T>) => Iterable<U>,
    preservesPartitioning = false,
  ): RDD<U> {
    return this.narrow<U>({ kernel: 'mapPartitionsWithIndex', functions: [f], preservesPartitioning });
  }

  /** One array per partition, holding that partition's elements. */
  glom(): RDD<T[]> {
    return this.narrow<T[]>({ kernel: 'glom' });
  }

  /** The distinct elements. */
  distinct(numPartitions?: PartitionsArg): RDD<T> {
    return this.narrow<[T, null]>({ kernel: 'pairWithNull', operator: 'distinct' })
      .combineWith<null, T>('distinct', { kind: 'keepFirst' }, [], numPartitions ?? this.getNumPartitions())
      .keys();
  }

  /** The elements of both RDDs (duplicates kept). */
  union(other: RDD<T>): RDD<T> {
    return new RDD<T>(this.host, new UnionNode<T>([this as RDD<unknown>, other as RDD<unknown>]));
  }

  /** The distinct elements present in both RDDs. */
  intersection(other: RDD<T>, numPartitions?: PartitionsArg): RDD<T> {
    const left = this.narrow<[T, null]>({ kernel: 'pairWithNull', operator: 'intersection' });
    const right = other.narrow<[T, null]>({ kernel: 'pairWithNull', operator: 'intersection' });
    const partitions = numPartitions ?? Math.max(this.getNumPartitions(), other.getNumPartitions());
    return left.cogroup(right, partitions).narrow<T>({ kernel: 'keysOnBothSides', operator: 'intersection' });
  }

  /** The elements of this RDD that are not in `other` (duplicates of this RDD kept). */
  subtract(other: RDD<T>, numPartitions?: PartitionsArg): RDD<T> {
    const left = this.narrow<[T, null]>({ kernel: 'pairWithNull', operator: 'subtract' });
    const right = other.narrow<[T, null]>({ kernel: 'pairWithNull', operator: 'subtract' });
    return left.subtractByKey(right, numPartitions ?? this.getNumPartitions()).keys();
  }

  /** Every pair `[t, u]` of an element of this RDD and one of `other`. */
  cartesian<U>(other: RDD<U>): RDD<[T, U]> {
    return new RDD<[T, U]>(this.host, new CartesianNode<T, U>(this as RDD<unknown>, other as RDD<unknown>));
  }

  /**
   * Pairs the i-th element of this RDD with the i-th of `other`. Both must have the same number of partitions
   * and the same number of elements in each partition.
   */
  zip<U>(other: RDD<U>): RDD<[T, U]> {
    return new RDD<[T, U]>(
      this.host,
      new ZippedPartitionsNode<T, U>(this as RDD<unknown>, other as RDD<unknown>),
    );
  }

  /** Pairs every element with its index, partition by partition in order (runs a count job first). */
  zipWithIndex(): RDD<[T, number]> {
    const params: Record<string, unknown> = { startIndices: [] };
    const zipped = this.narrow<[T, number]>({ kernel: 'zipWithIndex', params });
    const node = zipped.node as MapPartitionsNode<[T, number]> & { prepare?: () => Promise<void> };
    let prepared = false;
    node.prepare = async () => {
      if (prepared) return;
      prepared = true;
      const counts = (await this.host.runJob(this as RDD<unknown>, {
        kernel: 'count',
        functions: [],
        params: {},
      })) as number[];
      let start = 0;
      params.startIndices = counts.map((count) => {
        const at = start;
        start += count;
        return at;
      });
    };
    return zipped;
  }

  /** A random sample: each element kept with probability `fraction` (or `fraction` copies on average). */
  sample(withReplacement: boolean, fraction: number, seed: number = Date.now()): RDD<T> {
    requireArgument(fraction >= 0, `Negative fraction value: ${fraction}`);
    requireArgument(
      withReplacement || fraction <= 1,
      `Fraction must be at most 1 without replacement: ${fraction}`,
    );
    return this.narrow<T>({
      kernel: 'sample',
      params: { withReplacement, fraction, seed: seed | 0 },
      preservesPartitioning: true,
    });
  }

  /** Sorts the elements by `f` (natural ordering of its results). */
  sortBy<K>(f: (value: T) => K, ascending = true, numPartitions: number = this.getNumPartitions()): RDD<T> {
    return this.keyBy(f).sortByKey(ascending, numPartitions).values();
  }

  /** Pairs every element with the key `f` gives it: `[f(t), t]`. */
  keyBy<K>(f: (value: T) => K): RDD<[K, T]> {
    return this.narrow<[K, T]>({ kernel: 'keyBy', functions: [f] });
  }

  /** Groups the elements by the key `f` gives them. */
  groupBy<K>(f: (value: T) => K, numPartitions?: PartitionsArg): RDD<[K, T[]]> {
    return this.keyBy(f).groupByKey(numPartitions);
  }

  /** Fewer partitions; with `shuffle`, any number of evenly filled partitions. */
  coalesce(numPartitions: number, shuffle = false): RDD<T> {
    requireArgument(
      Number.isInteger(numPartitions) && numPartitions > 0,
      `Number of partitions (${numPartitions}) must be positive.`,
    );
    if (!shuffle) {
      return new RDD<T>(this.host, new CoalescedNode<T>(this as RDD<unknown>, { numPartitions }));
    }
    return this.narrow<[number, T]>({
      kernel: 'distributePartition',
      operator: 'coalesce',
      params: { numPartitions },
    })
      .shuffleTo<T>('coalesce', new HashPartitioner(numPartitions), undefined, undefined)
      .values();
  }

  /** Exactly `numPartitions` partitions, by a shuffle. */
  repartition(numPartitions: number): RDD<T> {
    return this.coalesce(numPartitions, true);
  }

  // -------------------------------------------------- pair transformations

  /** Applies `f` to every value, keeping keys and partitioning. */
  mapValues<K, V, U>(this: RDD<[K, V]>, f: (value: V) => U): RDD<[K, U]> {
    return this.narrow<[K, U]>({ kernel: 'mapValues', functions: [f], preservesPartitioning: true });
  }

  /** Applies `f` to every value and pairs each result with the key. */
  flatMapValues<K, V, U>(this: RDD<[K, V]>, f: (value: V) => Iterable<U>): RDD<[K, U]> {
    return this.narrow<[K, U]>({ kernel: 'flatMapValues', functions: [f], preservesPartitioning: true });
  }

  /** The keys. */
  keys<K, V>(this: RDD<[K, V]>): RDD<K> {
    return this.narrow<K>({ kernel: 'keys' });
  }

  /** The values. */
  values<K, V>(this: RDD<[K, V]>): RDD<V> {
    return this.narrow<V>({ kernel: 'values' });
  }

  /** Merges the values of each key with `func` (combining on the map side first). */
  reduceByKey<K, V>(this: RDD<[K, V]>, func: (a: V, b: V) => V, numPartitions?: PartitionsArg): RDD<[K, V]> {
    return this.combineWith<V, K>('reduceByKey', { kind: 'reduce' }, [func], numPartitions);
  }

  /** Merges the values of each key with `func`, starting each key (per partition) from `zeroValue`. */
  foldByKey<K, V>(
    this: RDD<[K, V]>,
    zeroValue: V,
    func: (a: V, b: V) => V,
    numPartitions?: PartitionsArg,
  ): RDD<[K, V]> {
    return this.combineWith<V, K>('foldByKey', { kind: 'fold', zero: zeroValue }, [func], numPartitions);
  }

  /** Aggregates the values of each key: `seqOp` folds values into `zeroValue`, `combOp` merges partials. */
  aggregateByKey<K, V, U>(
    this: RDD<[K, V]>,
    zeroValue: U,
    seqOp: (acc: U, value: V) => U,
    combOp: (a: U, b: U) => U,
    numPartitions?: PartitionsArg,
  ): RDD<[K, U]> {
    return this.combineWith<U, K>(
      'aggregateByKey',
      { kind: 'aggregate', zero: zeroValue },
      [seqOp, combOp],
      numPartitions,
    );
  }

  /** Spark's generic per-key aggregation. */
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (value: V) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: PartitionsArg,
  ): RDD<[K, C]> {
    return this.combineWith<C, K>(
      'combineByKey',
      { kind: 'combine' },
      [createCombiner, mergeValue, mergeCombiners],
      numPartitions,
    );
  }

  /** All values of each key, in one array (no map-side combine, as in Spark). */
  groupByKey<K, V>(this: RDD<[K, V]>, numPartitions?: PartitionsArg): RDD<[K, V[]]> {
    return this.combineWith<V[], K>('groupByKey', { kind: 'group' }, [], numPartitions);
  }

  /** Inner join: `[k, [v, w]]` for every pair of values of a key present in both. */
  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, [V, W]]> {
    return this.joinWith<K, V, W, [K, [V, W]]>('join', 'inner', other, numPartitions);
  }

  /** Left outer join: every value of this RDD, with `undefined` where `other` lacks the key. */
  leftOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: PartitionsArg,
  ): RDD<[K, [V, W | undefined]]> {
    return this.joinWith<K, V, W, [K, [V, W | undefined]]>('leftOuterJoin', 'left', other, numPartitions);
  }

  /** Right outer join: every value of `other`, with `undefined` where this RDD lacks the key. */
  rightOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: PartitionsArg,
  ): RDD<[K, [V | undefined, W]]> {
    return this.joinWith<K, V, W, [K, [V | undefined, W]]>('rightOuterJoin', 'right', other, numPartitions);
  }

  /** Full outer join: every value of both sides, with `undefined` for the missing side. */
  fullOuterJoin<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: PartitionsArg,
  ): RDD<[K, [V | undefined, W | undefined]]> {
    return this.joinWith<K, V, W, [K, [V | undefined, W | undefined]]>(
      'fullOuterJoin',
      'full',
      other,
      numPartitions,
    );
  }

  /** For each key in any RDD, the arrays of its values in this RDD and in each of `others`. */
  cogroup<K, V, W>(
    this: RDD<[K, V]>,
    other: RDD<[K, W]>,
    numPartitions?: PartitionsArg,
  ): RDD<[K, [V[], W[]]]>;
  cogroup<K, V, W1, W2>(
    this: RDD<[K, V]>,
    other1: RDD<[K, W1]>,
    other2: RDD<[K, W2]>,
    numPartitions?: PartitionsArg,
  ): RDD<[K, [V[], W1[], W2[]]]>;
  cogroup<K, V, W1, W2, W3>(
    this: RDD<[K, V]>,
    other1: RDD<[K, W1]>,
    other2: RDD<[K, W2]>,
    other3: RDD<[K, W3]>,
    numPartitions?: PartitionsArg,
  ): RDD<[K, [V[], W1[], W2[], W3[]]]>;
  cogroup<K>(
    this: RDD<[K, unknown]>,
    ...args: Array<RDD<[K, unknown]> | PartitionsArg | undefined>
  ): RDD<[K, unknown[][]]> {
    const others = args.filter((a): a is RDD<[K, unknown]> => a instanceof RDD);
    const last = args[args.length - 1];
    const partitionsArg = last instanceof RDD ? undefined : last;
    const parents = [this, ...others] as RDD<[unknown, unknown]>[];
    const partitioner = this.resolvePartitioner(partitionsArg, parents);
    const shuffleIds = parents.map(() => this.host.newShuffleId());
    const rdd = new RDD<[K, unknown[][]]>(
      this.host,
      new CoGroupedNode<K>(parents, { shuffleIds, partitioner }),
    );
    for (const shuffleId of shuffleIds) this.host.trackShuffle(shuffleId, rdd);
    return rdd;
  }

  /** The pairs of this RDD whose key does not occur in `other`. */
  subtractByKey<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, V]> {
    return this.cogroup(other, numPartitions ?? this.getNumPartitions()).narrow<[K, V]>({
      kernel: 'leftOnly',
      operator: 'subtractByKey',
    });
  }

  /** Sorts by key (natural ordering), range-partitioning the keys (a sample job chooses the ranges). */
  sortByKey<K, V>(
    this: RDD<[K, V]>,
    ascending = true,
    numPartitions: number = this.getNumPartitions(),
  ): RDD<[K, V]> {
    requireArgument(
      Number.isInteger(numPartitions) && numPartitions > 0,
      `Number of partitions (${numPartitions}) must be positive.`,
    );
    const choosePartitioner = async (): Promise<Partitioner> => {
      if (numPartitions === 1) return new RangePartitioner([], ascending, 1);
      const size = Math.ceil((3 * SAMPLE_PER_OUTPUT_PARTITION * numPartitions) / this.getNumPartitions());
      const sketches = (await this.host.runJob(this as RDD<unknown>, {
        kernel: 'sampleKeys',
        functions: [],
        params: { size, seed: this.id },
      })) as Array<{ count: number; sample: unknown[] }>;
      const weighted: Array<[unknown, number]> = [];
      for (const { count, sample } of sketches) {
        for (const key of sample) weighted.push([key, count / sample.length]);
      }
      return RangePartitioner.fromWeightedSample(weighted, numPartitions, ascending);
    };
    return this.shuffleTo<V, K>('sortByKey', choosePartitioner, undefined, ascending, numPartitions);
  }

  /** Repartitions by `partitioner` (a no-op when already partitioned that way). */
  partitionBy<K, V>(this: RDD<[K, V]>, partitioner: Partitioner): RDD<[K, V]> {
    if (partitioner.equals(this.partitioner)) return this;
    return this.shuffleTo<V, K>('partitionBy', partitioner, undefined, undefined);
  }

  // ---------------------------------------------------------------- actions

  /** All elements, in partition order. */
  async collect(): Promise<T[]> {
    const parts = (await this.run('collect')) as T[][];
    return parts.flat(1) as T[];
  }

  /** The number of elements. */
  async count(): Promise<number> {
    const counts = (await this.run('count')) as number[];
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The first element (fails on an empty RDD). */
  async first(): Promise<T> {
    const taken = await this.take(1);
    if (taken.length === 0) throw new DataflowError('OXBOW_EMPTY_COLLECTION', 'empty collection');
    return taken[0] as T;
  }

  /**
   * The first `num` elements, scanning partitions incrementally (one partition first, then more), like Spark.
   */
  async take(num: number): Promise<T[]> {
    const taken: T[] = [];
    const total = this.getNumPartitions();
    let scanned = 0;
    while (taken.length < num && scanned < total) {
      let batch = 1;
      if (scanned > 0) {
        batch =
          taken.length === 0
            ? scanned * 4
            : Math.max(1, Math.ceil((1.5 * num * scanned) / taken.length) - scanned);
        batch = Math.min(batch, scanned * 4);
      }
      const partitions = Array.from({ length: Math.min(batch, total - scanned) }, (_, i) => scanned + i);
      const parts = (await this.host.runJob(
        this as RDD<unknown>,
        { kernel: 'take', functions: [], params: { limit: num - taken.length } },
        partitions,
      )) as T[][];
      for (const part of parts) for (const x of part) if (taken.length < num) taken.push(x);
      scanned += partitions.length;
    }
    return taken;
  }

  /** The `num` smallest elements (natural ordering, or `comparator`), in order. */
  async takeOrdered(num: number, comparator?: Comparator<T>): Promise<T[]> {
    if (num <= 0) return [];
    const compare = (comparator ?? naturalCompare) as Comparator<unknown>;
    const parts = (await this.host.runJob(this as RDD<unknown>, {
      kernel: 'takeOrdered',
      functions: comparator ? [comparator] : [],
      params: { limit: num },
    })) as unknown[][];
    return smallestN(parts.flat(1), num, compare) as T[];
  }

  /** The `num` largest elements (natural ordering, or `comparator`), largest first. */
  top(num: number, comparator?: Comparator<T>): Promise<T[]> {
    const compare = comparator ?? (naturalCompare as Comparator<T>);
    return this.takeOrdered(num, (a, b) => compare(b, a));
  }

  /** Reduces the elements with a commutative, associative `f` (fails on an empty RDD). */
  async reduce(f: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.run('reduce', [f])) as PartialReduce[];
    let present = false;
    let acc: T | undefined;
    for (const part of parts) {
      if (!part.present) continue;
      acc = present ? f(acc as T, part.value as T) : (part.value as T);
      present = true;
    }
    if (!present) throw new DataflowError('OXBOW_EMPTY_COLLECTION', 'empty collection');
    return acc as T;
  }

  /** Folds each partition from `zeroValue` with `op`, then folds the partial results from `zeroValue` again. */
  async fold(zeroValue: T, op: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.run('fold', [op], { zero: zeroValue })) as T[];
    return parts.reduce((acc, part) => op(acc, part), zeroValue);
  }

  /** Aggregates each partition from `zeroValue` with `seqOp`, then merges the partials with `combOp`. */
  async aggregate<U>(zeroValue: U, seqOp: (acc: U, value: T) => U, combOp: (a: U, b: U) => U): Promise<U> {
    const parts = (await this.run('aggregate', [seqOp], { zero: zeroValue })) as U[];
    return parts.reduce((acc, part) => combOp(acc, part), zeroValue);
  }

  /** The number of elements of each key. */
  async countByKey<K, V>(this: RDD<[K, V]>): Promise<Map<K, number>> {
    const counts = await this.mapValues(() => 1)
      .reduceByKey((a, b) => a + b)
      .collect();
    return new Map(counts);
  }

  /** The number of times each distinct element occurs. */
  async countByValue(): Promise<Map<T, number>> {
    return this.map((x): [T, null] => [x, null]).countByKey();
  }

  /** The pairs as a Map (a later pair of a key wins, as in Spark). */
  async collectAsMap<K, V>(this: RDD<[K, V]>): Promise<Map<K, V>> {
    const byValue = new KeyMap<K, V>();
    for (const [k, v] of await this.collect()) byValue.set(k, v);
    return new Map(byValue.entries());
  }

  /** All values of `key` (only the key's partition is scanned when the RDD has a partitioner). */
  async lookup<K, V>(this: RDD<[K, V]>, key: K): Promise<V[]> {
    const matches = this.filter(([k]) => naturalCompare(k, key) === 0).values();
    if (!this.partitioner) return matches.collect();
    const partition = this.partitioner.getPartition(key);
    const parts = (await this.host.runJob(
      matches as RDD<unknown>,
      { kernel: 'collect', functions: [], params: {} },
      [partition],
    )) as V[][];
    return parts.flat(1) as V[];
  }

  /** Runs `f` on every element (in the task, not on the driver's copy of the data). */
  async foreach(f: (value: T) => void): Promise<void> {
    await this.run('foreach', [f]);
  }

  /** Runs `f` on every partition's iterator. */
  async foreachPartition(f: (iterator: Iterator<T>) => void): Promise<void> {
    await this.run('foreachPartition', [f]);
  }

  /** Whether the RDD has no elements. */
  async isEmpty(): Promise<boolean> {
    return this.getNumPartitions() === 0 || (await this.take(1)).length === 0;
  }

  /** The largest element (natural ordering, or `comparator`). */
  max(comparator?: Comparator<T>): Promise<T> {
    const compare = comparator ?? (naturalCompare as Comparator<T>);
    return this.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  }

  /** The smallest element (natural ordering, or `comparator`). */
  min(comparator?: Comparator<T>): Promise<T> {
    const compare = comparator ?? (naturalCompare as Comparator<T>);
    return this.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  }

  /** The sum of the numbers (0 when empty). */
  sum(this: RDD<number>): Promise<number> {
    return this.fold(0, (a, b) => a + b);
  }

  /** The mean of the numbers (0 when empty, as Spark's StatCounter). */
  async mean(this: RDD<number>): Promise<number> {
    return (await this.stats()).mean;
  }

  /** Count, mean, variance, standard deviation, max and min in one pass. */
  async stats(this: RDD<number>): Promise<Stats> {
    const parts = (await this.run('stats')) as StatCounter[];
    const total = new StatCounter();
    for (const part of parts) total.mergeCounter(part);
    return total.toStats();
  }

  // -------------------------------------------------------------- internals

  private run(
    kernel: ResultAction['kernel'],
    functions: UserFunction[] = [],
    params: Record<string, unknown> = {},
  ) {
    return this.host.runJob(this as RDD<unknown>, { kernel, functions, params });
  }

  private narrow<U>(spec: MapPartitionsSpec): RDD<U> {
    return new RDD<U>(this.host, new MapPartitionsNode<U>(this as RDD<unknown>, spec));
  }

  private resolvePartitioner(arg: PartitionsArg | undefined, parents: readonly RDD<unknown>[]): Partitioner {
    if (arg !== undefined) {
      if (typeof arg !== 'number') return arg;
      return new HashPartitioner(arg);
    }
    const partitioned = parents
      .map((p) => p.partitioner)
      .filter((p): p is Partitioner => p !== undefined)
      .sort((a, b) => b.numPartitions - a.numPartitions)[0];
    if (partitioned) return partitioned;
    return new HashPartitioner(Math.max(1, ...parents.map((p) => p.getNumPartitions())));
  }

  private combineWith<C, K = unknown>(
    operator: string,
    description: CombinerDescription,
    functions: UserFunction[],
    numPartitions: PartitionsArg | undefined,
  ): RDD<[K, C]> {
    const partitioner = this.resolvePartitioner(numPartitions, [this as RDD<unknown>]);
    const combiner = buildCombiner<unknown, unknown>(description, functions);
    return this.shuffleTo<C, K>(operator, partitioner, combiner, undefined);
  }

  private shuffleTo<C, K = unknown>(
    operator: string,
    partitioner: Partitioner | (() => Promise<Partitioner>),
    combiner: Combiner<unknown, unknown> | undefined,
    sortAscending: boolean | undefined,
    numPartitions: number = typeof partitioner === 'function' ? 1 : partitioner.numPartitions,
  ): RDD<[K, C]> {
    const parent = this as unknown as RDD<[unknown, unknown]>;
    const shuffleId = this.host.newShuffleId();
    const rdd = new RDD<[K, C]>(
      this.host,
      new ShuffledNode<K, C>(parent, {
        operator,
        shuffleId,
        numPartitions,
        partitioner,
        combiner,
        sortAscending,
      }),
    );
    this.host.trackShuffle(shuffleId, rdd);
    return rdd;
  }

  private joinWith<K, V, W, R>(
    operator: string,
    mode: 'inner' | 'left' | 'right' | 'full',
    other: RDD<[K, W]>,
    numPartitions: PartitionsArg | undefined,
  ): RDD<R> {
    return (this as unknown as RDD<[K, V]>)
      .cogroup(other, numPartitions)
      .narrow<R>({ kernel: 'joinRows', operator, params: { mode } });
  }
}

function safeShuffleParents(rdd: RDD<unknown>): RDD<unknown>[] {
  try {
    return rdd.node.shuffleDependencies.map((dep) => dep.rdd as RDD<unknown>);
  } catch {
    const parent = (rdd.node as unknown as { parent?: RDD<unknown> }).parent;
    return parent ? [parent] : [];
  }
}
