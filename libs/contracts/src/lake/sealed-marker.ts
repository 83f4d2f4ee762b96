/**
 * The `_sealed` marker of an epoch (docs/design/0002-layer-contracts.md, "The master dataset"): written once by the
 * archiver when every partition of the topic has passed the epoch; the batch layer reads its end offsets.
 *
 * ```json
 * { "topic": "http_logs", "epoch": 489012, "epochMs": 3600000, "sealedAt": "…", "endOffsets": { "0": "1200" } }
 * ```
 */
import { ContractError } from '../errors/contract-error.ts';
import { integerField, objectField, offsetsField, parseJson, stringField } from '../json-fields.ts';

/** The content of an `_sealed` marker. */
export interface SealedMarker {
  readonly topic: string;
  readonly epoch: number;
  readonly epochMs: number;
  /** When the archiver sealed the epoch (ISO-8601). */
  readonly sealedAt: string;
  /** Per partition, the first offset that belongs to a later epoch (decimal string). */
  readonly endOffsets: Readonly<Record<string, string>>;
}

/**
 * The bytes of a marker: one line of JSON (fields in the contract's order) and a newline.
 *
 * @example
 * await lake.putAtomic(sealedPath(topic, epoch), encodeSealedMarker({ topic, epoch, epochMs, sealedAt, endOffsets }));
 */
export function encodeSealedMarker(marker: SealedMarker): Uint8Array {
  const { topic, epoch, epochMs, sealedAt, endOffsets } = marker;
  return new TextEncoder().encode(`${JSON.stringify({ topic, epoch, epochMs, sealedAt, endOffsets })}\n`);
}

/**
 * Parses and checks a marker read from `path`; throws `OXBOW_LAKE_LAYOUT` naming the first problem.
 *
 * @example
 * const { endOffsets } = decodeSealedMarker(await lake.read(path), path);
 */
export function decodeSealedMarker(bytes: Uint8Array | string, path: string): SealedMarker {
  const fail = (problem: string): never => {
    throw new ContractError('OXBOW_LAKE_LAYOUT', `${path}: ${problem}`);
  };
  const json = parseJson(bytes, (error) => {
    throw new ContractError('OXBOW_LAKE_LAYOUT', `${path} is not JSON: ${String(error)}`, { cause: error });
  });
  const marker = objectField(json, 'the marker', fail);
  return {
    topic: stringField(marker.topic, 'topic', fail),
    epoch: integerField(marker.epoch, 'epoch', fail, 0),
    epochMs: integerField(marker.epochMs, 'epochMs', fail, 1),
    sealedAt: stringField(marker.sealedAt, 'sealedAt', fail),
    endOffsets: offsetsField(marker.endOffsets, 'endOffsets', fail),
  };
}
