/**
 * Spark's shared variables: a broadcast value (read-only, shipped once to every task that uses it) and a long
 * accumulator (tasks add, the driver reads).
 */
import { DataflowError } from './errors.ts';
import { currentTaskContext } from './scheduler/task-context.ts';

/** A read-only value made available to tasks. */
export class Broadcast<T> {
  readonly id: number;
  private current: T | undefined;
  private destroyed = false;

  constructor(id: number, value: T) {
    this.id = id;
    this.current = value;
  }

  /** The broadcast value. Fails after `destroy()`. */
  get value(): T {
    if (this.destroyed) {
      throw new DataflowError(
        'OXBOW_INVALID_ARGUMENT',
        `Attempted to use Broadcast(${this.id}) after it was destroyed`,
      );
    }
    return this.current as T;
  }

  /** Drops copies held by workers (they are fetched again if used). */
  unpersist(): void {}

  /** Destroys the value; later use fails. */
  destroy(): void {
    this.destroyed = true;
    this.current = undefined;
  }
}

/** A counter tasks add to and the driver reads (Spark's `LongAccumulator`). */
export class LongAccumulator {
  readonly id: number;
  readonly name: string | undefined;
  private total = 0;
  private added = 0;

  constructor(id: number, name?: string) {
    this.id = id;
    this.name = name;
  }

  /** Adds `v`: inside a task, on behalf of the task; on the driver, directly. */
  add(v: number): void {
    const task = currentTaskContext();
    if (task) task.addToAccumulator(this.id, v);
    else this.merge(v);
  }

  /** Applies an update reported by a task (used by the driver). */
  merge(delta: number): void {
    this.total += delta;
    this.added += 1;
  }

  /** The sum. */
  get value(): number {
    return this.total;
  }

  /** The sum (Spark's name). */
  get sum(): number {
    return this.total;
  }

  /** How many updates were added. */
  get count(): number {
    return this.added;
  }

  /** The mean of the updates. */
  get avg(): number {
    return this.added === 0 ? Number.NaN : this.total / this.added;
  }

  /** Whether no update was added yet. */
  isZero(): boolean {
    return this.added === 0 && this.total === 0;
  }

  /** Resets to zero. */
  reset(): void {
    this.total = 0;
    this.added = 0;
  }
}
