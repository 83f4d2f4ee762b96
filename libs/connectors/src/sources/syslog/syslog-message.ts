/**
 * The parsed form of a syslog message, the same for RFC 5424 and RFC 3164 (BSD) messages, and the names of the
 * facility and severity codes.
 */

/** One element of RFC 5424 structured data: `[id name="value" …]`, parameters in order (names may repeat). */
export interface SdElement {
  readonly id: string;
  readonly params: ReadonlyArray<readonly [name: string, value: string]>;
}

/** Which grammar a message was parsed with; `invalid` when it follows neither (see `error`). */
export type SyslogFormat = 'rfc5424' | 'rfc3164' | 'invalid';

/** A syslog message. Fields a message does not carry (or carries as the NILVALUE `-`) are `null`. */
export interface SyslogMessage {
  readonly format: SyslogFormat;
  /** 0 (kern) … 23 (local7); null when the message has no valid PRI. */
  readonly facility: number | null;
  /** 0 (emerg) … 7 (debug); null when the message has no valid PRI. */
  readonly severity: number | null;
  /** The RFC 5424 VERSION (1); null for other formats. */
  readonly version: number | null;
  /**
   * Epoch milliseconds. RFC 5424 timestamps carry their offset (fractions beyond milliseconds are dropped);
   * RFC 3164 ones have no year and no zone: the year is the latest that puts the time before the reception
   * (give or take a week of clock skew), and the zone is the parser's `utcOffsetMinutes` (UTC by default).
   */
  readonly timestamp: number | null;
  readonly hostname: string | null;
  /** RFC 5424 APP-NAME, or the RFC 3164 TAG. */
  readonly appName: string | null;
  /** RFC 5424 PROCID, or the `[pid]` after an RFC 3164 TAG. */
  readonly procId: string | null;
  /** RFC 5424 MSGID. */
  readonly msgId: string | null;
  /** RFC 5424 STRUCTURED-DATA elements (empty for `-` and for other formats). */
  readonly structuredData: readonly SdElement[];
  /** The free-form MSG (a leading UTF-8 BOM removed); the whole text for `invalid` messages. */
  readonly message: string;
  /** Why an `invalid` message did not parse; null otherwise. */
  readonly error: string | null;
}

/** Facility keywords by code (RFC 5424 table 1, the names syslog implementations use). */
export const SYSLOG_FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

/** Severity keywords by code (RFC 5424 table 2). */
export const SYSLOG_SEVERITIES = [
  'emerg',
  'alert',
  'crit',
  'err',
  'warning',
  'notice',
  'info',
  'debug',
] as const;

/**
 * The value of parameter `name` of structured-data element `id` (the last one when the name repeats).
 *
 * @example
 * ```ts
 * sdParam(message, 'exampleSDID@32473', 'eventID'); // '1011'
 * ```
 */
export function sdParam(
  message: Pick<SyslogMessage, 'structuredData'>,
  id: string,
  name: string,
): string | undefined {
  const element = message.structuredData.find((candidate) => candidate.id === id);
  if (!element) return undefined;
  let value: string | undefined;
  for (const [paramName, paramValue] of element.params) if (paramName === name) value = paramValue;
  return value;
}
