/**
 * Decoding one JSON record and wording the reasons a field is rejected (`status: expected …, got …`): shared by
 * every schema's parser.
 */

/** A decoded JSON object. */
export type JsonRecord = Readonly<Record<string, unknown>>;

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 bytes or a string holding one JSON object; pushes a reason and returns `undefined` otherwise.
 */
export function decodeJsonObject(input: Uint8Array | string, reasons: string[]): JsonRecord | undefined {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = decoder.decode(input);
    } catch {
      reasons.push('record: not valid UTF-8');
      return undefined;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    reasons.push(`record: not JSON (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reasons.push(`record: expected a JSON object, got ${describeValue(value)}`);
    return undefined;
  }
  return value as JsonRecord;
}

/** A short rendering of a bad value for a reason: `"abc"`, `700`, `null`. */
export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** The reason for a bad field: `status: expected an integer 100–599, got "abc"` or `status: missing (expected …)`. */
export function fieldReason(name: string, expected: string, value: unknown): string {
  return value === undefined
    ? `${name}: missing (expected ${expected})`
    : `${name}: expected ${expected}, got ${describeValue(value)}`;
}
