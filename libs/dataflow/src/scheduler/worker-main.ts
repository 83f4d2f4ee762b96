/**
 * Entry point of a dataflow worker thread: receives task messages, runs them, replies with the result or the
 * error. Shuffle blocks are transferred back without copying.
 */
import { parentPort } from 'node:worker_threads';
import { DataflowError } from '../errors.ts';
import type { TaskMessage } from './stage-plan.ts';
import { runTaskMessage } from './task-rebuild.ts';

/** A serializable form of an error raised by a task. */
export interface TaskErrorReply {
  message: string;
  code: string | undefined;
  stack: string | undefined;
  causeMessage: string | undefined;
}

if (!parentPort) throw new Error('worker-main.ts must run in a worker thread');
const port = parentPort;

port.on('message', async (envelope: { taskId: number; message: TaskMessage }) => {
  try {
    const reply = await runTaskMessage(envelope.message);
    const transfer: ArrayBuffer[] = [];
    if (envelope.message.output.kind === 'shuffleMap') {
      for (const blocks of reply.result as Uint8Array[][]) {
        for (const block of blocks) transfer.push(block.buffer as ArrayBuffer);
      }
    }
    port.postMessage({ taskId: envelope.taskId, ok: true, reply }, transfer);
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    const failure: TaskErrorReply = {
      message: error instanceof Error ? error.message : String(error),
      code: DataflowError.is(error) ? error.code : undefined,
      stack: error instanceof Error ? error.stack : undefined,
      causeMessage: cause instanceof Error ? cause.message : cause === undefined ? undefined : String(cause),
    };
    port.postMessage({ taskId: envelope.taskId, ok: false, failure });
  }
});
