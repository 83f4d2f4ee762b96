/**
 * A deterministic harness for streaming jobs, like Spark's `TestSuiteBase`: feed batches of input, run a number
 * of batch intervals on a manual clock (no sleeping), and get back what the output stream generated, one entry
 * per RDD, in time order.
 */
import { DataflowContext } from '../context.ts';
import { ManualClock } from '../streaming/clock.ts';
import type { DStream } from '../streaming/dstream.ts';
import { StreamingContext } from '../streaming/streaming-context.ts';
import { TestInputStream } from './test-input-stream.ts';

/** Options of {@link runStream} and {@link runStream2}. */
export interface RunStreamOptions {
  /** Default 1000 ms. */
  batchIntervalMs?: number;
  /** Batches to run; default the input's length (batches past the input see empty input). */
  numBatches?: number;
  /** Partitions of each input batch; default 2. */
  numInputPartitions?: number;
  /** Parallelism of the DataflowContext; default 1 (in-process, deterministic). */
  parallelism?: number;
}

let harnessRuns = 0;

async function run<O>(
  inputs: readonly (readonly (readonly unknown[])[])[],
  op: (streams: DStream<unknown>[]) => DStream<O>,
  options: RunStreamOptions,
): Promise<O[][]> {
  const batchIntervalMs = options.batchIntervalMs ?? 1000;
  const numBatches = options.numBatches ?? Math.max(...inputs.map((input) => input.length));
  const clock = new ManualClock(0);
  const ctx = new DataflowContext({ parallelism: options.parallelism ?? 1 });
  const ssc = new StreamingContext(ctx, batchIntervalMs, { clock });
  ssc.checkpoint(`memory://oxbow-run-stream-${process.pid}-${harnessRuns++}`);
  const streams = inputs.map(
    (input) => new TestInputStream<unknown>(ssc, input, options.numInputPartitions ?? 2) as DStream<unknown>,
  );
  const outputs: O[][] = [];
  op(streams).foreachRDD(async (rdd) => {
    outputs.push(await rdd.collect());
  });
  try {
    await ssc.start();
    for (let batch = 1; batch <= numBatches; batch++) {
      clock.advance(batchIntervalMs);
      await ssc.awaitBatchCompletion(batch * batchIntervalMs);
    }
  } finally {
    await ssc.stop({ stopDataflowContext: true });
  }
  return outputs;
}

/**
 * Runs `op` over one input stream.
 *
 * @example
 * ```ts
 * const out = await runStream([['a', 'b'], ['a']], (s) => s.countByValue());
 * // [[['a', 1], ['b', 1]], [['a', 1]]] (order within a batch unspecified)
 * ```
 */
export function runStream<I, O>(
  input: readonly (readonly I[])[],
  op: (stream: DStream<I>) => DStream<O>,
  options: RunStreamOptions = {},
): Promise<O[][]> {
  return run<O>([input], ([stream]) => op(stream as DStream<I>), options);
}

/** Runs `op` over two input streams. */
export function runStream2<I1, I2, O>(
  input1: readonly (readonly I1[])[],
  input2: readonly (readonly I2[])[],
  op: (first: DStream<I1>, second: DStream<I2>) => DStream<O>,
  options: RunStreamOptions = {},
): Promise<O[][]> {
  return run<O>([input1, input2], ([a, b]) => op(a as DStream<I1>, b as DStream<I2>), options);
}
