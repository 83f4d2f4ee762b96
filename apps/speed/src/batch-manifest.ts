/**
 * The batch layer's manifest (`<lake>/views/_manifest.json`, docs/design/0002-layer-contracts.md), as the speed
 * layer reads it: the watermark epoch E (realtime epochs ≤ E expire) and the end offsets of E (where a rebuild
 * replays from). The manifest is replaced by whole-object writes; a read that does not parse is retried.
 */
import { ConnectorError, type FileSystem } from '@oxbow/connectors';

/** The path of the current manifest, relative to the lake. */
export const MANIFEST_PATH = 'views/_manifest.json';

/** The fields of a manifest the speed layer uses. */
export interface BatchManifest {
  readonly runId: string;
  readonly epochMs: number;
  readonly watermarkEpoch: number;
  /** Per topic, per partition: the first offset after epoch E. */
  readonly endOffsets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What reading the manifest gave. */
export type ManifestRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly manifest: BatchManifest }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** Checks and narrows parsed manifest JSON; a reason when it is not a version-1 batch manifest. */
export function parseManifest(text: string): BatchManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  const m = value as Record<string, unknown>;
  if (m.format !== 'oxbow-batch-manifest' || m.version !== 1) return 'not an oxbow-batch-manifest version 1';
  if (!Number.isSafeInteger(m.watermarkEpoch)) return 'watermarkEpoch is not an integer';
  if (!Number.isSafeInteger(m.epochMs)) return 'epochMs is not an integer';
  const endOffsets: Record<string, Record<string, string>> = {};
  if (typeof m.endOffsets === 'object' && m.endOffsets !== null) {
    for (const [topic, partitions] of Object.entries(m.endOffsets as Record<string, unknown>)) {
      if (typeof partitions !== 'object' || partitions === null)
        return `endOffsets.${topic} is not an object`;
      const offsets: Record<string, string> = {};
      for (const [partition, offset] of Object.entries(partitions as Record<string, unknown>)) {
        const text = typeof offset === 'number' ? String(offset) : offset;
        if (typeof text !== 'string' || !/^(0|[1-9]\d*)$/.test(text)) {
          return `endOffsets.${topic}.${partition} is not an offset`;
        }
        offsets[partition] = text;
      }
      endOffsets[topic] = offsets;
    }
  }
  return {
    runId: typeof m.runId === 'string' ? m.runId : '',
    epochMs: m.epochMs as number,
    watermarkEpoch: m.watermarkEpoch as number,
    endOffsets,
  };
}

/** Reads `<lake>/views/_manifest.json` once. */
export async function readManifest(lake: FileSystem): Promise<ManifestRead> {
  let bytes: Uint8Array;
  try {
    bytes = await lake.read(MANIFEST_PATH);
  } catch (error) {
    if (ConnectorError.is(error, 'OXBOW_STORAGE_NOT_FOUND')) return { kind: 'missing' };
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  const parsed = parseManifest(new TextDecoder().decode(bytes));
  return typeof parsed === 'string'
    ? { kind: 'unreadable', reason: parsed }
    : { kind: 'ok', manifest: parsed };
}
