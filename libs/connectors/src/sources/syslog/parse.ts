/**
 * Syslog parsing as pure functions: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and RFC 3164,
 * the BSD format (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`), told apart by the version digit after the PRI.
 * The parser never throws: what follows neither grammar comes back as an `invalid` message with the reason.
 */
import type { SdElement, SyslogMessage } from './syslog-message.ts';

/** Options of {@link parseSyslog}. */
export interface ParseSyslogOptions {
  /** When the message was received (epoch ms); RFC 3164 timestamps take their year from it. Default now. */
  readonly receivedAt?: number;
  /** The zone of RFC 3164 timestamps, which carry none, in minutes east of UTC. Default 0 (UTC). */
  readonly utcOffsetMinutes?: number;
}

class ParseFailure extends Error {}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const BOM = '\uFEFF';
/** How far after its reception an RFC 3164 timestamp may be (clock skew) before it counts as last year's. */
const FUTURE_TOLERANCE_MS = 7 * 86_400_000;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;
const BSD_TIMESTAMP = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?= |$)/;
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{1,128})\])?:(?: |$)/;

/**
 * Parses one syslog message (one UDP datagram or one TCP frame, without its trailer).
 *
 * @example
 * ```ts
 * parseSyslog('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] hi');
 * // { format: 'rfc5424', facility: 20, severity: 5, hostname: 'mymachine.example.com', appName: 'evntslog', … }
 * parseSyslog('<34>Oct 11 22:14:15 mymachine su: \'su root\' failed', { receivedAt: Date.UTC(2024, 9, 12) });
 * // { format: 'rfc3164', facility: 4, severity: 2, hostname: 'mymachine', appName: 'su', … }
 * ```
 */
export function parseSyslog(text: string, options: ParseSyslogOptions = {}): SyslogMessage {
  const pri = /^<(\d{1,3})>/.exec(text);
  if (!pri) return invalid(text, 'no <PRI> at the start');
  const prival = Number(pri[1]);
  if (prival > 191) return invalid(text, `PRI ${prival} is out of range (0–191)`);
  const rest = text.slice(pri[0].length);
  const version = /^([1-9]\d{0,2}) /.exec(rest);
  try {
    if (version) return parseRfc5424(prival, Number(version[1]), rest.slice(version[0].length));
    return parseRfc3164(prival, rest, options);
  } catch (error) {
    if (error instanceof ParseFailure) return invalid(text, error.message);
    throw error;
  }
}

function invalid(text: string, error: string): SyslogMessage {
  return {
    format: 'invalid',
    facility: null,
    severity: null,
    version: null,
    timestamp: null,
    hostname: null,
    appName: null,
    procId: null,
    msgId: null,
    structuredData: [],
    message: text,
    error,
  };
}

// ------------------------------------------------------------------ RFC 5424

class Cursor {
  readonly text: string;
  position = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** The next SP-delimited header field (PRINTUSASCII, at most `max` characters), consuming the SP after it. */
  field(name: string, max: number): string | null {
    const end = this.text.indexOf(' ', this.position);
    if (end < 0) throw new ParseFailure(`RFC 5424: the header ends before ${name}`);
    const value = this.text.slice(this.position, end);
    if (value.length === 0) throw new ParseFailure(`RFC 5424: ${name} is empty (two spaces)`);
    if (value.length > max) throw new ParseFailure(`RFC 5424: ${name} is longer than ${max} characters`);
    if (!/^[\x21-\x7e]+$/.test(value))
      throw new ParseFailure(`RFC 5424: ${name} has characters outside 33–126`);
    this.position = end + 1;
    return value === '-' ? null : value;
  }

  peek(): string | undefined {
    return this.text[this.position];
  }

  done(): boolean {
    return this.position >= this.text.length;
  }
}

function parseRfc5424(prival: number, version: number, rest: string): SyslogMessage {
  const cursor = new Cursor(rest);
  const timestampText = cursor.field('TIMESTAMP', 32);
  const timestamp = timestampText === null ? null : parseRfc3339(timestampText);
  const hostname = cursor.field('HOSTNAME', 255);
  const appName = cursor.field('APP-NAME', 48);
  const procId = cursor.field('PROCID', 128);
  // MSGID is followed by SP and STRUCTURED-DATA, which may be the end of the message.
  const msgIdEnd = rest.indexOf(' ', cursor.position);
  if (msgIdEnd < 0) throw new ParseFailure('RFC 5424: the header ends before STRUCTURED-DATA');
  const msgId = cursor.field('MSGID', 32);
  const structuredData = parseStructuredData(cursor);
  let message = '';
  if (!cursor.done()) {
    if (cursor.peek() !== ' ') throw new ParseFailure('RFC 5424: no space between STRUCTURED-DATA and MSG');
    message = rest.slice(cursor.position + 1);
    if (message.startsWith(BOM)) message = message.slice(1);
  }
  return {
    format: 'rfc5424',
    facility: prival >> 3,
    severity: prival & 7,
    version,
    timestamp,
    hostname,
    appName,
    procId,
    msgId,
    structuredData,
    message,
    error: null,
  };
}

function parseRfc3339(text: string): number {
  const match = RFC3339.exec(text);
  if (!match) throw new ParseFailure(`RFC 5424: TIMESTAMP ${text} is not an RFC 3339 date-time`);
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const millis = fraction ? Math.floor(Number(fraction.padEnd(6, '0')) / 1000) : 0;
  const offset = zone === 'Z' || zone === undefined ? 0 : zoneMinutes(zone);
  const utc = utcMillis(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  if (utc === undefined) throw new ParseFailure(`RFC 5424: TIMESTAMP ${text} is not a valid date and time`);
  return utc + millis - offset * 60_000;
}

function zoneMinutes(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) throw new ParseFailure(`RFC 5424: time offset ${zone} is out of range`);
  return sign * (hours * 60 + minutes);
}

/** Epoch ms of a UTC date and time, or undefined when a field is out of range (Feb 30, 24:00, …). */
function utcMillis(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  return date.getTime();
}

const SD_NAME = /^[\x21-\x7e]{1,32}$/;

function parseStructuredData(cursor: Cursor): SdElement[] {
  const text = cursor.text;
  if (cursor.peek() === '-') {
    cursor.position += 1;
    if (!cursor.done() && cursor.peek() !== ' ') {
      throw new ParseFailure('RFC 5424: STRUCTURED-DATA "-" is followed by something other than a space');
    }
    return [];
  }
  if (cursor.peek() !== '[') throw new ParseFailure('RFC 5424: STRUCTURED-DATA is neither "-" nor "[…]"');
  const elements: SdElement[] = [];
  while (cursor.peek() === '[') {
    cursor.position += 1;
    const id = sdName(cursor, 'SD-ID');
    if (elements.some((element) => element.id === id)) {
      throw new ParseFailure(`RFC 5424: SD-ID ${id} appears twice`);
    }
    const params: Array<readonly [string, string]> = [];
    for (;;) {
      const next = text[cursor.position];
      if (next === ']') {
        cursor.position += 1;
        break;
      }
      if (next !== ' ') throw new ParseFailure(`RFC 5424: in [${id}], expected a space or "]"`);
      cursor.position += 1;
      const name = sdName(cursor, 'PARAM-NAME');
      if (text[cursor.position] !== '=' || text[cursor.position + 1] !== '"') {
        throw new ParseFailure(`RFC 5424: in [${id}], ${name} is not followed by ="`);
      }
      cursor.position += 2;
      params.push([name, paramValue(cursor, id, name)]);
    }
    elements.push({ id, params });
  }
  return elements;
}

function sdName(cursor: Cursor, what: string): string {
  const text = cursor.text;
  let end = cursor.position;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === 0x3d || c === 0x20 || c === 0x5d || c === 0x22 || c < 0x21 || c > 0x7e) break;
    end += 1;
  }
  const name = text.slice(cursor.position, end);
  if (!SD_NAME.test(name)) throw new ParseFailure(`RFC 5424: ${what} "${name}" is empty or too long`);
  cursor.position = end;
  return name;
}

/** A PARAM-VALUE after its opening quote, up to and consuming the closing quote; `\"`, `\\`, `\]` unescaped. */
function paramValue(cursor: Cursor, id: string, name: string): string {
  const text = cursor.text;
  let value = '';
  let i = cursor.position;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new ParseFailure(`RFC 5424: the value of ${name} in [${id}] is not closed`);
    if (c === '"') break;
    if (c === '\\') {
      const escaped = text[i + 1];
      if (escaped === '"' || escaped === '\\' || escaped === ']') {
        value += escaped;
        i += 2;
        continue;
      }
      // RFC 5424 §6.3.3: a backslash before any other character is kept as is.
      value += c;
      i += 1;
      continue;
    }
    if (c === ']') throw new ParseFailure(`RFC 5424: unescaped "]" in the value of ${name} in [${id}]`);
    value += c;
    i += 1;
  }
  cursor.position = i + 1;
  return value;
}

// ------------------------------------------------------------------ RFC 3164

function parseRfc3164(prival: number, rest: string, options: ParseSyslogOptions): SyslogMessage {
  const receivedAt = options.receivedAt ?? Date.now();
  let timestamp: number | null = null;
  let remainder = rest;
  const bsd = BSD_TIMESTAMP.exec(rest);
  const bsdTime = bsd ? bsdTimestamp(bsd, receivedAt, options.utcOffsetMinutes ?? 0) : null;
  if (bsd && bsdTime !== null) {
    timestamp = bsdTime;
    remainder = rest.slice(bsd[0].length);
  } else {
    // Many relays (rsyslog's forward format) put an RFC 3339 timestamp in a BSD-style message.
    const token = rest.split(' ', 1)[0] ?? '';
    if (RFC3339.test(token)) {
      try {
        timestamp = parseRfc3339(token);
        remainder = rest.slice(token.length);
      } catch {
        // Not a valid date after all: the whole rest is content.
      }
    }
  }
  let hostname: string | null = null;
  if (timestamp !== null) {
    if (!remainder.startsWith(' ')) {
      return rfc3164(prival, timestamp, null, null, null, remainder);
    }
    remainder = remainder.slice(1);
    // HOSTNAME, unless the word after the timestamp is already the TAG (local senders often omit the host).
    const word = /^[^ ]+/.exec(remainder)?.[0];
    if (word !== undefined && !TAG.test(remainder)) {
      hostname = word;
      remainder = remainder.slice(word.length);
      if (remainder.startsWith(' ')) remainder = remainder.slice(1);
    }
  }
  const tag = timestamp === null ? null : TAG.exec(remainder);
  if (tag) {
    return rfc3164(
      prival,
      timestamp,
      hostname,
      tag[1] ?? null,
      tag[2] ?? null,
      remainder.slice(tag[0].length),
    );
  }
  return rfc3164(prival, timestamp, hostname, null, null, remainder);
}

function rfc3164(
  prival: number,
  timestamp: number | null,
  hostname: string | null,
  appName: string | null,
  procId: string | null,
  message: string,
): SyslogMessage {
  return {
    format: 'rfc3164',
    facility: prival >> 3,
    severity: prival & 7,
    version: null,
    timestamp,
    hostname,
    appName,
    procId,
    msgId: null,
    structuredData: [],
    message,
    error: null,
  };
}

function bsdTimestamp(match: RegExpExecArray, receivedAt: number, utcOffsetMinutes: number): number | null {
  const [, monthName, day, hour, minute, second, fraction] = match;
  const month = MONTHS.indexOf(monthName ?? '') + 1;
  if (month === 0) return null;
  const millis = fraction ? Math.floor(Number(fraction.padEnd(6, '0')) / 1000) : 0;
  const local = new Date(receivedAt + utcOffsetMinutes * 60_000);
  // The latest year that does not put the time more than a few days after the reception (clock skew): a
  // December message read in January is last year's.
  for (const year of [local.getUTCFullYear() + 1, local.getUTCFullYear(), local.getUTCFullYear() - 1]) {
    const utc = utcMillis(year, month, Number(day), Number(hour), Number(minute), Number(second));
    if (utc === undefined) continue;
    const time = utc + millis - utcOffsetMinutes * 60_000;
    if (time <= receivedAt + FUTURE_TOLERANCE_MS) return time;
  }
  return null;
}
