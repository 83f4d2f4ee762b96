/**
 * Hand-written field checks shared by the event parsers. Each check reads one field of a decoded JSON object,
 * returns its value when valid, and otherwise pushes one reason naming the field (`status: expected …, got …`).
 */
import { EARLIEST_EVENT_MS, MAX_FUTURE_MS, parseIsoTimestamp } from './timestamp.ts';

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

/** Options of {@link readString}. */
export interface StringRule {
  /** What a valid value looks like, for the reason: `a non-empty string`. */
  readonly expected: string;
  readonly maxLength: number;
  readonly minLength?: number;
  readonly pattern?: RegExp;
}

/** Reads a string field that satisfies `rule`. */
export function readString(
  record: JsonRecord,
  name: string,
  rule: StringRule,
  reasons: string[],
): string | undefined {
  const value = record[name];
  if (
    typeof value === 'string' &&
    value.length >= (rule.minLength ?? 0) &&
    value.length <= rule.maxLength &&
    (rule.pattern === undefined || rule.pattern.test(value))
  ) {
    return value;
  }
  reasons.push(fieldReason(name, rule.expected, value));
  return undefined;
}

/** Reads an integer field in `[min, max]`; `expected` describes it for the reason. */
export function readInteger(
  record: JsonRecord,
  name: string,
  min: number,
  max: number,
  expected: string,
  reasons: string[],
): number | undefined {
  const value = record[name];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  reasons.push(fieldReason(name, expected, value));
  return undefined;
}

/** Reads a finite number field in `[min, max]`; `expected` describes it for the reason. */
export function readNumber(
  record: JsonRecord,
  name: string,
  min: number,
  max: number,
  expected: string,
  reasons: string[],
): number | undefined {
  const value = record[name];
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
  reasons.push(fieldReason(name, expected, value));
  return undefined;
}

/**
 * Reads the `ts` field: a strict ISO-8601 timestamp with a time zone, not before 2000-01-01 and not more than a
 * day after `now`. Returns the text and its epoch milliseconds.
 */
export function readTimestamp(
  record: JsonRecord,
  now: number,
  reasons: string[],
): { ts: string; tsMs: number } | undefined {
  const value = record.ts;
  if (typeof value !== 'string') {
    reasons.push(fieldReason('ts', 'an ISO-8601 timestamp string', value));
    return undefined;
  }
  const tsMs = parseIsoTimestamp(value);
  if (tsMs === undefined) {
    reasons.push(`ts: not an ISO-8601 timestamp with a time zone, got ${describeValue(value)}`);
    return undefined;
  }
  if (tsMs < EARLIEST_EVENT_MS) {
    reasons.push(`ts: ${value} is before 2000-01-01T00:00:00Z`);
    return undefined;
  }
  if (tsMs > now + MAX_FUTURE_MS) {
    reasons.push(`ts: ${value} is more than a day after now (${new Date(now).toISOString()})`);
    return undefined;
  }
  return { ts: value, tsMs };
}
