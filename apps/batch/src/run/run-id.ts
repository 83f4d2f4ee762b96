import { randomBytes } from 'node:crypto';

/**
 * A run id: the start time as `YYYYMMDDTHHMMSSmmmZ` and 8 random hex digits, so ids sort by start time.
 *
 * @example
 * newRunId(Date.UTC(2026, 10, 24, 2, 0, 0, 5)); // '20261124T020000005Z-3fa2c91b'
 */
export function newRunId(nowMs: number): string {
  const iso = new Date(nowMs).toISOString(); // 2026-11-24T02:00:00.005Z
  const stamp = iso.replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** True when `text` has the shape of a run id. */
export function isRunId(text: string): boolean {
  return /^\d{8}T\d{9}Z-[0-9a-f]{8}$/.test(text);
}
