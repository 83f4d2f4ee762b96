/**
 * Parsing off the main thread: a pool of worker threads ({@link ./parse-worker.ts}) that each load the project
 * and validate records by their schema. The Kafka source hands each partition's cut to
 * {@link ParsePool.deserializeBatch} (the source's `deserializeBatch` option); its records are split into chunks
 * spread over the threads, so one batch's parsing runs on every thread at once, and the events come back in
 * order. A rejected record comes back as a `RejectedRecord` carrying the same `SpeedError` the main thread's
 * deserializer throws, so the source dead-letters it exactly as before. The main thread keeps the fetching, the
 * fold, the live views and the commits; what a record costs it is copying its bytes out and receiving its event.
 */
import { Worker } from 'node:worker_threads';
import { type RawKafkaRecord, RejectedRecord } from '@oxbow/connectors';
import type { AnyEvent } from '@oxbow/views';
import { SpeedError } from './errors.ts';

/** What a parse thread is started with. */
export interface ParseWorkerData {
  /** The project module's path. */
  readonly projectPath: string;
}

/** One chunk of records to parse: their bytes back to back, `ends[i]` the end of record `i`. */
export interface ParseRequest {
  readonly id: number;
  /** The project topic (its schema). */
  readonly topic: string;
  /** The time timestamps are checked against (`schema.parse`'s `now`). */
  readonly now: number;
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
}

/** A parse thread's answer: one event per record (null for a rejected one), the rejected ones' reasons. */
export interface ParseReply {
  readonly id: number;
  readonly events: AnyEvent[];
  readonly rejected: Array<[index: number, reasons: string]>;
  /** Set when the chunk could not be parsed at all (an unknown topic, say). */
  error?: string;
}

/** Records per chunk handed to one thread. */
export const PARSE_CHUNK_RECORDS = 4_096;

/**
 * Parse threads by default: none. A parse thread takes the parsing off the main thread, but the main thread then
 * receives each event as a structured clone, which costs it about what parsing the record did, and the cut
 * waits for the threads (batches are not pipelined), so on the 2-core development machine the main thread ended
 * up busier (docs/design/0009-speed-layer-throughput.md). It pays where a batch's partitions can be parsed on
 * several idle cores at once: set `parseThreads` there.
 */
export const DEFAULT_PARSE_THREADS = 0;

interface Pending {
  resolve(reply: ParseReply): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

const WORKER_URL = new URL('./parse-worker.ts', import.meta.url);

/** Worker threads parsing records by the project's schemas. */
export class ParsePool {
  private readonly projectPath: string;
  private readonly threads: Array<Thread | undefined>;
  private next = 0;
  private nextId = 1;
  private closed = false;

  private constructor(projectPath: string, size: number) {
    this.projectPath = projectPath;
    this.threads = Array.from({ length: size }, () => undefined);
  }

  /**
   * Starts `size` threads loading the project at `projectPath`; resolves once every one is ready, rejects (having
   * stopped them) when one cannot load it.
   */
  static async start(projectPath: string, size: number): Promise<ParsePool> {
    const pool = new ParsePool(projectPath, size);
    try {
      await Promise.all(pool.threads.map((_, index) => pool.spawn(index)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** How many threads parse. */
  get size(): number {
    return this.threads.length;
  }

  private spawn(index: number): Promise<Thread> {
    const worker = new Worker(WORKER_URL, {
      workerData: { projectPath: this.projectPath } satisfies ParseWorkerData,
    });
    const thread: Thread = { worker, pending: new Map() };
    this.threads[index] = thread;
    const failAll = (error: unknown) => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    return new Promise<Thread>((resolve, reject) => {
      worker.on('message', (message: ParseReply | { ready: true } | { initError: string }) => {
        if ('ready' in message) return resolve(thread);
        if ('initError' in message) {
          reject(
            new SpeedError(
              'OXBOW_SPEED_BAD_OPTIONS',
              `a parse thread cannot load the project: ${message.initError}`,
            ),
          );
          return;
        }
        const pending = thread.pending.get(message.id);
        thread.pending.delete(message.id);
        pending?.resolve(message);
      });
      worker.on('error', (error) => {
        reject(error);
        failAll(
          new SpeedError('OXBOW_SPEED_STATE', `a parse thread failed: ${error.message}`, {
            cause: error,
            retriable: true,
          }),
        );
      });
      worker.on('exit', (code) => {
        reject(new SpeedError('OXBOW_SPEED_STATE', `a parse thread exited (${code}) while starting`));
        failAll(new SpeedError('OXBOW_SPEED_STATE', `a parse thread exited (${code})`, { retriable: true }));
      });
    });
  }

  /** A ready thread for the next chunk (round robin; a thread that died is started again). */
  private async thread(): Promise<Thread> {
    const index = this.next;
    this.next = (this.next + 1) % this.threads.length;
    return this.threads[index] ?? (await this.spawn(index));
  }

  private async parseChunk(
    topic: string,
    records: readonly RawKafkaRecord[],
    now: number,
  ): Promise<ParseReply> {
    let total = 0;
    for (const record of records) total += record.value?.length ?? 0;
    const bytes = new Uint8Array(total);
    const ends = new Uint32Array(records.length);
    let at = 0;
    records.forEach((record, index) => {
      if (record.value !== null) {
        bytes.set(record.value, at);
        at += record.value.length;
      }
      ends[index] = at;
    });
    const thread = await this.thread();
    const id = this.nextId++;
    const reply = new Promise<ParseReply>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
    const request: ParseRequest = { id, topic, now, bytes, ends };
    thread.worker.postMessage(request, [bytes.buffer, ends.buffer]);
    const answer = await reply;
    if (answer.error !== undefined)
      throw new SpeedError('OXBOW_SPEED_STATE', `a parse thread failed: ${answer.error}`);
    return answer;
  }

  /**
   * One partition's cut parsed by `topic`'s schema at `now`: an event per record, in order, or a `RejectedRecord`
   * whose error is the `SpeedError` (`OXBOW_SPEED_INVALID_EVENT`) listing every reason.
   */
  async deserializeBatch(
    topic: string,
    records: readonly RawKafkaRecord[],
    now: number = Date.now(),
  ): Promise<Array<AnyEvent | RejectedRecord>> {
    if (this.closed)
      throw new SpeedError('OXBOW_SPEED_STATE', 'the parse pool is closed', { retriable: true });
    const chunks: Array<Promise<ParseReply>> = [];
    for (let first = 0; first < records.length; first += PARSE_CHUNK_RECORDS) {
      chunks.push(this.parseChunk(topic, records.slice(first, first + PARSE_CHUNK_RECORDS), now));
    }
    const values: Array<AnyEvent | RejectedRecord> = [];
    for (const reply of await Promise.all(chunks)) {
      const offset = values.length;
      for (const event of reply.events) values.push(event);
      for (const [index, reasons] of reply.rejected) {
        values[offset + index] = new RejectedRecord(new SpeedError('OXBOW_SPEED_INVALID_EVENT', reasons));
      }
    }
    return values;
  }

  /** Stops every thread; pending parses reject. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.threads.map(async (thread, index) => {
        this.threads[index] = undefined;
        if (thread !== undefined) await thread.worker.terminate();
      }),
    );
  }
}
