/**
 * What an event parser returns: the typed event, or every reason the record is invalid (one per bad field).
 */

/** The result of parsing one record: `{ ok: true, event }` or `{ ok: false, reasons }`. */
export type ParseResult<E> =
  | { readonly ok: true; readonly event: E }
  | { readonly ok: false; readonly reasons: string[] };

/** Options shared by the event parsers. */
export interface ParseOptions {
  /**
   * The current time in epoch milliseconds, injected so tests and replays are deterministic (default
   * `Date.now()`). Timestamps more than a day after it are rejected.
   */
  readonly now?: number;
}
