/**
 * Checks shared by the decoders of the contract's JSON documents (`_sealed` markers, manifests). Each check
 * returns the narrowed value or throws through `fail`, naming the field.
 */

/** Throws the decoder's error for `field`. */
export type Fail = (problem: string) => never;

/** Parses UTF-8 JSON bytes; `onError` reports what did not parse. */
export function parseJson(input: string | Uint8Array, onError: (error: unknown) => never): unknown {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  try {
    return JSON.parse(text);
  } catch (error) {
    return onError(error);
  }
}

/** A plain JSON object (not null, not an array). */
export function objectField(value: unknown, field: string, fail: Fail): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${field} is not an object`);
  return value as Record<string, unknown>;
}

/** A string, non-empty unless `allowEmpty`. */
export function stringField(value: unknown, field: string, fail: Fail, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) fail(`${field} is not a non-empty string`);
  return value;
}

/** A safe integer ≥ `min`. */
export function integerField(value: unknown, field: string, fail: Fail, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(`${field} is not an integer ≥ ${min}`);
  }
  return value;
}

/** A finite number ≥ 0. */
export function durationField(value: unknown, field: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${field} is not a non-negative number`);
  }
  return value;
}

const OFFSET = /^(0|[1-9][0-9]*)$/;

/**
 * Kafka end offsets per partition: `{ "<partition>": "<offset>" }`, offsets as canonical decimal strings (a
 * non-negative safe integer number is accepted and written back as a string).
 */
export function offsetsField(value: unknown, field: string, fail: Fail): Readonly<Record<string, string>> {
  const offsets: Record<string, string> = {};
  for (const [partition, offset] of Object.entries(objectField(value, field, fail))) {
    if (!OFFSET.test(partition) || !Number.isSafeInteger(Number(partition))) {
      fail(`${field} has a partition ${JSON.stringify(partition)} that is not a partition number`);
    }
    const text = typeof offset === 'number' && Number.isSafeInteger(offset) ? String(offset) : offset;
    if (typeof text !== 'string' || !OFFSET.test(text)) fail(`${field}.${partition} is not an offset`);
    offsets[partition] = text;
  }
  return offsets;
}
