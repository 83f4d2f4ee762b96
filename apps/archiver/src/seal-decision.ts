/**
 * When an epoch may be sealed (contract 0002): every partition of the topic has passed it (a record of a later
 * epoch is published) or is idle past it (everything below the high watermark read after the epoch's end is
 * archived). Pure: the archiver gathers the facts, this decides and computes `endOffsets`.
 */

/** What the archiver knows about one partition when deciding. */
export interface PartitionSealFacts {
  readonly partition: number;
  /** The first offset of a published file of a later epoch, when there is one. */
  readonly firstOffsetAfter: bigint | undefined;
  /** Every offset below this is published or dead-lettered. */
  readonly durable: bigint;
  /** The partition's high watermark, read at `watermarksAtMs`. */
  readonly highWatermark: bigint;
}

/** Inputs of {@link sealEndOffsets}. */
export interface SealInputs {
  readonly epoch: number;
  readonly epochMs: number;
  /** Margin for clock differences between the broker (append times) and the archiver. */
  readonly graceMs: number;
  /** When the high watermarks were read (archiver clock). */
  readonly watermarksAtMs: number;
  readonly partitions: readonly PartitionSealFacts[];
}

/**
 * The `endOffsets` of a `_sealed` marker for `epoch`, or undefined when some partition has not passed it yet.
 * `endOffsets[p]` is the first offset of `p` after the epoch: the first offset of a later-epoch file, or for an
 * idle partition its high watermark (records appended later belong to a later epoch).
 *
 * @example
 * sealEndOffsets({ epoch: 5, epochMs: 1000, graceMs: 100, watermarksAtMs: 6200,
 *   partitions: [{ partition: 0, firstOffsetAfter: 42n, durable: 50n, highWatermark: 60n }] }); // { '0': '42' }
 */
export function sealEndOffsets(inputs: SealInputs): Record<string, string> | undefined {
  if (inputs.partitions.length === 0) return undefined;
  const epochOver = inputs.watermarksAtMs >= (inputs.epoch + 1) * inputs.epochMs + inputs.graceMs;
  const endOffsets: Record<string, string> = {};
  for (const facts of [...inputs.partitions].sort((a, b) => a.partition - b.partition)) {
    if (facts.firstOffsetAfter !== undefined) {
      endOffsets[String(facts.partition)] = facts.firstOffsetAfter.toString();
    } else if (epochOver && facts.durable >= facts.highWatermark) {
      endOffsets[String(facts.partition)] = facts.highWatermark.toString();
    } else {
      return undefined;
    }
  }
  return endOffsets;
}
