/**
 * A fixed pool of worker threads running task messages, one task per worker at a time. A worker that dies fails
 * its task and is replaced; `close` terminates every worker, so none is left behind.
 */
import { Worker } from 'node:worker_threads';
import { DataflowError } from '../errors.ts';
import type { TaskMessage } from './stage-plan.ts';
import type { TaskReply } from './task-rebuild.ts';
import type { TaskErrorReply } from './worker-main.ts';

interface PendingTask {
  taskId: number;
  message: TaskMessage;
  resolve(reply: TaskReply): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  busy: PendingTask | undefined;
}

const WORKER_URL = new URL('./worker-main.ts', import.meta.url);

export class WorkerPool {
  private readonly size: number;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: PendingTask[] = [];
  private nextTaskId = 0;
  private closed = false;

  constructor(size: number) {
    this.size = size;
  }

  /** Runs a task on the next free worker. */
  run(message: TaskMessage): Promise<TaskReply> {
    if (this.closed)
      return Promise.reject(new DataflowError('OXBOW_CONTEXT_STOPPED', 'the worker pool is closed'));
    return new Promise<TaskReply>((resolve, reject) => {
      this.queue.push({ taskId: this.nextTaskId++, message, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates every worker; queued tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) {
      task.reject(new DataflowError('OXBOW_CONTEXT_STOPPED', 'the context was stopped'));
    }
    await Promise.all(this.workers.splice(0).map(({ worker }) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.workers.find((w) => !w.busy);
      if (!slot && this.workers.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift() as PendingTask;
      slot.busy = task;
      slot.worker.postMessage({ taskId: task.taskId, message: task.message });
    }
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const slot: PoolWorker = { worker, busy: undefined };
    worker.on(
      'message',
      (reply: { taskId: number; ok: boolean; reply?: TaskReply; failure?: TaskErrorReply }) => {
        const task = slot.busy;
        slot.busy = undefined;
        if (task && task.taskId === reply.taskId) {
          if (reply.ok) task.resolve(reply.reply as TaskReply);
          else task.reject(toError(reply.failure as TaskErrorReply));
        }
        this.dispatch();
      },
    );
    const onDeath = (error: Error | number): void => {
      const index = this.workers.indexOf(slot);
      if (index >= 0) this.workers.splice(index, 1);
      const task = slot.busy;
      slot.busy = undefined;
      task?.reject(
        new DataflowError(
          'OXBOW_WORKER_CRASHED',
          `a worker thread died while running a task: ${error instanceof Error ? error.message : `exit ${error}`}`,
          { cause: error, retriable: true },
        ),
      );
      if (!this.closed) this.dispatch();
    };
    worker.on('error', onDeath);
    worker.on('exit', (code) => {
      if (this.workers.includes(slot)) onDeath(code);
    });
    this.workers.push(slot);
    return slot;
  }
}

function toError(failure: TaskErrorReply): Error {
  const cause = failure.causeMessage === undefined ? undefined : new Error(failure.causeMessage);
  const error =
    failure.code === undefined
      ? new DataflowError('OXBOW_TASK_FAILED', failure.message, { cause })
      : new DataflowError(failure.code as DataflowError['code'], failure.message, { cause });
  if (failure.stack) error.stack = failure.stack;
  return error;
}
