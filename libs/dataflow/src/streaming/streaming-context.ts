/**
 * `StreamingContext`: the entry point of streaming (Spark Streaming's). It owns the stream graph, generates a
 * batch every `batchDuration` milliseconds on its clock, runs the output operations of each batch in order,
 * forgets old RDDs, and writes checkpoints (state as data, plus input positions) so `getOrCreate` can resume.
 */
import type { DataflowContext } from '../context.ts';
import { DataflowError, requireArgument } from '../errors.ts';
import type { RDD } from '../rdd/rdd.ts';
import { deserialize, serialize } from '../shuffle/record-serializer.ts';
import {
  type CheckpointStore,
  type CheckpointStoreFactory,
  resolveCheckpointStore,
} from './checkpoint-store.ts';
import { type Clock, SystemClock } from './clock.ts';
import type { DStream } from './dstream.ts';
import type { ForEachDStream } from './dstreams/foreach-dstream.ts';
import './dstreams/index.ts';
import type { BatchInfo, InputDStream } from './dstreams/input-dstream.ts';
import { QueueInputDStream } from './dstreams/queue-input-dstream.ts';
import { ReceiverInputDStream } from './dstreams/receiver-input-dstream.ts';
import { TransformedDStream } from './dstreams/transformed-dstream.ts';
import { UnionDStream } from './dstreams/union-dstream.ts';
import type { Receiver } from './receiver.ts';
import { SocketTextReceiver } from './socket-receiver.ts';

/** Options of a {@link StreamingContext}. */
export interface StreamingContextOptions {
  /** The clock batches are scheduled on (default: the system clock; tests pass a `ManualClock`). */
  clock?: Clock;
  /** Makes checkpoint stores for schemes the engine has no built-in store for (`s3://`, `hdfs://`). */
  checkpointStore?: CheckpointStoreFactory;
  /** Checkpoints kept in the checkpoint directory (default 2). */
  checkpointsToKeep?: number;
  /**
   * Told about each checkpoint `getOrCreate` skips because it does not decode (torn, truncated, another format);
   * the context resumes from the newest one that does, or starts fresh when none does.
   */
  onDamagedCheckpoint?: (name: string, reason: string) => void;
}

/** Options of {@link StreamingContext.stop}. */
export interface StopOptions {
  /** Also stop the `DataflowContext` (default true, as Spark). */
  stopDataflowContext?: boolean;
  /** Finish the batch in progress before stopping (the engine always does; kept for Spark's signature). */
  stopGracefully?: boolean;
}

/** Told about every completed batch. */
export interface StreamingListener {
  onBatchCompleted?(info: BatchInfo): void;
}

/** The lifecycle states of a context, as Spark's `StreamingContextState`. */
export type StreamingContextState = 'INITIALIZED' | 'ACTIVE' | 'STOPPED';

/** What a checkpoint holds: no functions, only data and positions. */
interface CheckpointData {
  format: 'oxbow-streaming-checkpoint';
  version: 1;
  batchDuration: number;
  zeroTime: number;
  checkpointTime: number;
  streams: Array<[id: number, name: string, state: unknown]>;
}

const CHECKPOINT_PREFIX = 'checkpoint-';

/**
 * The streaming entry point.
 *
 * @example
 * ```ts
 * const ssc = new StreamingContext(new DataflowContext(), 1000);
 * ssc.socketTextStream('127.0.0.1', 9999)
 *   .flatMap((line) => line.split(' '))
 *   .map((w): [string, number] => [w, 1])
 *   .reduceByKey((a, b) => a + b)
 *   .print();
 * await ssc.start();
 * await ssc.awaitTermination();
 * ```
 */
export class StreamingContext {
  readonly dataflowContext: DataflowContext;
  readonly batchDuration: number;
  readonly clock: Clock;
  private readonly options: StreamingContextOptions;
  private readonly streams: DStream<unknown>[] = [];
  private readonly inputs: InputDStream<unknown>[] = [];
  private readonly outputs: ForEachDStream<unknown>[] = [];
  private readonly listeners: StreamingListener[] = [];
  private state: StreamingContextState = 'INITIALIZED';
  private store: CheckpointStore | undefined;
  private checkpointLocation: string | undefined;
  private restored: CheckpointData | undefined;
  private rememberMs = 0;
  private loop: Promise<void> | undefined;
  private stopRequested = false;
  private wakeStop: (() => void) | undefined;
  private failure: unknown;
  private terminated!: Promise<void>;
  private resolveTerminated!: () => void;
  private rejectTerminated!: (error: unknown) => void;
  /** Time of the last batch whose outputs all completed. */
  lastCompletedBatchTime: number | undefined;
  /** The zero time the batches count from (set on start). */
  zeroTime: number | undefined;

  constructor(
    dataflowContext: DataflowContext,
    batchDurationMs: number,
    options: StreamingContextOptions = {},
  ) {
    requireArgument(
      Number.isInteger(batchDurationMs) && batchDurationMs > 0,
      `batch duration must be a positive number of milliseconds, got ${batchDurationMs}`,
    );
    this.dataflowContext = dataflowContext;
    this.batchDuration = batchDurationMs;
    this.clock = options.clock ?? new SystemClock();
    this.options = options;
    this.resetTermination();
  }

  /** Resumes from the newest checkpoint in `checkpointDir`, or makes a new context with `createFn`. */
  static async getOrCreate(
    checkpointDir: string,
    createFn: () => StreamingContext | Promise<StreamingContext>,
    options: Pick<StreamingContextOptions, 'checkpointStore' | 'onDamagedCheckpoint'> = {},
  ): Promise<StreamingContext> {
    const store = resolveCheckpointStore(checkpointDir, options.checkpointStore);
    const checkpoint = await readNewestCheckpoint(store, options.onDamagedCheckpoint);
    const ssc = await createFn();
    if (!ssc.checkpointDir) ssc.checkpoint(checkpointDir);
    if (checkpoint) ssc.restoreFrom(checkpoint);
    return ssc;
  }

  /** The time of the checkpoint this context was restored from, if it was. */
  get restoredCheckpointTime(): number | undefined {
    return this.restored?.checkpointTime;
  }

  /** The directory checkpoints are written to, once set. */
  get checkpointDir(): string | undefined {
    return this.checkpointLocation;
  }

  /** The context's lifecycle state. */
  getState(): StreamingContextState {
    return this.state;
  }

  /** Sets the checkpoint directory (required by stateful operations). */
  checkpoint(directory: string): void {
    this.store = resolveCheckpointStore(directory, this.options.checkpointStore);
    this.checkpointLocation = directory;
  }

  /** Keeps every generated RDD for at least `durationMs` (for queries over past batches). */
  remember(durationMs: number): void {
    this.rememberMs = durationMs;
  }

  /** Tells `listener` about every completed batch. */
  addStreamingListener(listener: StreamingListener): void {
    this.listeners.push(listener);
  }

  // ------------------------------------------------------------ inputs

  /** A stream whose batches are taken from a queue of RDDs (tests, demos). */
  queueStream<T>(queue: RDD<T>[], oneAtATime = true, defaultRDD?: RDD<T>): DStream<T> {
    return new QueueInputDStream<T>(this, queue, oneAtATime, defaultRDD);
  }

  /** Lines of text from a TCP server. */
  socketTextStream(host: string, port: number): DStream<string> {
    return this.receiverStream(new SocketTextReceiver(host, port));
  }

  /** A stream fed by a custom {@link Receiver}. */
  receiverStream<T>(receiver: Receiver<T>): ReceiverInputDStream<T> {
    return new ReceiverInputDStream<T>(this, receiver);
  }

  /** The union of several streams with the same slide duration. */
  union<T>(streams: readonly DStream<T>[]): DStream<T> {
    return new UnionDStream<T>(this, streams);
  }

  /** A stream computed from several streams' RDDs of the same time. */
  transform<T>(
    streams: readonly DStream<unknown>[],
    f: (rdds: RDD<unknown>[], time: number) => RDD<T>,
  ): DStream<T> {
    return new TransformedDStream<T>(this, streams, f);
  }

  // ------------------------------------------------------------ lifecycle

  /** Starts generating batches. */
  async start(): Promise<void> {
    if (this.state === 'ACTIVE')
      throw new DataflowError('OXBOW_INVALID_ARGUMENT', 'StreamingContext has already been started');
    if (this.state === 'STOPPED') {
      throw new DataflowError('OXBOW_CONTEXT_STOPPED', 'StreamingContext has already been stopped');
    }
    if (this.outputs.length === 0) {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        'No output operations registered, so nothing to execute',
      );
    }
    for (const output of this.outputs) output.validateAtStart();
    const zeroTime = this.restored
      ? this.restored.zeroTime
      : (Math.floor(this.clock.now() / this.batchDuration) + 1) * this.batchDuration - this.batchDuration;
    this.zeroTime = zeroTime;
    for (const output of this.outputs) output.initialize(zeroTime);
    if (this.rememberMs > 0) for (const stream of this.streams) stream.remember(this.rememberMs);
    if (this.restored) this.applyRestoredState(this.restored);
    const firstBatch = this.restored
      ? this.restored.checkpointTime + this.batchDuration
      : zeroTime + this.batchDuration;
    for (const input of this.inputs) await input.start();
    this.state = 'ACTIVE';
    this.loop = this.runLoop(firstBatch);
  }

  /** Stops generating batches after the one in progress; stops inputs (and the DataflowContext by default). */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.state === 'STOPPED') return;
    const wasActive = this.state === 'ACTIVE';
    this.stopRequested = true;
    this.wakeStop?.();
    if (wasActive) await this.loop?.catch(() => undefined);
    for (const input of this.inputs) await input.stop();
    this.state = 'STOPPED';
    if (options.stopDataflowContext ?? true) await this.dataflowContext.stop();
    if (this.failure === undefined) this.resolveTerminated();
  }

  /** Resolves when the context stops; rejects with the error that stopped it, if one did. */
  awaitTermination(): Promise<void> {
    return this.terminated;
  }

  /** Waits at most `timeoutMs` (on the context's clock); true when the context terminated. */
  async awaitTerminationOrTimeout(timeoutMs: number): Promise<boolean> {
    let done = false;
    const terminated = this.terminated.then(() => {
      done = true;
    });
    await Promise.race([terminated, this.clock.waitUntil(this.clock.now() + timeoutMs)]);
    return done;
  }

  /** Resolves once the batch at `time` (or a later one) completed; rejects if the context failed first. */
  awaitBatchCompletion(time: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if ((this.lastCompletedBatchTime ?? Number.NEGATIVE_INFINITY) >= time) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const listener: StreamingListener = {
        onBatchCompleted: (info) => {
          if (info.batchTime >= time) {
            this.listeners.splice(this.listeners.indexOf(listener), 1);
            resolve();
          }
        },
      };
      this.listeners.push(listener);
      this.terminated.then(
        () => reject(new DataflowError('OXBOW_CONTEXT_STOPPED', `the context stopped before batch ${time}`)),
        reject,
      );
    });
  }

  // ------------------------------------------------------------ engine internals (used by streams)

  /** Registers a stream (every DStream calls it); returns its id. */
  registerStream(stream: DStream<unknown>): number {
    if (this.state !== 'INITIALIZED') {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        'Adding new inputs, transformations, and output operations after starting a context is not supported',
      );
    }
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  /** Registers an input stream. */
  registerInputStream(stream: InputDStream<unknown>): void {
    this.inputs.push(stream);
  }

  /** Registers an output stream. */
  registerOutputStream(stream: DStream<unknown>): void {
    this.outputs.push(stream as ForEachDStream<unknown>);
  }

  private async runLoop(firstBatch: number): Promise<void> {
    let time = firstBatch;
    try {
      while (!this.stopRequested) {
        const stop = new Promise<void>((resolve) => {
          this.wakeStop = resolve;
        });
        await Promise.race([this.clock.waitUntil(time), stop]);
        if (this.stopRequested) break;
        await this.runBatch(time);
        time += this.batchDuration;
      }
    } catch (error) {
      this.failure = error;
      this.rejectTerminated(error);
      this.stopRequested = true;
    }
  }

  private async runBatch(time: number): Promise<void> {
    const start = this.clock.now();
    for (const output of this.outputs) await output.generateJob(time);
    const end = this.clock.now();
    const info: BatchInfo = {
      batchTime: time,
      processingStartTime: start,
      processingEndTime: end,
      numRecords: 0,
      schedulingDelayMs: Math.max(0, start - time),
      processingDelayMs: end - start,
    };
    // The checkpoint (state and input positions as of this batch) is durable before inputs acknowledge the batch
    // to their sources, so a source's own record of progress (Kafka group offsets) never runs ahead of the state.
    if (this.store) await this.writeCheckpoint(this.store, time);
    for (const input of this.inputs) await input.batchCompleted(time, info);
    for (const output of this.outputs) output.clearMetadata(time);
    this.lastCompletedBatchTime = time;
    for (const listener of this.listeners) listener.onBatchCompleted?.(info);
  }

  private async writeCheckpoint(store: CheckpointStore, time: number): Promise<void> {
    const streams: CheckpointData['streams'] = [];
    for (const stream of this.streams) {
      const state = await stream.checkpointState();
      if (state !== undefined) streams.push([stream.id, stream.name, state]);
    }
    const data: CheckpointData = {
      format: 'oxbow-streaming-checkpoint',
      version: 1,
      batchDuration: this.batchDuration,
      zeroTime: this.zeroTime ?? 0,
      checkpointTime: time,
      streams,
    };
    await store.write(checkpointName(time), serialize(data));
    const keep = this.options.checkpointsToKeep ?? 2;
    const names = (await store.list()).filter((n) => n.startsWith(CHECKPOINT_PREFIX)).sort();
    for (const name of names.slice(0, Math.max(0, names.length - keep))) await store.delete(name);
  }

  private restoreFrom(checkpoint: CheckpointData): void {
    if (checkpoint.batchDuration !== this.batchDuration) {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        `the checkpoint was written with a batch duration of ${checkpoint.batchDuration} ms, the new context has ${this.batchDuration} ms`,
      );
    }
    this.restored = checkpoint;
  }

  private applyRestoredState(checkpoint: CheckpointData): void {
    for (const [id, name, state] of checkpoint.streams) {
      const stream = this.streams[id];
      if (!stream || stream.name !== name) {
        throw new DataflowError(
          'OXBOW_INVALID_ARGUMENT',
          `the checkpoint does not match the stream graph: stream ${id} was ${name}, is ${stream?.name ?? 'missing'}; build the same graph in createFn`,
        );
      }
      stream.restoreState(state);
    }
    for (const input of this.inputs) input.markRestoredThrough(checkpoint.checkpointTime);
  }

  private resetTermination(): void {
    this.terminated = new Promise<void>((resolve, reject) => {
      this.resolveTerminated = resolve;
      this.rejectTerminated = reject;
    });
    this.terminated.catch(() => undefined);
  }
}

function checkpointName(time: number): string {
  return `${CHECKPOINT_PREFIX}${String(time).padStart(16, '0')}`;
}

async function readNewestCheckpoint(
  store: CheckpointStore,
  onDamaged?: (name: string, reason: string) => void,
): Promise<CheckpointData | undefined> {
  const names = (await store.list())
    .filter((n) => n.startsWith(CHECKPOINT_PREFIX))
    .sort()
    .reverse();
  for (const name of names) {
    const bytes = await store.read(name);
    if (!bytes) continue;
    let reason: string;
    try {
      const data = deserialize<CheckpointData>(bytes);
      if (data?.format === 'oxbow-streaming-checkpoint' && data.version === 1) return data;
      reason = `not an oxbow-streaming-checkpoint of version 1 (${bytes.byteLength} bytes)`;
    } catch (error) {
      reason = `does not decode (${bytes.byteLength} bytes): ${error instanceof Error ? error.message : String(error)}`;
    }
    // A damaged checkpoint: fall back to the previous one.
    onDamaged?.(name, reason);
  }
  return undefined;
}
