/**
 * Structured progress lines of the archiver: one JSON object per line (`{"ts", "level", "event", …}`).
 */

/** One log event: a name and its fields. */
export interface ArchiverLogEvent {
  readonly level: 'info' | 'warn' | 'error';
  /** `archiver.started`, `archiver.published`, `archiver.sealed`, `archiver.progress`, `archiver.stopped`, … */
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Where log events go. */
export type ArchiverLogger = (event: ArchiverLogEvent) => void;

/**
 * A logger writing JSON lines to `write` (default stdout), with an ISO timestamp first.
 *
 * @example
 * const log = jsonLineLogger();
 * log({ level: 'info', event: 'archiver.started', topics: ['http_logs'] });
 */
export function jsonLineLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
): ArchiverLogger {
  return (event) => {
    write(
      `${JSON.stringify({ ts: new Date().toISOString(), ...event }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`,
    );
  };
}
