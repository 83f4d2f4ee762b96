/**
 * Writing syslog messages: the inverse of `parseSyslog` for RFC 5424 and RFC 3164, and RFC 6587's two TCP
 * framings. Used by tests and by anything that sends syslog to a collector.
 */
import type { SdElement } from './syslog-message.ts';

/** The fields of a message to format; absent ones are written as the NILVALUE `-` (RFC 5424) or left out. */
export interface SyslogFields {
  readonly facility: number;
  readonly severity: number;
  /** Epoch milliseconds; null or absent writes `-` (RFC 5424) or no timestamp (RFC 3164). */
  readonly timestamp?: number | null;
  readonly hostname?: string | null;
  readonly appName?: string | null;
  readonly procId?: string | null;
  readonly msgId?: string | null;
  readonly structuredData?: readonly SdElement[];
  readonly message?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pri(fields: SyslogFields): string {
  return `<${fields.facility * 8 + fields.severity}>`;
}

function nil(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : value;
}

function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/**
 * An RFC 5424 message (version 1, timestamp in UTC with milliseconds).
 *
 * @example
 * ```ts
 * formatRfc5424({ facility: 1, severity: 6, timestamp: 0, hostname: 'web1', appName: 'nginx', message: 'up' });
 * // '<14>1 1970-01-01T00:00:00.000Z web1 nginx - - - up'
 * ```
 */
export function formatRfc5424(fields: SyslogFields): string {
  const timestamp =
    fields.timestamp === null || fields.timestamp === undefined
      ? '-'
      : new Date(fields.timestamp).toISOString();
  const sd =
    fields.structuredData && fields.structuredData.length > 0
      ? fields.structuredData
          .map(
            (element) =>
              `[${element.id}${element.params.map(([name, value]) => ` ${name}="${escapeParamValue(value)}"`).join('')}]`,
          )
          .join('')
      : '-';
  const header = `${pri(fields)}1 ${timestamp} ${nil(fields.hostname)} ${nil(fields.appName)} ${nil(fields.procId)} ${nil(fields.msgId)} ${sd}`;
  return fields.message === undefined || fields.message === '' ? header : `${header} ${fields.message}`;
}

/**
 * An RFC 3164 (BSD) message: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`, the time written in the zone
 * `utcOffsetMinutes` east of UTC (default 0).
 *
 * @example
 * ```ts
 * formatRfc3164({ facility: 4, severity: 2, timestamp: Date.UTC(2024, 9, 11, 22, 14, 15), hostname: 'mymachine',
 *   appName: 'su', message: "'su root' failed" });
 * // "<34>Oct 11 22:14:15 mymachine su: 'su root' failed"
 * ```
 */
export function formatRfc3164(fields: SyslogFields, utcOffsetMinutes = 0): string {
  let text = pri(fields);
  if (fields.timestamp !== null && fields.timestamp !== undefined) {
    const local = new Date(fields.timestamp + utcOffsetMinutes * 60_000);
    const two = (n: number) => String(n).padStart(2, '0');
    text += `${MONTHS[local.getUTCMonth()]} ${String(local.getUTCDate()).padStart(2, ' ')} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())} `;
    if (fields.hostname) text += `${fields.hostname} `;
  }
  if (fields.appName) text += `${fields.appName}${fields.procId ? `[${fields.procId}]` : ''}: `;
  return text + (fields.message ?? '');
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes of the UTF-8 message. */
export function frameOctetCounted(message: string | Uint8Array): Buffer {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
  return Buffer.concat([Buffer.from(`${bytes.length} `, 'ascii'), bytes]);
}

/** RFC 6587 non-transparent framing: the message followed by LF (the message must not contain one). */
export function frameNonTransparent(message: string | Uint8Array): Buffer {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
  return Buffer.concat([bytes, Buffer.from('\n', 'ascii')]);
}
