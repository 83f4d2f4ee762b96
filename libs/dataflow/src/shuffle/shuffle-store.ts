/**
 * Holds the output blocks of shuffle map tasks until the reduce side reads them. Blocks stay in memory up to a
 * byte budget; past it, new blocks are appended to a spill file on disk and read back from there, so a job whose
 * shuffle is larger than memory still completes.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface SpilledBlock {
  fd: number;
  offset: number;
  length: number;
}

type StoredBlock = Uint8Array | SpilledBlock;

interface ShuffleOutputs {
  numMapPartitions: number;
  /** mapPartition → reducePartition → blocks */
  outputs: Map<number, StoredBlock[][]>;
}

/** Totals kept by a {@link ShuffleStore}, for metrics and tests. */
export interface ShuffleStoreStats {
  bytesInMemory: number;
  bytesSpilled: number;
  blocksSpilled: number;
}

/** Driver-side store of shuffle blocks with spill to disk past `memoryBudgetBytes`. */
export class ShuffleStore {
  private readonly shuffles = new Map<number, ShuffleOutputs>();
  private readonly memoryBudgetBytes: number;
  private spillDir: string | undefined;
  private spillFd: number | undefined;
  private spillOffset = 0;
  private readonly totals: ShuffleStoreStats = { bytesInMemory: 0, bytesSpilled: 0, blocksSpilled: 0 };

  constructor(memoryBudgetBytes: number) {
    this.memoryBudgetBytes = memoryBudgetBytes;
  }

  get stats(): Readonly<ShuffleStoreStats> {
    return this.totals;
  }

  /** Declares a shuffle before its map tasks run; a repeated call keeps what is stored. */
  register(shuffleId: number, numMapPartitions: number): void {
    if (!this.shuffles.has(shuffleId)) this.shuffles.set(shuffleId, { numMapPartitions, outputs: new Map() });
  }

  /** Whether every map task of the shuffle has stored its output. */
  isComplete(shuffleId: number): boolean {
    const shuffle = this.shuffles.get(shuffleId);
    return shuffle !== undefined && shuffle.outputs.size === shuffle.numMapPartitions;
  }

  /** Stores the blocks of one map task (replacing an earlier attempt's), indexed by reduce partition. */
  putMapOutput(shuffleId: number, mapPartition: number, blocksByReducer: Uint8Array[][]): void {
    const shuffle = this.shuffles.get(shuffleId);
    if (!shuffle) throw new Error(`shuffle ${shuffleId} was not registered`);
    const previous = shuffle.outputs.get(mapPartition);
    if (previous) this.release(previous);
    shuffle.outputs.set(
      mapPartition,
      blocksByReducer.map((blocks) => blocks.map((block) => this.store(block))),
    );
  }

  /** The blocks every map task wrote for `reducePartition`, in map-partition order. */
  *blocksFor(shuffleId: number, reducePartition: number): Generator<Uint8Array> {
    const shuffle = this.shuffles.get(shuffleId);
    if (!shuffle) return;
    for (let mapPartition = 0; mapPartition < shuffle.numMapPartitions; mapPartition++) {
      for (const block of shuffle.outputs.get(mapPartition)?.[reducePartition] ?? []) {
        yield block instanceof Uint8Array ? block : this.readSpilled(block);
      }
    }
  }

  /** Forgets a shuffle's blocks (its RDD is gone). */
  remove(shuffleId: number): void {
    const shuffle = this.shuffles.get(shuffleId);
    if (!shuffle) return;
    for (const blocks of shuffle.outputs.values()) this.release(blocks);
    this.shuffles.delete(shuffleId);
  }

  /** Drops every shuffle and deletes the spill file. */
  close(): void {
    for (const id of [...this.shuffles.keys()]) this.remove(id);
    if (this.spillFd !== undefined) closeSync(this.spillFd);
    if (this.spillDir) rmSync(this.spillDir, { recursive: true, force: true });
    this.spillFd = undefined;
    this.spillDir = undefined;
    this.spillOffset = 0;
  }

  private store(block: Uint8Array): StoredBlock {
    if (this.totals.bytesInMemory + block.byteLength <= this.memoryBudgetBytes) {
      this.totals.bytesInMemory += block.byteLength;
      return block;
    }
    const fd = this.openSpillFile();
    let written = 0;
    while (written < block.byteLength) {
      written += writeSync(fd, block, written, block.byteLength - written, this.spillOffset + written);
    }
    const spilled = { fd, offset: this.spillOffset, length: block.byteLength };
    this.spillOffset += block.byteLength;
    this.totals.bytesSpilled += block.byteLength;
    this.totals.blocksSpilled += 1;
    return spilled;
  }

  private release(blocksByReducer: StoredBlock[][]): void {
    for (const blocks of blocksByReducer) {
      for (const block of blocks) {
        if (block instanceof Uint8Array) this.totals.bytesInMemory -= block.byteLength;
      }
    }
  }

  private openSpillFile(): number {
    if (this.spillFd === undefined) {
      this.spillDir = mkdtempSync(join(tmpdir(), 'oxbow-shuffle-'));
      this.spillFd = openSync(join(this.spillDir, 'spill.bin'), 'w+');
    }
    return this.spillFd;
  }

  private readSpilled(block: SpilledBlock): Uint8Array {
    const bytes = new Uint8Array(block.length);
    let read = 0;
    while (read < block.length) {
      read += readSync(block.fd, bytes, read, block.length - read, block.offset + read);
    }
    return bytes;
  }
}
