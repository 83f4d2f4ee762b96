/**
 * From a request body to Kafka messages: JSON lines or a JSON array (or one object) decoded, each record validated
 * by the topic's schema, sized, and keyed by the schema's `messageKey`. Nothing here does I/O.
 */
import type { AnyEvent, Schema } from '@oxbow/views';
import { IngestError } from './errors.ts';

/** The body formats the gateway reads. */
export type BodyFormat = 'json' | 'ndjson';

/** Content types of JSON lines (one JSON value per line). */
export const JSON_LINES_TYPES = [
  'application/x-ndjson',
  'application/jsonl',
  'application/x-jsonlines',
] as const;

/** One Kafka message of an accepted record. */
export interface IngestMessage {
  /** The value of the schema's `messageKey` field as text; `null` when the schema has none or it is absent. */
  readonly key: string | null;
  /** The record's JSON text: a JSON line as received, an array element re-serialized. */
  readonly value: string;
  /** UTF-8 bytes of `value` (what the in-flight budget counts). */
  readonly bytes: number;
}

/** Why one record was refused. */
export interface RejectedRecord {
  /** Position among the body's records, from 0 (blank lines are not records). */
  readonly index: number;
  /** For JSON lines: the line number, from 1. */
  readonly line?: number;
  /** One reason per problem: a field of the schema, the JSON, the size. */
  readonly reasons: readonly string[];
}

/** What a body holds, checked. */
export interface CheckedBody {
  /** The accepted records' messages, in body order. */
  readonly messages: IngestMessage[];
  /** The refused records, in body order. */
  readonly rejected: RejectedRecord[];
  /** Records in the body (accepted + rejected). */
  readonly total: number;
}

/** Options of {@link checkBody}. */
export interface CheckOptions {
  /** Records whose JSON is longer (UTF-8 bytes) are refused. */
  readonly maxRecordBytes: number;
  /** The time timestamps are checked against (epoch ms). */
  readonly now: number;
}

/**
 * The key of `record` by `schema.messageKey` (`oxbow produce` keys the same way): the field's value as text, or
 * `null` when the schema names no key or the record lacks it.
 */
export function messageKeyOf(
  schema: Schema<AnyEvent>,
  record: Readonly<Record<string, unknown>>,
): string | null {
  if (schema.messageKey === undefined) return null;
  const value = record[schema.messageKey];
  return value === undefined || value === null ? null : String(value);
}

/**
 * Checks one decoded record against `schema` and the size limit; the message to produce, or the reasons.
 * `text` is the record's JSON when the caller already has it.
 */
export function checkRecord(
  schema: Schema<AnyEvent>,
  record: unknown,
  options: CheckOptions,
  text?: string,
): { ok: true; message: IngestMessage } | { ok: false; reasons: string[] } {
  const result = schema.validate(record, { now: options.now });
  if (!result.ok) return { ok: false, reasons: result.reasons };
  const value = text ?? JSON.stringify(record);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > options.maxRecordBytes) {
    return {
      ok: false,
      reasons: [`the record is ${bytes} bytes of JSON; at most ${options.maxRecordBytes} are accepted`],
    };
  }
  return {
    ok: true,
    message: { key: messageKeyOf(schema, record as Record<string, unknown>), value, bytes },
  };
}

/** The first line of a JSON parse error, without the engine's position noise beyond it. */
function jsonReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `not JSON: ${message.split('\n')[0] ?? message}`;
}

/**
 * Decodes and checks a body. JSON lines: one record per non-blank line (CRLF accepted), a line that is not JSON is
 * refused with the reason and the others go on. JSON: an array of records or one record; a body that is not JSON,
 * or JSON other than an array or object, is refused whole (`OXBOW_BAD_REQUEST`), as is a body without records.
 *
 * @example
 * const checked = checkBody(schema, Buffer.from('{"a":1}\n{"a":"x"}\n'), 'ndjson', { maxRecordBytes: 1e6, now: Date.now() });
 * checked.messages.length; // 1
 * checked.rejected; // [{ index: 1, line: 2, reasons: ['a: expected an integer …'] }]
 */
export function checkBody(
  schema: Schema<AnyEvent>,
  body: Buffer,
  format: BodyFormat,
  options: CheckOptions,
): CheckedBody {
  const messages: IngestMessage[] = [];
  const rejected: RejectedRecord[] = [];
  let total = 0;
  if (format === 'ndjson') {
    const text = body.toString('utf8');
    let lineNumber = 0;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      lineNumber += 1;
      const line = text.slice(start, end).trim();
      start = end + 1;
      if (line === '') continue;
      const index = total++;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        rejected.push({ index, line: lineNumber, reasons: [jsonReason(error)] });
        continue;
      }
      const checked = checkRecord(schema, record, options, line);
      if (checked.ok) messages.push(checked.message);
      else rejected.push({ index, line: lineNumber, reasons: checked.reasons });
    }
  } else {
    let decoded: unknown;
    try {
      decoded = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new IngestError('OXBOW_BAD_REQUEST', `the body is ${jsonReason(error)}`);
    }
    let records: readonly unknown[];
    if (Array.isArray(decoded)) records = decoded;
    else if (typeof decoded === 'object' && decoded !== null) records = [decoded];
    else {
      throw new IngestError(
        'OXBOW_BAD_REQUEST',
        'an application/json body is an array of records or one record (an object)',
      );
    }
    for (const record of records) {
      const index = total++;
      const checked = checkRecord(schema, record, options);
      if (checked.ok) messages.push(checked.message);
      else rejected.push({ index, reasons: checked.reasons });
    }
  }
  if (total === 0) throw new IngestError('OXBOW_BAD_REQUEST', 'the body holds no records');
  return { messages, rejected, total };
}
